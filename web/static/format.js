// Formatting shared by the timeline, the event log and the result panel.

// fmtTime writes nanoseconds in the largest unit that keeps a digit
// before the point: 950 ns, 12.5 µs, 3.20 ms, 1.25 s.
export function fmtTime(ns) {
  if (ns === undefined || ns === null || !Number.isFinite(ns)) return "";
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${trim(ns / 1e3)} µs`;
  if (a < 1e9) return `${trim(ns / 1e6)} ms`;
  return `${trim(ns / 1e9)} s`;
}

function trim(x) {
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

// fmtValue writes an event's value the way a script would print it.
export function fmtValue(v) {
  if (v === undefined) return "";
  if (v === null) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

export function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// Kind groups, used by the log's filter and the legend.
export const KIND_GROUPS = [
  { id: "cells", label: "Cells (get, set, add, cas, swap)", kinds: ["get", "set", "add", "cas", "swap"] },
  { id: "locks", label: "Locks (lock, acquired, unlock, trylock)", kinds: ["lock", "acquired", "unlock", "trylock"] },
  { id: "channels", label: "Channels (send, sent, recv, received, close)", kinds: ["send", "sent", "recv", "received", "close"] },
  { id: "threads", label: "Threads (spawn, start, end, join, joined, cutoff, panic)", kinds: ["spawn", "start", "end", "join", "joined", "cutoff", "panic"] },
  { id: "time", label: "Time (sleep, wake, work, worked, runnable, yield)", kinds: ["sleep", "wake", "work", "worked", "runnable", "yield"] },
  { id: "sync", label: "Coordination (condvars, barriers, semaphores, park, once)", kinds: ["cvwait", "cvwoke", "notify", "bwait", "bpassed", "semacquire", "semacquired", "semrelease", "semtry", "park", "unparked", "unpark", "once", "oncedone"] },
  { id: "output", label: "Output (print, check)", kinds: ["print", "check"] },
];

export const KINDS = KIND_GROUPS.flatMap((g) => g.kinds);

// isProblem says whether an event is one a person should be shown first:
// a failed check, a panic.
export function isProblem(e) {
  return e.k === "panic" || (e.k === "check" && e.obj === "failed");
}

// describe says in a few words what an event did.
export function describe(e) {
  const v = fmtValue(e.v);
  const o = e.obj ?? "";
  switch (e.k) {
    case "spawn": return `spawns ${o}`;
    case "start": return "starts";
    case "end": return "ends";
    case "panic": return `panics: ${e.v ?? ""}`;
    case "cutoff": return `is cut off (${e.v ?? "main returned"})`;
    case "join": return `waits to join ${o}`;
    case "joined": return `joined ${o}`;
    case "lock": return `asks for lock ${o}`;
    case "acquired": return `acquires lock ${o}`;
    case "unlock": return `unlocks ${o}`;
    case "trylock": return `tries lock ${o}: ${e.v ? "got it" : "busy"}`;
    case "get": return `reads ${o} → ${v}`;
    case "set": return `writes ${o} ← ${v}`;
    case "add": return `adds to ${o} atomically (was ${v})`;
    case "cas": return `compare-and-swap on ${o}: ${e.v ? "swapped" : "failed"}`;
    case "swap": return `swaps ${o} ← ${v}`;
    case "send": return `sends ${v} on ${o}`;
    case "sent": return `sent ${v} on ${o}`;
    case "recv": return `waits to receive on ${o}`;
    case "received": return `received ${v} on ${o}`;
    case "close": return `closes ${o}`;
    case "sleep": return `sleeps ${e.v ?? ""} ms`;
    case "wake": return "wakes up";
    case "work": return `works ${e.v ?? ""} µs`;
    case "worked": return "finishes work";
    case "runnable": return `could have run but waited ${typeof e.v === "number" ? fmtTime(e.v) : ""} (for a core, or an OS thread)`;
    case "print": return `prints ${e.v ?? ""}`;
    case "check": return `${o === "failed" ? "✗ check failed" : "✓ check holds"}: ${e.v ?? ""}`;
    case "yield": return "yields the CPU";
    case "cvwait": return `waits on condvar ${o}, releasing ${e.v ?? "its mutex"}`;
    case "cvwoke": return `wakes on ${o} (${e.v ?? "notified"})`;
    case "notify": return `notifies ${o} (${e.v ?? ""})`;
    case "bwait": return `waits at barrier ${o}`;
    case "bpassed": return `passes barrier ${o}${e.v ? " as leader" : ""}`;
    case "semacquire": return `asks for a permit of ${o}`;
    case "semacquired": return `takes a permit of ${o}`;
    case "semrelease": return `releases a permit of ${o}`;
    case "semtry": return `tries a permit of ${o}: ${e.v ? "got one" : "none left"}`;
    case "park": return "parks";
    case "unparked": return "is unparked";
    case "unpark": return `unparks ${o}`;
    case "once": return `calls once ${o}`;
    case "oncedone": return `once ${o} done${e.v ? " (ran it)" : ""}`;
  }
  return `${e.k}${o ? " " + o : ""}${v ? " " + v : ""}`;
}

// failingLine is the script line to mark as a run's error, and why. A
// panic in a thread reaches main only through its join, so the result's
// error is main's join line; the first panic event is where it failed.
export function failingLine(res, events) {
  if (res?.status === "panic") {
    let first = null;
    for (const e of events) if (e.k === "panic" && e.line && (!first || e.seq < first.seq)) first = e;
    if (first) return { line: first.line, msg: first.v != null ? `panicked: ${first.v}` : "panicked here" };
  }
  return { line: res?.error?.line || 0, msg: res?.error?.msg || "" };
}
