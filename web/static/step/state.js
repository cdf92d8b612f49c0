// The state of a run at a cursor: every thread's state and line, every
// cell's value, every lock's holder and waiters, every channel's
// contents, after the events up to the cursor. No DOM.
//
// A cursor is an index into the run's events (-1: before the first); the
// state at it includes the event under it. A choice of the student as
// scheduler is a cursor at the end of the events so far, so the same
// Stepper serves both: it only ever reads events appended to its array.
//
// Speed: a snapshot (checkpoint) every `every` events, built lazily in
// one pass; the state at i is the nearest checkpoint at or before i,
// copied, with at most `every` - 1 events replayed on it. What never
// changes once an event has arrived is indexed once, outside the
// snapshots: the value each cell version holds (a `get` of version n
// tells it, an `add` that wrote n tells n - 1), and each channel's sent
// messages in order, so a snapshot holds counts, not copies of queues.

export const EVERY = 2048;

// Thread states, as `state` in a thread's record.
export const RUNNING = "running";

const TERMINAL = { end: "ended", panic: "panicked", cutoff: "cutoff" };
const WAITS = { lock: "lock", join: "join", send: "send", recv: "recv", sleep: "sleep", work: "work" };
const DONE = { acquired: "lock", joined: "join", sent: "send", received: "recv", wake: "sleep", worked: "work" };

// emptyState is the state before any event.
export function emptyState() {
  return { at: -1, threads: new Map(), names: new Map(), cells: new Map(), locks: new Map(), chans: new Map() };
}

// cloneState copies a state deeply enough that replaying on the copy
// leaves the original as it was.
export function cloneState(s) {
  const threads = new Map();
  for (const [k, t] of s.threads) threads.set(k, { ...t });
  const cells = new Map();
  for (const [k, c] of s.cells) cells.set(k, { ...c });
  const locks = new Map();
  for (const [k, l] of s.locks) locks.set(k, { ...l, waiters: l.waiters.slice() });
  const chans = new Map();
  for (const [k, c] of s.chans) chans.set(k, { ...c });
  return { at: s.at, threads, names: new Map(s.names), cells, locks, chans };
}

// Index holds what each event tells for good, whatever the cursor: cell
// versions' values and channels' sent messages.
const CELL_KINDS = new Set(["get", "set", "add", "cas", "swap"]);

export class Index {
  constructor() {
    this.values = new Map(); // cell -> Map(version -> value)
    this.sent = new Map(); // channel -> [{v, ver, th, i}] in event order
    this.n = 0; // events indexed
    this.versioned = false; // whether cell events carry versions
  }

  add(events) {
    for (let i = this.n; i < events.length; i++) {
      const e = events[i];
      if (e.ver !== undefined && CELL_KINDS.has(e.k)) this.versioned = true;
      switch (e.k) {
        case "get": this.value(e.obj, e.ver ?? 0, e.v); break;
        case "set": case "swap": if (e.ver !== undefined) this.value(e.obj, e.ver, e.v); break;
        case "add": if (e.ver !== undefined) this.value(e.obj, e.ver - 1, e.v); break;
        case "sent": {
          let q = this.sent.get(e.obj);
          if (!q) this.sent.set(e.obj, (q = []));
          q.push({ v: e.v, ver: e.ver, th: e.th, i });
          break;
        }
      }
    }
    this.n = events.length;
  }

  value(cell, ver, v) {
    let m = this.values.get(cell);
    if (!m) this.values.set(cell, (m = new Map()));
    if (!m.has(ver)) m.set(ver, v);
  }
}

function thread(s, id, name) {
  let t = s.threads.get(id);
  if (!t) {
    t = { th: id, name: name ?? `thread ${id}`, state: "new", obj: null, v: undefined, was: "", wasObj: null, line: 0, i: -1, parent: -1, joinedBy: -1 };
    s.threads.set(id, t);
  }
  if (name !== undefined && name !== null) {
    t.name = name;
    s.names.set(name, id);
  }
  return t;
}

function cell(s, name) {
  let c = s.cells.get(name);
  if (!c) {
    c = { name, ver: -1, value: undefined, known: false, writer: -1, wline: 0, i: -1 };
    s.cells.set(name, c);
  }
  return c;
}

function lock(s, name) {
  let l = s.locks.get(name);
  if (!l) {
    l = { name, holder: -1, since: -1, waiters: [] };
    s.locks.set(name, l);
  }
  return l;
}

function chan(s, name) {
  let c = s.chans.get(name);
  if (!c) {
    c = { name, sent: 0, recv: 0, closed: false };
    s.chans.set(name, c);
  }
  return c;
}

// seeVersion moves a cell to a version (never back: on real threads a
// read can be recorded after a later write) and looks its value up.
function seeVersion(c, ver, ix) {
  if (ver < c.ver) return;
  c.ver = ver;
  const m = ix.values.get(c.name);
  c.known = !!m && m.has(ver);
  c.value = c.known ? m.get(ver) : undefined;
}

// write applies a write to a cell: with a version, its value comes from
// the index; without (runs recorded before versions), from the event.
function write(c, e, i, ix, v, known) {
  c.writer = e.th;
  c.wline = e.line ?? 0;
  if (e.ver !== undefined) seeVersion(c, e.ver, ix);
  else {
    c.ver++;
    c.value = v;
    c.known = known;
  }
}

// apply changes s by events[i].
export function apply(s, e, i, ix) {
  const t = thread(s, e.th, e.k === "start" ? e.obj : undefined);
  t.i = i;
  if (e.line) t.line = e.line;
  s.at = i;
  if (WAITS[e.k]) {
    t.state = WAITS[e.k];
    t.obj = e.obj ?? null;
    t.v = e.v;
  } else if (DONE[e.k] || e.k === "start") {
    t.state = RUNNING;
    t.obj = null;
    t.v = undefined;
  } else if (TERMINAL[e.k]) {
    // A thread cut off while it waited keeps what it waited for: a
    // deadlock's threads are cut off in their waits.
    const waiting = e.k === "cutoff" && WAITS[t.state] !== undefined;
    t.was = waiting ? t.state : "";
    t.wasObj = waiting ? t.obj : null;
    t.state = TERMINAL[e.k];
    t.obj = null;
    t.v = e.k === "end" ? undefined : e.v;
  }
  switch (e.k) {
    case "spawn": {
      // Runs recorded before spawn named the child's id meet it at start.
      if (typeof e.v === "number") thread(s, e.v, e.obj).parent = e.th;
      break;
    }
    case "joined": {
      const id = typeof e.v === "number" ? e.v : s.names.get(e.obj);
      const child = s.threads.get(id);
      if (child) child.joinedBy = e.th;
      break;
    }
    case "lock": lock(s, e.obj).waiters.push(e.th); break;
    case "acquired": {
      const l = lock(s, e.obj);
      const w = l.waiters.indexOf(e.th);
      if (w >= 0) l.waiters.splice(w, 1);
      l.holder = e.th;
      l.since = i;
      break;
    }
    case "trylock": {
      const l = lock(s, e.obj);
      if (e.v) {
        l.holder = e.th;
        l.since = i;
      }
      break;
    }
    case "unlock": {
      const l = lock(s, e.obj);
      if (l.holder === e.th) l.holder = -1;
      l.since = i;
      break;
    }
    case "get": {
      const c = cell(s, e.obj);
      c.i = i;
      // In a run with versions a read of the initial value leaves its
      // version (0) out.
      if (ix.versioned) seeVersion(c, e.ver ?? 0, ix);
      else if (c.ver < 0) {
        c.ver = 0;
        c.value = e.v;
        c.known = true;
      } else {
        c.value = e.v;
        c.known = true;
      }
      break;
    }
    case "set": case "swap": write(cell(s, e.obj), e, i, ix, e.v, true); cell(s, e.obj).i = i; break;
    case "add": write(cell(s, e.obj), e, i, ix, undefined, false); cell(s, e.obj).i = i; break;
    case "cas": {
      const c = cell(s, e.obj);
      c.i = i;
      if (e.v) write(c, e, i, ix, undefined, false);
      break;
    }
    case "sent": chan(s, e.obj).sent++; break;
    case "received": {
      const c = chan(s, e.obj);
      // A receipt without a message number on a closed, drained channel
      // is the None a closed channel gives.
      if (!(e.ver === undefined && c.closed && c.recv >= c.sent)) c.recv++;
      break;
    }
    case "close": chan(s, e.obj).closed = true; break;
  }
}

// replay applies events[from..to] (inclusive) to s.
export function replay(s, events, from, to, ix) {
  for (let i = from; i <= to; i++) apply(s, events[i], i, ix);
  return s;
}

// fullReplay is the state at cursor i from the start: the slow way, the
// one the checkpoints must agree with.
export function fullReplay(events, i) {
  const ix = new Index();
  ix.add(events);
  return replay(emptyState(), events, 0, i, ix);
}

// Stepper gives the state at any cursor of a growing events array.
export class Stepper {
  constructor(events = [], every = EVERY) {
    this.events = events;
    this.every = every;
    this.index = new Index();
    this.checks = [emptyState()]; // checks[k]: the state before events[k*every]
  }

  get length() {
    return this.events.length;
  }

  // build makes every checkpoint the events so far allow (after a run
  // ends, so that the first step is as quick as the others).
  build() {
    this.index.add(this.events);
    this.ensure(Math.floor(this.events.length / this.every));
  }

  ensure(k) {
    const E = this.every;
    let last = this.checks.length - 1;
    if (last >= k) return;
    const s = cloneState(this.checks[last]);
    while (last < k) {
      replay(s, this.events, last * E, (last + 1) * E - 1, this.index);
      last++;
      this.checks.push(cloneState(s));
    }
  }

  // stateAt is the state after events[i] (i = -1: before the first).
  stateAt(i) {
    const n = this.events.length;
    if (i >= n) i = n - 1;
    if (i < -1) i = -1;
    if (this.index.n < n) this.index.add(this.events);
    const k = Math.floor((i + 1) / this.every);
    this.ensure(k);
    const s = cloneState(this.checks[k]);
    return replay(s, this.events, k * this.every, i, this.index);
  }

  // contents lists what channel c holds in state s: sent, not received.
  contents(s, name) {
    const c = s.chans.get(name);
    const q = this.index.sent.get(name) || [];
    if (!c) return [];
    return q.slice(Math.min(c.recv, c.sent), c.sent);
  }
}
