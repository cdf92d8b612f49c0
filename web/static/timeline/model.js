// The timeline's model: events folded, as they arrive, into lanes of
// sorted instants and spans, plus the arrows between lanes. It knows
// nothing of the page, so it can be fed from the socket, from a test or
// from a benchmark alike.
//
// Every array a renderer searches is kept sorted by time, so drawing a
// window of time is a binary search and a walk, whatever the run's size:
//   lane.marks        instants (get, set, print, check, spawn...) by t
//   lane.rows[0]      waits, sleeps and work, one at a time, by t0
//   lane.rows[1..]    lock holds; a hold takes the first free row, so the
//                     spans of one row never overlap and are sorted by t0
//                     and by t1 at once
//   trace.arrows[k]   arrows of kind k by their later end (tb)

import { firstAt, insertSorted, eventBySeq } from "./search.js";
import { addWait } from "./runnable.js";

// A request opens a span that its completion closes.
const OPENS = {
  lock: "wait", join: "join", send: "send", recv: "recv", sleep: "sleep", work: "work",
  cvwait: "cvwait", bwait: "barrier", semacquire: "sem", park: "park", once: "once",
};
const CLOSES = {
  acquired: "wait", joined: "join", sent: "send", received: "recv", wake: "sleep", worked: "work",
  cvwoke: "cvwait", bpassed: "barrier", semacquired: "sem", unparked: "park", oncedone: "once",
};

// Kinds drawn as instants (the others are drawn as spans and arrows).
export const MARK_KINDS = new Set([
  "spawn", "start", "end", "panic", "cutoff", "get", "set", "add", "cas", "swap",
  "print", "check", "trylock", "close", "yield", "notify", "semrelease", "semtry", "unpark",
]);

// What a work span's thread did while it waited to run: runnable.js.
export { ranShare, waitWords } from "./runnable.js";

export const ARROW_KINDS = ["spawn", "join", "handoff", "message"];

const STATE_OF = { start: "running", end: "ended", panic: "panicked", cutoff: "cutoff" };

export class Lane {
  constructor(kind, id, name) {
    this.kind = kind; // "thread" or "os"
    this.id = id;
    this.name = name;
    this.parent = -1;
    this.state = "new";
    this.marks = [];
    this.rows = [[]];
    this.segs = []; // os lanes: which scenario thread ran, {th, t0, t1, n}
    this.cpu = []; // {cpu, t0, t1}
    this.flags = []; // failed checks and panics
    this.count = 0; // events
    this.spanCount = 0;
    this.t0 = null; // first event
    this.lastT = -Infinity;
    this.endEvent = null; // end, panic or cutoff
    this.cut = null; // the cutoff event
    this.open = new Map(); // span kind -> open span of row 0
    this.holds = new Map(); // mutex -> open hold
    this.tids = new Set();
    this.deadlocked = false;
  }

  get tEnd() {
    return this.endEvent ? this.endEvent.t : null;
  }
}

// extendSeg grows the last segment of a row if it has the same value and
// is not closed, or starts a new one.
function extendSeg(segs, key, value, t, th) {
  const last = segs[segs.length - 1];
  if (last && last[key] === value && !last.closed) {
    if (t > last.t1) last.t1 = t;
    if (t < last.t0) last.t0 = t;
    last.n++;
    return;
  }
  const seg = { t0: t, t1: t, n: 1, th };
  seg[key] = value;
  segs.push(seg);
}

export class Trace {
  constructor() {
    this.version = 0;
    this.reset();
  }

  reset(meta = {}) {
    this.mode = meta.mode || "";
    this.events = [];
    this.threads = new Map(); // id -> Lane
    this.lanes = []; // thread lanes, main first, then by id
    this.osLanes = new Map(); // tid -> Lane
    this.osList = []; // os lanes in order of first appearance
    this.arrows = { spawn: [], join: [], handoff: [], message: [] };
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
      l = new Lane("thread", id, name || (id === 0 ? "main" : `thread ${id}`));
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
      l = new Lane("os", tid, `OS thread ${tid}`);
      this.osLanes.set(tid, l);
      this.osList.push(l);
    }
    return l;
  }

  addAll(events) {
    for (let i = 0; i < events.length; i++) this.add(events[i]);
    this.version++;
  }

  add(e) {
    this.events.push(e);
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
      const prev = marks[marks.length - 1];
      if (!prev || prev.t <= t) {
        // _d staggers instants that share one time, so each can be seen.
        e._d = prev && prev.t === t ? prev._d + 1 : 0;
        marks.push(e);
      } else {
        e._d = 0;
        insertSorted(marks, e, "t");
      }
    }
    const opens = OPENS[k];
    if (opens) this.openSpan(lane, opens, e);
    const closes = CLOSES[k];
    if (closes) this.closeSpan(lane, closes, e);

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
          h.t1 = t;
          h.seq1 = e.seq;
          h.line1 = e.line;
          lane.holds.delete(e.obj);
        }
        this.lastUnlock.set(e.obj, e);
        break;
      }
      case "sent": {
        const ch = this.chan(e.obj);
        const i = ch.sent.push(e) - 1;
        if (i < ch.recv.length) this.message(ch, i);
        break;
      }
      case "received": {
        const ch = this.chan(e.obj);
        if ((e.v === null || e.v === undefined) && ch.closed && ch.recv.length >= ch.sent.length) break; // closed and drained
        const i = ch.recv.push(e) - 1;
        if (i < ch.sent.length) this.message(ch, i);
        break;
      }
      case "close":
        this.chan(e.obj).closed = true;
        break;
      case "check":
        if (e.obj === "failed") this.flag(lane, e);
        break;
      case "runnable":
        this.timedWaits = true;
        addWait(lane.open.get("work"), e);
        break;
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
      extendSeg(ol.segs, "th", e.th, t, e.th);
      if (blocks) ol.segs[ol.segs.length - 1].closed = true;
      if (e.cpu !== undefined) {
        extendSeg(ol.cpu, "cpu", e.cpu, t, e.th);
        if (blocks) ol.cpu[ol.cpu.length - 1].closed = true;
      }
    }
    if (e.cpu !== undefined) {
      this.hasCPU = true;
      extendSeg(lane.cpu, "cpu", e.cpu, t, e.th);
      if (blocks) lane.cpu[lane.cpu.length - 1].closed = true;
    }
  }

  openSpan(lane, kind, e, row = 0) {
    const s = {
      kind, obj: e.obj, th: e.th, t0: e.t, t1: null, seq0: e.seq, seq1: -1,
      line: e.line, v: e.v, row, unfinished: false,
    };
    if (row === 0) lane.open.set(kind, s);
    insertSorted(lane.rows[row], s, "t0");
    lane.spanCount++;
    this.spanCount++;
    return s;
  }

  closeSpan(lane, kind, e) {
    const s = lane.open.get(kind);
    if (!s) return null;
    lane.open.delete(kind);
    s.t1 = e.t;
    s.seq1 = e.seq;
    s.v1 = e.v;
    if (s.t1 <= s.t0) {
      // No time passed: nothing to draw, and an empty span would only hide
      // the instants around it. The last span of its row is this one.
      const row = lane.rows[0];
      const i = row.lastIndexOf(s);
      if (i >= 0) row.splice(i, 1);
      lane.spanCount--;
      this.spanCount--;
    }
    return s;
  }

  acquire(lane, e) {
    if (!this.mutexes.has(e.obj)) this.mutexes.set(e.obj, this.mutexes.size);
    const u = this.lastUnlock.get(e.obj);
    if (u && u.th !== e.th) this.arrow("handoff", u, e, e.obj);
    let row = 1;
    for (; row < lane.rows.length; row++) {
      const r = lane.rows[row];
      const last = r[r.length - 1];
      if (!last || last.t1 !== null) break;
    }
    if (row === lane.rows.length) lane.rows.push([]);
    const h = this.openSpan(lane, "hold", e, row);
    lane.holds.set(e.obj, h);
  }

  endThread(lane, e) {
    lane.state = STATE_OF[e.k];
    lane.endEvent = e;
    if (e.k === "cutoff") lane.cut = e;
    if (e.k === "panic") this.flag(lane, e);
    // Whatever was open stays open: it ends here, unfinished.
    for (const s of lane.open.values()) {
      s.t1 = Math.max(e.t, s.t0);
      s.unfinished = true;
    }
    lane.open.clear();
    for (const h of lane.holds.values()) {
      h.t1 = Math.max(e.t, h.t0);
      h.unfinished = true;
    }
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
      c = { sent: [], recv: [], closed: false };
      this.chans.set(name, c);
    }
    return c;
  }

  // message links the i-th value sent on a channel to the i-th received,
  // from the moment the sender asked to send.
  message(ch, i) {
    const sent = ch.sent[i];
    const recv = ch.recv[i];
    const lane = this.threads.get(sent.th);
    let from = sent;
    if (lane) {
      const row = lane.rows[0];
      for (let j = row.length - 1; j >= 0 && j >= row.length - 4; j--) {
        if (row[j].kind === "send" && row[j].seq1 === sent.seq) {
          from = { th: sent.th, t: row[j].t0, seq: sent.seq };
          break;
        }
      }
    }
    this.arrow("message", from, recv, sent.obj);
  }

  arrow(kind, from, to, obj) {
    const a = {
      kind, obj,
      from: { th: from.th, t: from.t, seq: from.seq },
      to: { th: to.th, t: to.t, seq: to.seq },
      ta: Math.min(from.t, to.t),
      tb: Math.max(from.t, to.t),
    };
    insertSorted(this.arrows[kind], a, "tb");
    const d = a.tb - a.ta;
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
      if (wait) wait.cycle = true;
      if (hold) hold.cycle = true;
      this.cycle.push({
        ...edge,
        t: wait ? wait.t0 : (waiter.tEnd ?? this.maxT),
        holdT: hold ? hold.t0 : null,
        wait,
        hold,
      });
    }
    this.races = placeRaces(this.events, res.races);
    this.version++;
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

function lastSpan(row, ok) {
  for (let i = row.length - 1; i >= 0; i--) if (ok(row[i])) return row[i];
  return null;
}
