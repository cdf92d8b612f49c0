// Moving a step cursor: by one event, by one event of a thread, to the
// next event on an object, to the next finding. Cursors are indexes into
// the run's events (an array of objects, or the page's EventStore); no
// DOM.

import { reader } from "./state.js";

// stepWhere moves from cursor i in direction dir (1 or -1) to the next
// event that satisfies ok, or stays at i if there is none. ok may get
// one object reused for every event (state.js's reader): it must not
// keep it.
export function stepWhere(events, i, dir, ok = () => true) {
  const read = reader(events);
  for (let j = i + dir; j >= 0 && j < events.length; j += dir) if (ok(read(j))) return j;
  return i;
}

// indexBySeq finds the index of the event with seq in events (which
// arrive in seq order; a walk if they do not), or -1.
export function indexBySeq(events, seq) {
  if (events.indexOfSeq) return events.indexOfSeq(seq);
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  if (events[lo] && events[lo].seq === seq) return lo;
  return events.findIndex((e) => e.seq === seq);
}

// findingIndexes lists, ascending and once each, the cursors of a run's
// findings: every event of a race finding (races as placed by the model,
// or as the result gives them, with a, b, c) and the request of every
// edge of a deadlock's wait-for cycle.
export function findingIndexes(events, races = [], cycle = []) {
  const out = new Set();
  for (const r of races) {
    for (const a of [r.a, r.b, r.c]) {
      if (!a || a.seq === undefined) continue;
      const i = indexBySeq(events, a.seq);
      if (i >= 0) out.add(i);
    }
  }
  for (const c of cycle) {
    let i = c.wait ? indexBySeq(events, c.wait.seq0) : -1;
    if (i < 0) i = lastRequest(events, c);
    if (i >= 0) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

// lastRequest is a cycle edge's request when the model drew no wait for
// it: the waiter's last event of that kind on that object.
function lastRequest(events, c) {
  for (let j = events.length - 1; j >= 0; j--) {
    const e = events.at(j);
    if (e.th === c.th && e.k === c.op && (!c.obj || e.obj === c.obj)) return j;
  }
  return -1;
}

// nextFinding is the first finding after cursor i (dir 1) or the last
// before it (dir -1), or i if there is none.
export function nextFinding(found, i, dir) {
  if (dir > 0) {
    for (const f of found) if (f > i) return f;
    return i;
  }
  for (let k = found.length - 1; k >= 0; k--) if (found[k] < i) return found[k];
  return i;
}

// objectsOf lists the objects a run's events touch (cells, locks,
// channels), by name, sorted, with the kind of each.
export function objectsOf(events, limit = Infinity) {
  const kinds = new Map();
  if (events.strings) {
    // An EventStore: its columns, each object's name looked at once.
    const seen = new Uint8Array(events.strings.list.length);
    for (let i = 0; i < events.length && kinds.size < limit; i++) {
      const o = events.obj[i];
      if (o < 0 || seen[o]) continue;
      const k = KIND_OF[events.kinds[events.k[i]]];
      if (!k) continue;
      seen[o] = 1;
      kinds.set(events.strings.list[o], k);
    }
    return [...kinds].map(([name, kind]) => ({ name, kind })).sort((a, b) => a.name.localeCompare(b.name));
  }
  for (const e of events) {
    if (e.obj === undefined || e.obj === null || kinds.has(e.obj)) continue;
    const k = KIND_OF[e.k];
    if (k) kinds.set(e.obj, k);
    if (kinds.size >= limit) break;
  }
  return [...kinds].map(([name, kind]) => ({ name, kind })).sort((a, b) => a.name.localeCompare(b.name));
}

const KIND_OF = {
  get: "cell", set: "cell", add: "cell", cas: "cell", swap: "cell",
  lock: "lock", acquired: "lock", unlock: "lock", trylock: "lock",
  send: "channel", sent: "channel", recv: "channel", received: "channel", close: "channel",
};
