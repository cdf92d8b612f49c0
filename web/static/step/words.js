// What the step panel says in words: a thread's state, a cell's value, a
// lock's holder and waiters, a channel's contents, the event at the
// cursor. Pure functions of a state (state.js), no DOM.

import { fmtValue, describe } from "../format.js";

// nameOf is a thread's name in state s, or its number.
export function nameOf(s, th) {
  return s.threads.get(th)?.name ?? `thread ${th}`;
}

// threadStateText says what a thread is doing at the cursor.
export function threadStateText(s, t) {
  switch (t.state) {
    case "new": return "not started yet";
    case "running": return "running";
    case "lock": return `waiting for lock ${t.obj}`;
    case "join": return `waiting to join ${t.obj}`;
    case "send": return `blocked sending ${fmtValue(t.v)} on ${t.obj}`;
    case "recv": return `blocked receiving on ${t.obj}`;
    case "sleep": return `sleeping${t.v !== undefined ? ` ${t.v} ms` : ""}`;
    case "work": return `working${t.v !== undefined ? ` ${t.v} µs` : ""}`;
    case "ended": return t.joinedBy >= 0 ? `ended, joined by ${nameOf(s, t.joinedBy)}` : "ended";
    case "panicked": return `panicked${t.v ? `: ${t.v}` : ""}`;
    case "cutoff": {
      const why = t.v === "deadlock" ? "deadlocked" : `cut off (${t.v || "main returned"})`;
      if (!t.was) return why;
      return `${why} while ${threadStateText(s, { state: t.was, obj: t.wasObj, joinedBy: -1 })}`;
    }
  }
  return t.state;
}

// cellText says a cell's value at the cursor and who wrote it.
export function cellText(s, c) {
  const v = c.known ? fmtValue(c.value) : "unknown";
  const ver = c.ver > 0 ? ` (version ${c.ver}` : c.ver === 0 ? " (initial value" : " (";
  const who = c.writer >= 0 ? `, written by ${nameOf(s, c.writer)}${c.wline ? ` at line ${c.wline}` : ""})` : ")";
  return `${c.name} = ${v}${ver === " (" ? "" : ver + who}`;
}

// lockText says who holds a lock and who waits for it.
export function lockText(s, l) {
  const held = l.holder >= 0 ? `held by ${nameOf(s, l.holder)}` : "free";
  const w = l.waiters.length ? `; waiting: ${l.waiters.map((th) => nameOf(s, th)).join(", ")}` : "";
  return `${l.name}: ${held}${w}`;
}

// chanText says what a channel holds (items: its messages sent and not
// yet received, oldest first) and its capacity if known.
export function chanText(c, items, capacity) {
  const shown = items.slice(0, 8).map((m) => fmtValue(m.v));
  if (items.length > 8) shown.push(`… ${items.length - 8} more`);
  const what = items.length ? `holds ${shown.join(", ")}` : "empty";
  const cap = capacity === undefined ? "" : capacity === null ? ", unbounded" : `, capacity ${capacity}`;
  return `${c.name}: ${what}${cap}${c.closed ? ", closed" : ""}`;
}

// eventSentence says the event at the cursor in one sentence.
export function eventSentence(s, e, n) {
  if (!e) return n ? "Before the first event." : "No events yet.";
  const where = e.line ? `, line ${e.line}` : "";
  return `${nameOf(s, e.th)} ${describe(e)}${where}.`;
}

// capacities reads the capacities of channels made with a literal name
// in a script: channel("jobs", capacity=2), channel("x", 0),
// channel("y") (unbounded, null); a capacity named by a variable is the
// run's param of that name, if it has one. A name made at run time, or a
// capacity computed, is not known.
export function capacities(source, params = {}) {
  const out = new Map();
  const re = /\bchannel\(\s*(["'])([^"'\n]*)\1\s*(?:,\s*(?:capacity\s*=\s*)?(None|\d+|[A-Za-z_]\w*)\s*)?\)/g;
  for (const m of String(source || "").matchAll(re)) {
    const c = m[3];
    if (c === undefined || c === "None") out.set(m[2], null);
    else if (/^\d+$/.test(c)) out.set(m[2], Number(c));
    else if (typeof params?.[c] === "number") out.set(m[2], params[c]);
  }
  return out;
}
