// The timeline's model: events folded, as they arrive, into lanes of
// sorted instants and spans, plus the arrows between lanes. It knows
// nothing of the page, so it can be fed from the socket, from a test or
// from a benchmark alike.
//
// Every table a renderer searches is kept sorted by time, so drawing a
// window of time is a binary search and a walk, whatever the run's size:
//   lane.marks        instants (get, set, print, check, spawn...) by t
//   lane.rows[0]      waits, sleeps and work, one at a time, by t0
//   lane.rows[1..]    lock holds; a hold takes the first free row, so the
//                     spans of one row never overlap and are sorted by t0
//                     and by t1 at once
//   trace.arrows[k]   arrows of kind k by their later end (tb)
// They are struct-of-arrays tables (store.js), not arrays of objects: the
// events are trace.events, an EventStore, and the rest refer to them by
// index.

import { firstAt, eventBySeq } from "./search.js";
import { EventStore, SpanRow, SegRow, MarkRow, ArrowList, Queue, UNFINISHED, CYCLE } from "./store.js";

import { OPENS, CLOSES, MARK_KINDS, ARROW_KINDS, STATE_OF } from "./kinds.js";

export { MARK_KINDS, ARROW_KINDS, ranShare, waitWords } from "./kinds.js";

export class Lane {
  constructor(kind, id, name, events) {
    this.kind = kind; // "thread" or "os"
    this.id = id;
    this.name = name;
    this.parent = -1;
    this.state = "new";
    this.events = events;
    this.marks = new MarkRow(events);
    this.rows = [new SpanRow(events, 0)];
    this.segs = new SegRow("th"); // os lanes: which scenario thread ran, {th, t0, t1, n}
    this.cpu = new SegRow("cpu"); // {cpu, t0, t1}
    this.flags = []; // failed checks and panics
    this.count = 0; // events
    this.spanCount = 0;
    this.t0 = null; // first event
    this.lastT = -Infinity;
    this.endEvent = null; // end, panic or cutoff
    this.cut = null; // the cutoff event
    this.open = new Map(); // span kind -> event that opened it (row 0)
    this.holds = new Map(); // mutex -> [row, event that opened the hold]
    this.tids = new Set();
    this.deadlocked = false;
  }

  get tEnd() {
    return this.endEvent ? this.endEvent.t : null;
  }
}

// spanIndex finds the span of a row that event ei opened (rows are
// short-lived where they change: the open span is at or near the end).
function spanIndex(row, ei) {
  for (let i = row.n - 1; i >= 0; i--) if (row.e0[i] === ei) return i;
  return -1;
}

export class Trace {
  constructor() {
    this.version = 0;
    this.reset();
  }

  reset(meta = {}) {
    this.mode = meta.mode || "";
    this.events = new EventStore();
    this.threads = new Map(); // id -> Lane
    this.lanes = []; // thread lanes, main first, then by id
    this.osLanes = new Map(); // tid -> Lane
    this.osList = []; // os lanes in order of first appearance
    this.arrows = {};
    for (const k of ARROW_KINDS) this.arrows[k] = new ArrowList(k, this.events.strings);
    this.maxDur = { spawn: 0, join: 0, handoff: 0, message: 0 };
    this.spawnOf = new Map();
    this.startOf = new Map();
    this.endOf = new Map();
    this.pendingJoins = new Map();
    this.joining = new Map(); // joiner -> the thread id its join names
    this.byName = new Map();
    this.lastUnlock = new Map();
    this.chans = new Map();
    this.mutexes = new Map(); // mutex -> its index, in order of first use
    this.flags = [];
    this.lines = new Map(); // script line -> events
    this.cycle = [];
    this.races = []; // the analysis's findings, each with its events
    this.result = null;
    this.running = false;
    this.minT = Infinity;
    this.maxT = 0;
    this.hasOS = false;
    this.hasCPU = false;
    this.spanCount = 0;
    this.unordered = 0; // events that arrived out of time order in their lane
    this.timedWaits = false; // runnable events say when work waited to run
    this.version++;
    this.thread(0, "main");
  }

  // thread returns the lane of a scenario thread, making it if needed.
  thread(id, name) {
    let l = this.threads.get(id);
    if (!l) {
      l = new Lane("thread", id, name || (id === 0 ? "main" : `thread ${id}`), this.events);
      this.threads.set(id, l);
      const i = firstAt(this.lanes, id, "id");
      this.lanes.splice(i, 0, l);
    } else if (name && l.name !== name) {
      l.name = name;
    }
    return l;
  }

  osLane(tid) {
    let l = this.osLanes.get(tid);
    if (!l) {
      l = new Lane("os", tid, `OS thread ${tid}`, this.events);
      this.osLanes.set(tid, l);
      this.osList.push(l);
    }
    return l;
  }

  addAll(events) {
    // events: an array, or an EventStore (a download's, page/rest.js).
    for (let i = 0; i < events.length; i++) this.add(events.at(i));
    this.version++;
  }

  // add folds an event in. The store copies its fields; the object itself
  // is kept only for the few events the fold remembers (a thread's end, a
  // flag, a mutex's last unlock).
  add(ev) {
    const ei = this.events.push(ev);
    const e = ev;
    const t = e.t;
    if (t > this.maxT) this.maxT = t;
    if (t < this.minT) this.minT = t;
    if (e.line) this.lines.set(e.line, (this.lines.get(e.line) || 0) + 1);
    const lane = this.thread(e.th);
    lane.count++;
    if (lane.t0 === null || t < lane.t0) lane.t0 = t;
    if (t < lane.lastT) this.unordered++;
    else lane.lastT = t;
    if (lane.state === "new") lane.state = "running";

    const k = e.k;
    if (MARK_KINDS.has(k)) {
      const marks = lane.marks;
      const n = marks.n;
      const d = this.events.d;
      // d staggers instants that share one time, so each can be seen.
      if (n === 0 || marks.t[n - 1] <= t) d[ei] = n && marks.t[n - 1] === t ? d[marks.ev[n - 1]] + 1 : 0;
      else d[ei] = 0;
      e._d = d[ei];
      marks.put(ei);
    }
    const opens = OPENS[k];
    if (opens) this.openSpan(lane, opens, ei);
    const closes = CLOSES[k];
    if (closes) this.closeSpan(lane, closes, ei);

    switch (k) {
      case "spawn":
        if (typeof e.v === "number") {
          const child = this.thread(e.v, e.obj);
          child.parent = e.th;
          if (e.obj) this.byName.set(e.obj, e.v);
          this.spawnOf.set(e.v, e);
          const st = this.startOf.get(e.v);
          if (st) this.arrow("spawn", e, st, e.obj);
        }
        break;
      case "start": {
        if (e.obj) {
          lane.name = e.obj;
          this.byName.set(e.obj, e.th);
        }
        const sp = this.spawnOf.get(e.th);
        if (sp) this.arrow("spawn", sp, e, lane.name);
        else this.startOf.set(e.th, e);
        break;
      }
      case "end":
      case "panic":
      case "cutoff":
        this.endThread(lane, e);
        break;
      case "join":
        // The join names the thread by id (names need not be unique).
        if (typeof e.v === "number") this.joining.set(e.th, e.v);
        break;
      case "joined": {
        // Runs recorded before joins carried the id: the latest thread of
        // that name.
        const child = this.joining.has(e.th) ? this.joining.get(e.th) : this.byName.get(e.obj);
        this.joining.delete(e.th);
        if (child !== undefined) {
          const end = this.endOf.get(child);
          if (end) this.arrow("join", end, e, e.obj);
          else {
            if (!this.pendingJoins.has(child)) this.pendingJoins.set(child, []);
            this.pendingJoins.get(child).push(e);
          }
        }
        break;
      }
      case "acquired":
        this.acquire(lane, e);
        break;
      case "trylock":
        if (e.v === true) this.acquire(lane, e);
        break;
      case "unlock": {
        const h = lane.holds.get(e.obj);
        if (h) {
          const row = lane.rows[h[0]];
          const i = spanIndex(row, h[1]);
          if (i >= 0) {
            row.t1[i] = t;
            row.e1[i] = ei;
          }
          lane.holds.delete(e.obj);
        }
        this.lastUnlock.set(e.obj, e);
        break;
      }
      case "sent": {
        const ch = this.chan(e.obj);
        ch.nSent++;
        if (ch.recv.length) this.message(ch, this.sentFrom(lane, e), ch.recv.shift());
        else ch.sent.push(this.sentFrom(lane, e));
        break;
      }
      case "received": {
        const ch = this.chan(e.obj);
        if ((e.v === null || e.v === undefined) && ch.closed && ch.nRecv >= ch.nSent) break; // closed and drained
        ch.nRecv++;
        const to = { th: e.th, t: e.t, seq: e.seq };
        if (ch.sent.length) this.message(ch, ch.sent.shift(), to);
        else ch.recv.push(to);
        break;
      }
      case "close":
        this.chan(e.obj).closed = true;
        break;
      case "check":
        if (e.obj === "failed") this.flag(lane, e);
        break;
      case "runnable": {
        this.timedWaits = true;
        const w = lane.open.get("work");
        if (w !== undefined && typeof e.v === "number") lane.rows[0].addWait(w, e.t, e.v);
        break;
      }
    }
    // Which OS thread and CPU ran the thread: segments from event to event
    // while it runs. A blocking request (a wait, a sleep) ends its segments:
    // blocked, it runs nowhere, and in green mode its OS thread runs others.
    const blocks = opens !== undefined && opens !== "work";
    if (e.tid !== undefined) {
      this.hasOS = true;
      lane.tids.add(e.tid);
      const ol = this.osLane(e.tid);
      ol.count++;
      if (ol.t0 === null || t < ol.t0) ol.t0 = t;
      if (t > ol.lastT) ol.lastT = t;
      ol.state = "running";
      ol.segs.extend(e.th, t);
      if (blocks) ol.segs.close();
      if (e.cpu !== undefined) {
        ol.cpu.extend(e.cpu, t);
        if (blocks) ol.cpu.close();
      }
    }
    if (e.cpu !== undefined) {
      this.hasCPU = true;
      lane.cpu.extend(e.cpu, t);
      if (blocks) lane.cpu.close();
    }
  }

  openSpan(lane, kind, ei, row = 0) {
    if (row === 0) lane.open.set(kind, ei);
    lane.rows[row].open(kind, ei);
    lane.spanCount++;
    this.spanCount++;
  }

  closeSpan(lane, kind, ei) {
    const e0 = lane.open.get(kind);
    if (e0 === undefined) return;
    lane.open.delete(kind);
    const row = lane.rows[0];
    const i = spanIndex(row, e0);
    if (i < 0) return;
    const t1 = this.events.t[ei];
    if (t1 <= row.t0[i]) {
      // No time passed: nothing to draw, and an empty span would only hide
      // the instants around it.
      row.removeAt(i);
      lane.spanCount--;
      this.spanCount--;
      return;
    }
    row.t1[i] = t1;
    row.e1[i] = ei;
  }

  acquire(lane, e) {
    if (!this.mutexes.has(e.obj)) this.mutexes.set(e.obj, this.mutexes.size);
    const u = this.lastUnlock.get(e.obj);
    if (u && u.th !== e.th) this.arrow("handoff", u, e, e.obj);
    let row = 1;
    for (; row < lane.rows.length; row++) {
      const r = lane.rows[row];
      if (!r.n || !Number.isNaN(r.t1[r.n - 1])) break;
    }
    if (row === lane.rows.length) lane.rows.push(new SpanRow(this.events, row));
    const ei = this.events.n - 1;
    this.openSpan(lane, "hold", ei, row);
    lane.holds.set(e.obj, [row, ei]);
  }

  endThread(lane, e) {
    lane.state = STATE_OF[e.k];
    lane.endEvent = e;
    if (e.k === "cutoff") lane.cut = e;
    if (e.k === "panic") this.flag(lane, e);
    // Whatever was open stays open: it ends here, unfinished.
    const unfinish = (row, e0) => {
      const i = spanIndex(row, e0);
      if (i < 0) return;
      row.t1[i] = Math.max(e.t, row.t0[i]);
      row.fl[i] |= UNFINISHED;
    };
    for (const e0 of lane.open.values()) unfinish(lane.rows[0], e0);
    lane.open.clear();
    for (const [r, e0] of lane.holds.values()) unfinish(lane.rows[r], e0);
    lane.holds.clear();
    this.endOf.set(e.th, e);
    const waiting = this.pendingJoins.get(e.th);
    if (waiting) {
      for (const j of waiting) this.arrow("join", e, j, lane.name);
      this.pendingJoins.delete(e.th);
    }
  }

  flag(lane, e) {
    lane.flags.push(e);
    this.flags.push(e);
  }

  chan(name) {
    let c = this.chans.get(name);
    if (!c) {
      // sent and recv queue what is not yet paired: {th, t, seq} each.
      c = { name, sent: new Queue(), recv: new Queue(), nSent: 0, nRecv: 0, closed: false };
      this.chans.set(name, c);
    }
    return c;
  }

  // sentFrom is where a message's arrow starts: the moment the sender
  // asked to send (its send span), or the sent event.
  sentFrom(lane, e) {
    const row = lane.rows[0];
    const ev = this.events;
    for (let j = row.n - 1; j >= 0 && j >= row.n - 4; j--) {
      if (row.kindAt(j) === "send" && row.e1[j] >= 0 && ev.seq[row.e1[j]] === e.seq) return { th: e.th, t: row.t0[j], seq: e.seq };
    }
    return { th: e.th, t: e.t, seq: e.seq };
  }

  // message links the i-th value sent on a channel to the i-th received.
  message(ch, from, to) {
    this.arrow("message", from, to, ch.name);
  }

  arrow(kind, from, to, obj) {
    this.arrows[kind].put(from, to, obj);
    const d = Math.abs(from.t - to.t);
    if (d > this.maxDur[kind]) this.maxDur[kind] = d;
  }

  // finish takes the run's result: final thread names and states, and the
  // deadlock's wait-for cycle placed on the spans it is made of.
  finish(res) {
    this.result = res;
    this.running = false;
    for (const th of res.threads || []) {
      const l = this.thread(th.id, th.name);
      if (l.state === "new" || l.state === "running") l.state = th.state;
      l.final = th.state;
      if (th.panic) l.panic = th.panic;
    }
    this.cycle = [];
    const cycle = (res.deadlock && res.deadlock.cycle) || [];
    const waitKind = {
      lock: "wait", join: "join", send: "send", recv: "recv", read: "wait", write: "wait",
      wait: "cvwait", barrier: "barrier", acquire: "sem", park: "park", once: "once",
    };
    for (const edge of cycle) {
      const waiter = this.thread(edge.th, edge.thread);
      // A channel wait has no holder (holder -1): nobody is left to use it.
      const holder = edge.holder >= 0 ? this.thread(edge.holder, edge.holder_name) : null;
      waiter.deadlocked = true;
      if (holder) holder.deadlocked = true;
      const kind = waitKind[edge.op] || "wait";
      const wait = lastSpan(waiter.rows[0], (s) => s.kind === kind && (s.obj === edge.obj || !edge.obj));
      let hold = null;
      for (let r = 1; holder && r < holder.rows.length && !hold; r++) {
        const h = lastSpan(holder.rows[r], (s) => s.obj === edge.obj && (s.unfinished || s.t1 === null));
        if (h) hold = h;
      }
      this.cycle.push({
        ...edge,
        t: wait ? wait.t0 : (waiter.tEnd ?? this.maxT),
        holdT: hold ? hold.t0 : null,
        wait,
        hold,
      });
    }
    this.races = placeRaces(this.events, res.races);
    this.trim();
    this.version++;
  }

  // trim gives the tables of a finished run back the room they grew for
  // events that never came.
  trim() {
    this.events.trim();
    for (const l of [...this.lanes, ...this.osList]) {
      for (const t of [l.marks, l.segs, l.cpu, ...l.rows]) t.trim();
    }
    for (const k of ARROW_KINDS) this.arrows[k].trim();
  }

  // spans lists every span, for tests and for people poking at the model.
  allSpans() {
    const out = [];
    for (const l of this.lanes) for (const row of l.rows) for (const s of row) out.push(s);
    return out;
  }

  // hash is an FNV-1a digest of the events, to compare two runs.
  hash() {
    let h = 0x811c9dc5;
    for (const e of this.events) {
      const s = `${e.seq}|${e.t}|${e.th}|${e.k}|${e.obj ?? ""}|${JSON.stringify(e.v ?? null)}|${e.line ?? 0};`;
      for (let i = 0; i < s.length; i++) {
        h ^= s.charCodeAt(i);
        h = Math.imul(h, 0x01000193);
      }
    }
    return (h >>> 0).toString(16).padStart(8, "0");
  }
}

// placeRaces gives each finding of the analysis its events, found by seq
// (an event the page never got, dropped for a slow connection, is left
// out of events; a finding with none is still listed).
export function placeRaces(events, races) {
  return (races || []).map((r) => {
    const acc = raceAccesses(r);
    return { ...r, accesses: acc, events: acc.map((a) => eventBySeq(events, a.seq)).filter(Boolean) };
  });
}

// raceAccesses lists a finding's accesses in the order they happened.
export function raceAccesses(r) {
  return [r.a, r.b, r.c].filter((a) => a && a.seq !== undefined);
}

// lastSpan is the last span of a row that ok accepts, marked as part of
// the deadlock's cycle in the row.
function lastSpan(row, ok) {
  for (let i = row.n - 1; i >= 0; i--) {
    const s = row.at(i);
    if (ok(s)) {
      row.fl[i] |= CYCLE;
      s.cycle = true;
      return s;
    }
  }
  return null;
}
