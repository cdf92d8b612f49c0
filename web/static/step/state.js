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
//
// Events are an array of event objects, or the page's EventStore
// (timeline/store.js), typed-array tables whose at(i) makes a new object
// at every call. From a store the replay reads each event into one
// scratch object instead (readInto), reused for every event: nothing
// here keeps an event object past its apply.

export const EVERY = 2048;

// Thread states, as `state` in a thread's record.
export const RUNNING = "running";

const TERMINAL = { end: "ended", panic: "panicked", cutoff: "cutoff" };
const WAITS = { lock: "lock", join: "join", send: "send", recv: "recv", sleep: "sleep", work: "work" };
const DONE = { acquired: "lock", joined: "join", sent: "send", received: "recv", wake: "sleep", worked: "work" };

// A state's records (one per thread, cell, lock, channel) are shared
// between a state and its copies until one of them changes a record: it
// changes its own copy (copy on write). A copy of a state therefore costs
// its maps, not its records. owned (not enumerable, so two states still
// compare by what they hold) is the set of records a state may change.
function withOwned(s) {
  Object.defineProperty(s, "owned", { value: new Set(), writable: true, enumerable: false });
  return s;
}

// emptyState is the state before any event.
export function emptyState() {
  return withOwned({ at: -1, threads: new Map(), names: new Map(), cells: new Map(), locks: new Map(), chans: new Map() });
}

// cloneState copies a state so that replaying on the copy leaves the
// original as it was, and replaying on the original leaves the copy.
export function cloneState(s) {
  s.owned = new Set();
  return withOwned({
    at: s.at, threads: new Map(s.threads), names: new Map(s.names), cells: new Map(s.cells),
    locks: new Map(s.locks), chans: new Map(s.chans),
  });
}

// mine gives the record of key in map that s may change: its own, or a
// copy of a shared one put in its place.
function mine(s, map, key) {
  let o = map.get(key);
  if (o && !s.owned.has(o)) {
    o = o.waiters ? { ...o, waiters: o.waiters.slice() } : { ...o };
    map.set(key, o);
    s.owned.add(o);
  }
  return o;
}

function fresh(s, map, key, o) {
  map.set(key, o);
  s.owned.add(o);
  return o;
}

// reader gives read(i), event i of events: the array's own object, or a
// store's event read into the one scratch object.
export function reader(events) {
  if (typeof events.readInto !== "function") return (i) => events.at(i);
  const e = { th: 0, k: "", obj: undefined, v: undefined, ver: undefined, line: undefined };
  return (i) => events.readInto(i, e);
}

// Index holds what each event tells for good, whatever the cursor: cell
// versions' values and channels' sent messages.
const CELL_KINDS = new Set(["get", "set", "add", "cas", "swap"]);

export class Index {
  constructor() {
    this.values = new Map(); // cell -> [value by version] (a hole: not known)
    this.sent = new Map(); // channel -> [{v, ver, th, i}] in event order
    this.n = 0; // events indexed
    this.versioned = false; // whether cell events carry versions
  }

  // add indexes events from the first not yet indexed, up to end.
  add(events, end = events.length, read = reader(events)) {
    end = Math.min(end, events.length);
    for (let i = this.n; i < end; i++) {
      const e = read(i);
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
    this.n = Math.max(this.n, end);
  }

  value(cell, ver, v) {
    let a = this.values.get(cell);
    if (!a) this.values.set(cell, (a = []));
    if (!(ver in a)) a[ver] = v;
  }
}

function thread(s, id, name) {
  let t = mine(s, s.threads, id);
  if (!t) {
    t = fresh(s, s.threads, id, { th: id, name: name ?? `thread ${id}`, state: "new", obj: null, v: undefined, was: "", wasObj: null, line: 0, i: -1, parent: -1, joinedBy: -1 });
  }
  if (name !== undefined && name !== null) {
    t.name = name;
    s.names.set(name, id);
  }
  return t;
}

function cell(s, name) {
  let c = mine(s, s.cells, name);
  if (!c) c = fresh(s, s.cells, name, { name, ver: -1, value: undefined, known: false, writer: -1, wline: 0, i: -1 });
  return c;
}

function lock(s, name) {
  let l = mine(s, s.locks, name);
  if (!l) l = fresh(s, s.locks, name, { name, holder: -1, since: -1, waiters: [] });
  return l;
}

function chan(s, name) {
  let c = mine(s, s.chans, name);
  if (!c) c = fresh(s, s.chans, name, { name, sent: 0, recv: 0, closed: false });
  return c;
}

// seeVersion moves a cell to a version (never back: on real threads a
// read can be recorded after a later write) and looks its value up.
function seeVersion(c, ver, ix) {
  if (ver < c.ver) return;
  c.ver = ver;
  const a = ix.values.get(c.name);
  const v = a?.[ver];
  c.known = v !== undefined || (!!a && ver in a);
  c.value = v;
}

// write applies a write to a cell: with a version, its value comes from
// the index; without (runs recorded before versions), from the event.
function write(c, e, i, ix, v, known) {
  c.i = i;
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
      const child = s.threads.has(id) ? mine(s, s.threads, id) : null;
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
    case "set": case "swap": write(cell(s, e.obj), e, i, ix, e.v, true); break;
    case "add": write(cell(s, e.obj), e, i, ix, undefined, false); break;
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

// replay applies events[from..to] (inclusive) to s; read is
// reader(events), made once by a caller that replays often.
export function replay(s, events, from, to, ix, read = reader(events)) {
  for (let i = from; i <= to; i++) apply(s, read(i), i, ix);
  return s;
}

// fullReplay is the state at cursor i from the start: the slow way, the
// one the checkpoints must agree with.
export function fullReplay(events, i) {
  const ix = new Index();
  ix.add(events);
  return replay(emptyState(), events, 0, i, ix);
}

// sizeOf counts the objects a state holds: what a copy of it costs.
function sizeOf(s) {
  return s.threads.size + s.cells.size + s.locks.size + s.chans.size;
}

// lastAtOrBefore is the index of the last checkpoint at or before event i.
function lastAtOrBefore(checks, i) {
  let lo = 0;
  let hi = checks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (checks[mid].i <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// Stepper gives the state at any cursor of a growing events array.
export class Stepper {
  // every is the least number of events between two checkpoints; a run
  // with many objects spaces them wider (perObject events per object it
  // holds), so that the snapshots' maps together hold at most about
  // 1 / perObject entries per event, whatever the run.
  constructor(events = [], every = EVERY, perObject = 0.5) {
    this.events = events;
    this.read = reader(events);
    this.every = every;
    this.perObject = perObject;
    this.index = new Index();
    this.checks = [{ i: 0, s: emptyState() }]; // s: the state before events[i]
    // tail: the state the last checkpoint was copied from, which the next
    // checkpoint's replay goes on with (null: none yet), so that a
    // checkpoint costs one copy of the state however it is built.
    this.tail = null;
  }

  get length() {
    return this.events.length;
  }

  // build makes every checkpoint the events so far allow (after a run
  // ends, so that the first step is as quick as the others).
  build() {
    this.index.add(this.events, this.events.length, this.read);
    this.ensure(this.events.length);
  }

  // buildSome does a piece of build's work, about n events of it (at
  // least one checkpoint, however far apart they are), and says whether
  // all is built.
  buildSome(n = 100000) {
    const len = this.events.length;
    if (this.index.n < len) {
      this.index.add(this.events, this.index.n + n, this.read);
      return false;
    }
    const last = this.checks[this.checks.length - 1];
    this.ensure(Math.min(len, last.i + Math.max(n, this.gap(last.s))));
    const top = this.checks[this.checks.length - 1];
    return top.i + this.gap(top.s) > len;
  }

  // buildFor does build's work for about ms milliseconds, in pieces of
  // about n events, and says whether all is built: the page builds after
  // a run ends in short tasks, free to answer a click between two, on a
  // slow machine as on a fast one.
  buildFor(ms = 10, n = 8192) {
    const t0 = performance.now();
    for (;;) {
      if (this.buildSome(n)) return true;
      if (performance.now() - t0 >= ms) return false;
    }
  }

  // gap is the number of events from a checkpoint of state s to the next.
  gap(s) {
    return Math.max(this.every, Math.ceil(this.perObject * sizeOf(s)));
  }

  // ensure builds checkpoints until the next would be past event i.
  ensure(i) {
    let last = this.checks[this.checks.length - 1];
    for (;;) {
      const gap = this.gap(last.s);
      if (last.i + gap > i) return;
      const s = (this.tail ??= cloneState(last.s));
      replay(s, this.events, last.i, last.i + gap - 1, this.index, this.read);
      last = { i: last.i + gap, s: cloneState(s) };
      this.checks.push(last);
    }
  }

  // stateAt is the state after events[i] (i = -1: before the first).
  stateAt(i) {
    const n = this.events.length;
    if (i >= n) i = n - 1;
    if (i < -1) i = -1;
    if (this.index.n < n) this.index.add(this.events, n, this.read);
    this.ensure(i + 1);
    const c = this.checks[lastAtOrBefore(this.checks, i + 1)];
    return replay(cloneState(c.s), this.events, c.i, i, this.index, this.read);
  }

  // contents lists what channel c holds in state s: sent, not received.
  contents(s, name) {
    const c = s.chans.get(name);
    const q = this.index.sent.get(name) || [];
    if (!c) return [];
    return q.slice(Math.min(c.recv, c.sent), c.sent);
  }
}
