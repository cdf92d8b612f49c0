// What the timeline says in words: bar labels, lane states, and the
// sentences of its tooltips. Pure functions of the model, no DOM.

import { fmtTime, fmtValue, describe } from "../format.js";
import { liveEnd } from "./layout.js";
import { ranShare, waitWords } from "./model.js";

// SPAN_LABEL writes the label drawn on a span's bar.
export const SPAN_LABEL = {
  wait: (s) => `wait for ${s.obj}`,
  join: (s) => `join ${s.obj}`,
  send: (s) => `send → ${s.obj}`,
  recv: (s) => `recv ← ${s.obj}`,
  sleep: () => "sleep",
  work: () => "work",
  hold: (s) => s.obj,
};

// spanSentence says what a thread does during a span.
export function spanSentence(s, name) {
  switch (s.kind) {
    case "wait": return `${name} waits for lock ${s.obj}`;
    case "hold": return `${name} holds lock ${s.obj}`;
    case "join": return `${name} waits for ${s.obj} to finish (join)`;
    case "send": return `${name} is blocked sending ${fmtValue(s.v)} on ${s.obj}`;
    case "recv": return `${name} is blocked receiving on ${s.obj}`;
    case "sleep": return `${name} sleeps${s.v !== undefined ? ` ${s.v} ms` : ""}`;
    case "work": return `${name} works${s.v !== undefined ? ` ${s.v} µs` : ""} on the CPU`;
  }
  return `${name}: ${s.kind}`;
}

// threadName is a thread's name, or its number if it has none yet.
export function threadName(trace, id) {
  return trace.threads.get(id)?.name ?? `thread ${id}`;
}

// laneWords says a lane's state in a few words, under its name: a
// thread's state and problems, or the threads an OS thread ran.
export function laneWords(trace, l) {
  if (l.kind === "os") {
    const names = [];
    const seen = new Set();
    const ths = l.segs.val;
    for (let i = 0; i < l.segs.n; i++) {
      const th = ths[i];
      if (seen.has(th)) continue;
      seen.add(th);
      names.push(trace.threads.get(th)?.name ?? `#${th}`);
      if (names.length > 3) break;
    }
    return names.length > 3 ? `${names.slice(0, 3).join(", ")}…` : names.join(", ");
  }
  const bits = [];
  if (l.deadlocked) bits.push("⟳ deadlocked");
  else if (l.state === "cutoff") bits.push("✂ cut off");
  else if (l.state === "panicked") bits.push("! panicked");
  else if (l.state === "ended") bits.push("ended");
  else if (l.state === "blocked") bits.push("blocked");
  else if (l.state === "running" || l.state === "new") bits.push(trace.running ? "running" : l.state === "new" ? "not started" : "running");
  else bits.push(l.state);
  if (l.flags.some((e) => e.k === "check")) bits.push("✗ check");
  if (trace.mode === "green" && l.tids.size > 1) bits.push(`${l.tids.size} OS thr.`);
  return bits.join(" · ");
}

// barText is the label of a bar: a span's, or a segment's thread or CPU.
export function barText(trace, s, style) {
  switch (style) {
    case "seg": return trace.threads.get(s.th)?.name ?? `#${s.th}`;
    case "cpu": return `cpu ${s.cpu}`;
  }
  return (SPAN_LABEL[s.kind] || ((x) => x.kind))(s);
}

// tipLines are the lines of the tooltip of what is under the pointer
// (a pick from hit.js), the first its title; null if nothing is.
export function tipLines(trace, hit) {
  if (!hit) return null;
  const lines = tipOf(trace, hit);
  const m = hit.merged;
  if (lines && m) {
    const what = m.style === "seg" ? "segments" : m.style === "cpu" ? "CPU segments" : "spans";
    lines.splice(1, 0, `${m.n} ${what} merged in this pixel, mostly ${m.name}: zoom in to tell them apart`);
  }
  return lines;
}

function tipOf(trace, hit) {
  if (hit.e) {
    const e = hit.e;
    const out = [`${threadName(trace, e.th)} ${describe(e)}`];
    const where = [`at ${fmtTime(e.t)}`, `seq ${e.seq}`];
    if (e.line) where.push(`line ${e.line}`);
    out.push(where.join(" · "));
    if (e.tid !== undefined) out.push(`OS thread ${e.tid}${e.cpu !== undefined ? `, CPU ${e.cpu}` : ""}`);
    if (e.line) out.push("Click to show its line in the script");
    return out;
  }
  if (hit.span) {
    const s = hit.span;
    const end = s.t1 === null ? liveEnd(trace, hit.L.lane) : s.t1;
    const out = [spanSentence(s, threadName(trace, s.th))];
    out.push(`for ${fmtTime(end - s.t0)}, from ${fmtTime(s.t0)} to ${fmtTime(end)}${s.t1 === null ? " (still open)" : ""}`);
    const ran = ranShare(s);
    if (ran !== null) out.push(`ran ${fmtTime(ran * (s.t1 - s.t0))} of ${fmtTime(s.t1 - s.t0)}; the other ${fmtTime((1 - ran) * (s.t1 - s.t0))} it ${waitWords(trace.mode)}`);
    if (s.waits) out.push(`waited to run ${s.waits.length === 1 ? "once" : `${s.waits.length} times`} (hatched)`);
    if (s.unfinished) out.push("never finished: the thread was cut off here");
    if (s.cycle) out.push("part of the deadlock's wait-for cycle");
    if (s.line) out.push(`line ${s.line}`);
    return out;
  }
  if (hit.seg) {
    const s = hit.seg;
    return [`${threadName(trace, s.th)} ran on ${hit.L.lane.name}`, `${s.n} events from ${fmtTime(s.t0)} to ${fmtTime(s.t1)}`];
  }
  if (hit.cpu) {
    const s = hit.cpu;
    return [`on CPU ${s.cpu}`, `${s.n} events from ${fmtTime(s.t0)} to ${fmtTime(s.t1)}`];
  }
  return null;
}

const INSTANT_WORDS = { get: "read", set: "write", add: "atomic add", cas: "cas", swap: "swap", print: "print", spawn: "spawn" };
const SPAN_WORDS = { wait: "waits for a lock", join: "waits in join", send: "blocked sending", recv: "blocked receiving", sleep: "sleeps", work: "works" };

// countWords says "3 reads" or "1 read".
function countWords(n, what) {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

// threadSummary says in one sentence what a thread did, for the text
// alternative of the timeline: its state, its events, what it read and
// wrote, how long it held each lock and how long it was blocked.
export function threadSummary(trace, l) {
  const parts = [`${l.name}: ${laneWords(trace, l).replace(/^[⟳✂!✗] /, "")}`, countWords(l.count, "event")];
  const kinds = new Map();
  for (let i = 0; i < l.marks.n; i++) {
    const k = l.events.kindAt(l.marks.ev[i]);
    if (INSTANT_WORDS[k]) kinds.set(k, (kinds.get(k) || 0) + 1);
  }
  for (const [k, n] of kinds) parts.push(countWords(n, INSTANT_WORDS[k]));
  const end = liveEnd(trace, l);
  const holds = new Map();
  for (let r = 1; r < l.rows.length; r++) {
    const row = l.rows[r];
    for (let i = 0; i < row.n; i++) {
      const obj = l.events.objAt(row.e0[i]);
      const h = holds.get(obj) || { n: 0, t: 0 };
      h.n++;
      h.t += (Number.isNaN(row.t1[i]) ? end : row.t1[i]) - row.t0[i];
      holds.set(obj, h);
    }
  }
  for (const [m, h] of holds) parts.push(`holds lock ${m} ${h.n === 1 ? "once" : `${h.n} times`}, ${fmtTime(h.t)} in all`);
  const blocked = new Map();
  for (const s of l.rows[0]) {
    const b = blocked.get(s.kind) || { n: 0, t: 0, open: false };
    b.n++;
    b.t += (s.t1 === null ? end : s.t1) - s.t0;
    b.open ||= s.t1 === null || s.unfinished;
    blocked.set(s.kind, b);
  }
  let ranNs = 0;
  let measured = 0;
  for (const s of l.rows[0]) {
    const ran = ranShare(s);
    if (ran === null) continue;
    ranNs += ran * (s.t1 - s.t0);
    measured += s.t1 - s.t0;
  }
  for (const [k, b] of blocked) {
    if (k === "work" || k === "sleep") b.open = false;
    const how = b.n === 1 && b.open ? "never finished" : `${fmtTime(b.t)}${b.open ? ", the last one never finished" : ""}`;
    parts.push(`${SPAN_WORDS[k] || k} ${b.n === 1 ? "once" : `${b.n} times`}, ${how}`);
    if (k === "work" && measured > 0) parts.push(`ran ${fmtTime(ranNs)} of that; the other ${fmtTime(measured - ranNs)} it ${waitWords(trace.mode)}`);
  }
  for (const f of l.flags) parts.push(f.k === "panic" ? `panicked: ${fmtValue(f.v)}` : `check failed: ${f.v ?? ""}`);
  return `${parts.join(", ")}.`;
}
