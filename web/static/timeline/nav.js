// Keyboard navigation of the timeline: which event the arrow keys, Home,
// End and the problem keys select next, so that every event can be
// reached without a pointer. Pure functions of the model and the view;
// the page binds them to keys (page/controls.js).

// indexOf is the index of an event in the run's events (sorted by seq).
function indexOf(events, e) {
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
    if (ev[i].th === e.th) return ev[i];
  }
  return null;
}

// edgeEvent is a thread's first (dir -1) or last (dir 1) event.
export function edgeEvent(trace, th, dir) {
  const ev = trace.events;
  const n = ev.length;
  for (let j = 0; j < n; j++) {
    const x = ev[dir < 0 ? j : n - 1 - j];
    if (x.th === th) return x;
  }
  return null;
}

// inView is where keys start when nothing is selected: the first event
// at or after the view's start (dir 1), or the last one at or before its
// end (dir -1).
export function inView(trace, view, dir) {
  const ev = trace.events;
  if (!ev.length) return null;
  if (dir > 0) return ev.find((x) => x.t >= view.t0) ?? ev[ev.length - 1];
  for (let i = ev.length - 1; i >= 0; i--) if (ev[i].t <= view.t1) return ev[i];
  return ev[0];
}

// crossLane is the event nearest in time to e on the lane above (dir -1)
// or below (dir 1) of lanes (the lanes in their drawn order), skipping
// lanes without events; null past the first or last lane.
export function crossLane(trace, lanes, e, dir) {
  let at = lanes.findIndex((l) => l.id === e.th);
  if (at < 0) return null;
  for (at += dir; at >= 0 && at < lanes.length; at += dir) {
    const th = lanes[at].id;
    let best = null;
    for (const x of trace.events) {
      if (x.th !== th) continue;
      if (!best || Math.abs(x.t - e.t) < Math.abs(best.t - e.t)) best = x;
    }
    if (best) return best;
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
