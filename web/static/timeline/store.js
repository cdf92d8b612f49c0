// The timeline's compact storage: a run's events, spans, segments, marks
// and arrows as struct-of-arrays tables (one typed array per field)
// instead of one JS object each. A million events then take about 50 MB
// instead of 180, and the renderer reads times straight out of a
// Float64Array. Objects are still what the rest of the page sees: at(i)
// makes one for whoever asks (a tooltip, the log, the step cursor), and
// the tables iterate, find and map like arrays.

// Table is a growable struct-of-arrays: cols names each field's typed
// array constructor. Columns are replaced as the table grows, so read
// them (tab.t0) after adding, not before.
export class Table {
  constructor(cols) {
    this.cols = cols;
    this.n = 0;
    this.cap = 0;
    for (const [name, C] of Object.entries(cols)) this[name] = new C(0);
  }

  get length() {
    return this.n;
  }

  grow(min) {
    let cap = Math.max(64, this.cap);
    while (cap < min) cap *= 2;
    for (const [name, C] of Object.entries(this.cols)) {
      const a = new C(cap);
      a.set(this[name].subarray(0, this.n));
      this[name] = a;
    }
    this.cap = cap;
  }

  // trim gives back the room grown for rows that never came: a finished
  // run's tables are their size, not the next power of two.
  trim() {
    if (this.cap === this.n) return;
    for (const name of Object.keys(this.cols)) this[name] = this[name].slice(0, this.n);
    this.cap = this.n;
  }

  // add appends an empty row and returns its index.
  add() {
    if (this.n === this.cap) this.grow(this.n + 1);
    return this.n++;
  }

  // insertAt opens an empty row at i, moving the rows from i on.
  insertAt(i) {
    if (this.n === this.cap) this.grow(this.n + 1);
    for (const name of Object.keys(this.cols)) this[name].copyWithin(i + 1, i, this.n);
    this.n++;
    return i;
  }

  removeAt(i) {
    for (const name of Object.keys(this.cols)) this[name].copyWithin(i, i + 1, this.n);
    this.n--;
  }

  // insertSorted opens a row in the place that keeps column key sorted
  // (after rows with the same value) and returns its index.
  insertSorted(key, v) {
    const col = this[key];
    const n = this.n;
    if (n === 0 || col[n - 1] <= v) return this.add();
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (col[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    return this.insertAt(lo);
  }

  *[Symbol.iterator]() {
    for (let i = 0; i < this.n; i++) yield this.at(i);
  }

  find(f) {
    for (let i = 0; i < this.n; i++) {
      const x = this.at(i);
      if (f(x, i)) return x;
    }
    return undefined;
  }

  findLast(f) {
    for (let i = this.n - 1; i >= 0; i--) {
      const x = this.at(i);
      if (f(x, i)) return x;
    }
    return undefined;
  }

  some(f) {
    return this.find(f) !== undefined;
  }

  map(f) {
    const out = new Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = f(this.at(i), i);
    return out;
  }

  filter(f) {
    const out = [];
    for (let i = 0; i < this.n; i++) {
      const x = this.at(i);
      if (f(x, i)) out.push(x);
    }
    return out;
  }

  findIndex(f) {
    for (let i = 0; i < this.n; i++) if (f(this.at(i), i)) return i;
    return -1;
  }

  // toJSON writes the rows as the objects at(i) makes, as an array would.
  toJSON() {
    return this.slice();
  }

  slice(a = 0, b = this.n) {
    const out = [];
    for (let i = Math.max(0, a); i < Math.min(b, this.n); i++) out.push(this.at(i));
    return out;
  }
}

// Strings interns the names and values events repeat: each is stored
// once, and a table keeps its number.
export class Strings {
  constructor() {
    this.ids = new Map();
    this.list = [];
  }

  id(s) {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(s);
      this.ids.set(s, i);
    }
    return i;
  }
}

// KIND_CODES numbers the event kinds (the codec's order, codec.js), so
// that a kind is a byte; kinds from elsewhere get the next numbers.
const KIND_NAMES = [
  "invalid", "spawn", "start", "end", "panic", "cutoff", "join", "joined",
  "lock", "acquired", "unlock", "trylock", "get", "set", "add", "cas", "swap",
  "send", "sent", "recv", "received", "close", "sleep", "wake", "work",
  "worked", "print", "check", "yield",
  "cvwait", "cvwoke", "notify", "bwait", "bpassed", "semacquire",
  "semacquired", "semrelease", "semtry", "park", "unparked", "unpark",
  "once", "oncedone",
];

// The value kinds of an event's v (V_NONE: it has none).
const V_NONE = 0, V_NULL = 1, V_FALSE = 2, V_TRUE = 3, V_NUM = 4, V_STR = 5, V_JSON = 6;
const NONE = -1;

// EventStore holds a run's events in arrival order, sorted by seq.
export class EventStore extends Table {
  constructor() {
    super({
      seq: Float64Array, t: Float64Array, v: Float64Array, ver: Float64Array,
      th: Int32Array, obj: Int32Array, line: Int32Array, tid: Int32Array, cpu: Int32Array,
      k: Uint8Array, vk: Uint8Array, os: Uint8Array, d: Int16Array,
    });
    this.strings = new Strings();
    this.kinds = [...KIND_NAMES];
    this.kindCode = new Map(this.kinds.map((k, i) => [k, i]));
  }

  kindOf(k) {
    let c = this.kindCode.get(k);
    if (c === undefined) {
      c = this.kinds.length;
      this.kinds.push(k);
      this.kindCode.set(k, c);
    }
    return c;
  }

  // push stores an event object's fields and returns its index.
  push(e) {
    const i = this.add();
    this.seq[i] = e.seq;
    this.t[i] = e.t;
    this.th[i] = e.th;
    this.k[i] = this.kindOf(e.k);
    this.obj[i] = e.obj === undefined || e.obj === null ? NONE : this.strings.id(e.obj);
    this.line[i] = e.line ?? 0;
    this.os[i] = (e.tid !== undefined ? 1 : 0) | (e.cpu !== undefined ? 2 : 0) | (e.ver !== undefined ? 4 : 0) | (e.line !== undefined ? 8 : 0);
    this.tid[i] = e.tid ?? 0;
    this.cpu[i] = e.cpu ?? 0;
    this.ver[i] = e.ver ?? 0;
    this.d[i] = NONE;
    const v = e.v;
    if (v === undefined) this.vk[i] = V_NONE;
    else if (v === null) this.vk[i] = V_NULL;
    else if (v === false) this.vk[i] = V_FALSE;
    else if (v === true) this.vk[i] = V_TRUE;
    else if (typeof v === "number") {
      this.vk[i] = V_NUM;
      this.v[i] = v;
    } else if (typeof v === "string") {
      this.vk[i] = V_STR;
      this.v[i] = this.strings.id(v);
    } else {
      this.vk[i] = V_JSON;
      this.v[i] = this.strings.id(JSON.stringify(v));
    }
    return i;
  }

  kindAt(i) {
    return this.kinds[this.k[i]];
  }

  objAt(i) {
    const o = this.obj[i];
    return o === NONE ? undefined : this.strings.list[o];
  }

  valueAt(i) {
    switch (this.vk[i]) {
      case V_NULL: return null;
      case V_FALSE: return false;
      case V_TRUE: return true;
      case V_NUM: return this.v[i];
      case V_STR: return this.strings.list[this.v[i]];
      case V_JSON: return JSON.parse(this.strings.list[this.v[i]]);
    }
    return undefined;
  }

  // at makes event i's object: the fields it arrived with, and _d (its
  // stagger) if it is drawn as an instant. Each call makes a new one.
  at(i) {
    if (i < 0) i += this.n;
    if (!(i >= 0 && i < this.n)) return undefined;
    const e = { seq: this.seq[i], t: this.t[i], th: this.th[i], k: this.kinds[this.k[i]] };
    if (this.obj[i] !== NONE) e.obj = this.strings.list[this.obj[i]];
    if (this.vk[i] !== V_NONE) e.v = this.valueAt(i);
    const os = this.os[i];
    if (os & 8) e.line = this.line[i];
    if (os & 1) e.tid = this.tid[i];
    if (os & 2) e.cpu = this.cpu[i];
    if (os & 4) e.ver = this.ver[i];
    if (this.d[i] !== NONE) e._d = this.d[i];
    return e;
  }

  // readInto fills e with the fields of event i the step cursor reads
  // (th, k, obj, v, ver, line; those the event lacks undefined) and
  // returns it: one object reused for every event, where at(i) makes a
  // new one each time.
  readInto(i, e) {
    e.th = this.th[i];
    e.k = this.kinds[this.k[i]];
    const o = this.obj[i];
    e.obj = o === NONE ? undefined : this.strings.list[o];
    e.v = this.vk[i] === V_NONE ? undefined : this.valueAt(i);
    const os = this.os[i];
    e.ver = os & 4 ? this.ver[i] : undefined;
    e.line = os & 8 ? this.line[i] : undefined;
    return e;
  }

  // indexOfSeq is the index of the event with seq, or -1.
  indexOfSeq(seq) {
    const col = this.seq;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (col[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.n && col[lo] === seq) return lo;
    for (let i = 0; i < this.n; i++) if (col[i] === seq) return i;
    return -1;
  }
}

// The flags of a span.
export const UNFINISHED = 1, CYCLE = 2;

// SPAN_KINDS numbers the kinds of spans.
export const SPAN_KINDS = ["wait", "join", "send", "recv", "sleep", "work", "cvwait", "barrier", "sem", "park", "once", "hold"];
const SPAN_CODE = new Map(SPAN_KINDS.map((k, i) => [k, i]));

// SpanRow is one row of a lane's spans (waits and work, or one row of
// lock holds), sorted by start. t1 is NaN while a span is open; e0 and e1
// are the events that opened and closed it (-1: none yet).
export class SpanRow extends Table {
  constructor(events, row) {
    super({ t0: Float64Array, t1: Float64Array, e0: Int32Array, e1: Int32Array, kind: Uint8Array, fl: Uint8Array });
    this.events = events;
    this.row = row;
    this.waits = null; // opening event -> [[t0, t1], ...]: when a work span's thread waited to run
  }

  // addWait adds to the work span opened by event e0 a wait of v ns up to
  // t, held within the span and after the wait before it, as in Go's
  // trace.Fold (converting the event clock from TSC ticks can put the two
  // a microsecond apart). Waits are few, so they sit in a map by the
  // span's opening event, which stays put as spans are inserted.
  addWait(e0, t, v) {
    const list = this.waits?.get(e0);
    const from = Math.max(t - v, this.events.t[e0], list ? list[list.length - 1][1] : -Infinity);
    if (!(from < t)) return;
    if (list) list.push([from, t]);
    else (this.waits ??= new Map()).set(e0, [[from, t]]);
  }

  // open adds a span opened by event ei, kept in order of start.
  open(kind, ei) {
    const t0 = this.events.t[ei];
    const i = this.insertSorted("t0", t0);
    this.t0[i] = t0;
    this.t1[i] = NaN;
    this.e0[i] = ei;
    this.e1[i] = NONE;
    this.kind[i] = SPAN_CODE.get(kind);
    this.fl[i] = 0;
    return i;
  }

  kindAt(i) {
    return SPAN_KINDS[this.kind[i]];
  }

  // at makes span i's object, in the shape spans always had.
  at(i) {
    if (i < 0) i += this.n;
    if (!(i >= 0 && i < this.n)) return undefined;
    const ev = this.events;
    const e0 = this.e0[i];
    const e1 = this.e1[i];
    const t1 = this.t1[i];
    const s = {
      kind: SPAN_KINDS[this.kind[i]], obj: ev.objAt(e0), th: ev.th[e0], t0: this.t0[i], t1: Number.isNaN(t1) ? null : t1,
      seq0: ev.seq[e0], seq1: e1 === NONE ? -1 : ev.seq[e1], line: ev.line[e0], v: ev.valueAt(e0), row: this.row,
      unfinished: (this.fl[i] & UNFINISHED) !== 0, i,
    };
    if (e1 !== NONE) s.v1 = ev.valueAt(e1);
    if (this.fl[i] & CYCLE) s.cycle = true;
    const waits = this.waits?.get(e0);
    if (waits) s.waits = waits;
    return s;
  }
}

// SegRow is a lane's segments: which thread an OS thread ran (val is the
// thread), or which CPU a thread ran on (val is the CPU), event to event.
export class SegRow extends Table {
  constructor(key) {
    super({ t0: Float64Array, t1: Float64Array, val: Int32Array, cnt: Int32Array, closed: Uint8Array });
    this.key = key; // "th" or "cpu"
  }

  // extend grows the last segment if it has the same value and is not
  // closed, or starts a new one.
  extend(value, t) {
    const j = this.n - 1;
    if (j >= 0 && this.val[j] === value && !this.closed[j]) {
      if (t > this.t1[j]) this.t1[j] = t;
      if (t < this.t0[j]) this.t0[j] = t;
      this.cnt[j]++;
      return;
    }
    const i = this.add();
    this.t0[i] = t;
    this.t1[i] = t;
    this.val[i] = value;
    this.cnt[i] = 1;
    this.closed[i] = 0;
  }

  close() {
    if (this.n > 0) this.closed[this.n - 1] = 1;
  }

  at(i) {
    if (i < 0) i += this.n;
    if (!(i >= 0 && i < this.n)) return undefined;
    const s = { t0: this.t0[i], t1: this.t1[i], n: this.cnt[i] };
    s[this.key] = this.val[i];
    if (this.closed[i]) s.closed = true;
    return s;
  }
}

// MarkRow is a lane's instants: the index of each event drawn as an
// instant, and its time (kept here too, so that drawing reads one array),
// sorted by time.
export class MarkRow extends Table {
  constructor(events) {
    super({ t: Float64Array, ev: Int32Array });
    this.events = events;
  }

  // put adds event ei, in time order, and returns its index.
  put(ei) {
    const t = this.events.t[ei];
    const i = this.insertSorted("t", t);
    this.t[i] = t;
    this.ev[i] = ei;
    return i;
  }

  at(i) {
    if (i < 0) i += this.n;
    if (!(i >= 0 && i < this.n)) return undefined;
    return this.events.at(this.ev[i]);
  }
}

// ArrowList is the arrows of one kind, sorted by their later end (tb).
export class ArrowList extends Table {
  constructor(kind, strings) {
    super({
      ta: Float64Array, tb: Float64Array, ft: Float64Array, tt: Float64Array, fs: Float64Array, ts: Float64Array,
      fth: Int32Array, tth: Int32Array, obj: Int32Array,
    });
    this.kind = kind;
    this.strings = strings;
  }

  put(from, to, obj) {
    const tb = Math.max(from.t, to.t);
    const i = this.insertSorted("tb", tb);
    this.ta[i] = Math.min(from.t, to.t);
    this.tb[i] = tb;
    this.ft[i] = from.t;
    this.tt[i] = to.t;
    this.fs[i] = from.seq;
    this.ts[i] = to.seq;
    this.fth[i] = from.th;
    this.tth[i] = to.th;
    this.obj[i] = obj === undefined || obj === null ? NONE : this.strings.id(obj);
    return i;
  }

  objAt(i) {
    return this.obj[i] === NONE ? undefined : this.strings.list[this.obj[i]];
  }

  at(i) {
    if (i < 0) i += this.n;
    if (!(i >= 0 && i < this.n)) return undefined;
    return {
      kind: this.kind, obj: this.objAt(i),
      from: { th: this.fth[i], t: this.ft[i], seq: this.fs[i] },
      to: { th: this.tth[i], t: this.tt[i], seq: this.ts[i] },
      ta: this.ta[i], tb: this.tb[i],
    };
  }
}

// Queue is a first-in first-out list that does not move its items.
export class Queue {
  constructor() {
    this.items = [];
    this.head = 0;
  }

  get length() {
    return this.items.length - this.head;
  }

  push(x) {
    this.items.push(x);
  }

  shift() {
    const x = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}
