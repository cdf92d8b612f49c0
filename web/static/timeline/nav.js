// Keyboard navigation of the timeline: which event the arrow keys, Home,
// End and the problem keys select next, so that every event can be
// reached without a pointer. Pure functions of the model and the view;
// the page binds them to keys (page/controls.js).

// The run's events are an EventStore (store.js) or, in tests, an array:
// at(i) reads either, and thAt and tAt read a store's columns without
// making objects.
const thAt = (ev, i) => (ev.cols ? ev.th[i] : ev[i].th);
const tAt = (ev, i) => (ev.cols ? ev.t[i] : ev[i].t);

// indexOf is the index of an event in the run's events (sorted by seq).
function indexOf(events, e) {
  if (events.indexOfSeq) {
    const i = events.indexOfSeq(e.seq);
    return i < 0 ? events.length : i;
  }
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid].seq < e.seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// stepEvent is the event of the same thread after (dir 1) or before
// (dir -1) e, or null at the thread's end.
export function stepEvent(trace, e, dir) {
  const ev = trace.events;
  for (let i = indexOf(ev, e) + dir; i >= 0 && i < ev.length; i += dir) {
    if (thAt(ev, i) === e.th) return ev.at(i);
  }
  return null;
}

// edgeEvent is a thread's first (dir -1) or last (dir 1) event.
export function edgeEvent(trace, th, dir) {
  const ev = trace.events;
  const n = ev.length;
  for (let j = 0; j < n; j++) {
    const i = dir < 0 ? j : n - 1 - j;
    if (thAt(ev, i) === th) return ev.at(i);
  }
  return null;
}

// inView is where keys start when nothing is selected: the first event
// at or after the view's start (dir 1), or the last one at or before its
// end (dir -1).
export function inView(trace, view, dir) {
  const ev = trace.events;
  const n = ev.length;
  if (!n) return null;
  if (dir > 0) {
    for (let i = 0; i < n; i++) if (tAt(ev, i) >= view.t0) return ev.at(i);
    return ev.at(n - 1);
  }
  for (let i = n - 1; i >= 0; i--) if (tAt(ev, i) <= view.t1) return ev.at(i);
  return ev.at(0);
}

// crossLane is the event nearest in time to e on the lane above (dir -1)
// or below (dir 1) of lanes (the lanes in their drawn order), skipping
// lanes without events; null past the first or last lane.
export function crossLane(trace, lanes, e, dir) {
  let at = lanes.findIndex((l) => l.id === e.th);
  if (at < 0) return null;
  const ev = trace.events;
  for (at += dir; at >= 0 && at < lanes.length; at += dir) {
    const th = lanes[at].id;
    let best = -1;
    for (let i = 0; i < ev.length; i++) {
      if (thAt(ev, i) !== th) continue;
      if (best < 0 || Math.abs(tAt(ev, i) - e.t) < Math.abs(tAt(ev, best) - e.t)) best = i;
    }
    if (best >= 0) return ev.at(best);
  }
  return null;
}

// problems are the events a person steps through with N and P: failed
// checks, panics and cut-off ends, in the order they happened.
export function problems(trace) {
  const out = [...trace.flags];
  for (const l of trace.lanes) if (l.cut) out.push(l.cut);
  return out.sort((a, b) => a.seq - b.seq);
}

// stepProblem is the problem after (dir 1) or before (dir -1) the event
// e (or the first or last one without e); it wraps around.
export function stepProblem(trace, e, dir) {
  const list = problems(trace);
  if (!list.length) return null;
  if (!e) return dir > 0 ? list[0] : list[list.length - 1];
  const next = dir > 0 ? list.find((x) => x.seq > e.seq) : list.findLast((x) => x.seq < e.seq);
  return next ?? (dir > 0 ? list[0] : list[list.length - 1]);
}
