// The timeline's geometry, with no DOM: the sizes of rows and lanes,
// where each lane goes, time to x, the axis's ticks, and the view (the
// window of time shown, and whether it follows the run) as zoom and pan
// change it. The renderer, the SVG export and hit-testing all measure
// with these, so what is drawn, exported and clicked agrees.

import { firstAt } from "./search.js";

export const PAD = 6; // above and below a lane's rows
export const ROW0 = 22; // the main row: instants, waits, work
export const HOLD = 13; // one row of lock holds
export const CPU = 10; // the CPU strip
export const STAGGER = 8; // px between instants that share one time
export const AXIS_H = 28;
export const MIN_LANE = 34;
export const ARROW_FULL = 150; // handoffs or messages in view drawn in full
export const ARROW_PLAIN = 1200; // ... drawn as plain lines; beyond, left out
export const LIVE_PAD = 58; // px after the live edge

// newView is the view of a new run: the whole run, following it.
export function newView() {
  return { t0: 0, t1: 1e6, follow: "fit" };
}

// scale is pixels per nanosecond for a view W pixels wide.
export function scale(view, W) {
  return W / Math.max(1e-9, view.t1 - view.t0);
}

export function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

// tickLabel writes a tick's time in the unit of the view's magnitude,
// with as many decimals as the step between ticks needs: 30.075 ms.
export function tickLabel(t, step, mag) {
  if (Math.abs(t) < step / 2) return "0";
  const [unit, name] = mag < 1e3 ? [1, "ns"] : mag < 1e6 ? [1e3, "µs"] : mag < 1e9 ? [1e6, "ms"] : [1e9, "s"];
  const dec = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9)));
  return `${(t / unit).toFixed(dec)} ${name}`;
}

// ticks gives the time axis's ticks in view: where, and their labels.
export function ticks(view, W) {
  const span = view.t1 - view.t0;
  const step = niceStep((span * 110) / Math.max(1, W));
  const mag = Math.max(Math.abs(view.t0), Math.abs(view.t1));
  const k = scale(view, W);
  const out = [];
  for (let t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
    out.push({ x: Math.round((t - view.t0) * k) + 0.5, label: tickLabel(t, step, mag) });
  }
  return out;
}

// rightPad leaves room after the last event: for the live edge, and for
// the names of a deadlock's cycle.
export function rightPad(trace, W) {
  return trace.cycle.length ? Math.min(200, W * 0.4) : LIVE_PAD;
}

// fitRange is the window of time that shows the whole run.
export function fitRange(trace, W) {
  const lo = trace.events.length ? Math.min(0, trace.minT) : 0;
  const hi = Math.max(trace.maxT, lo + 1000);
  const right = rightPad(trace, W);
  const tpp = (hi - lo) / Math.max(40, W - 12 - right);
  return [lo - 12 * tpp, hi + right * tpp];
}

// applyFollow moves a following view: to the whole run, or to the live
// edge keeping its width.
export function applyFollow(view, trace, W) {
  if (view.follow === "fit") {
    [view.t0, view.t1] = fitRange(trace, W);
  } else if (view.follow === "edge") {
    const w = view.t1 - view.t0;
    view.t1 = trace.maxT + (LIVE_PAD * w) / Math.max(1, W);
    view.t0 = view.t1 - w;
  }
}

// zoomAt scales the view by f around the pixel px. A running run's
// followed view keeps following: the whole run, or its live edge.
// user says a person zoomed, which stops a finished run's following.
export function zoomAt(view, trace, W, px, f, user = false) {
  const [a, b] = fitRange(trace, W);
  const fitW = b - a;
  let w = (view.t1 - view.t0) * f;
  w = Math.min(Math.max(w, 20), fitW * 50);
  if (view.follow && trace.running) {
    if (w >= fitW) view.follow = "fit";
    else {
      view.follow = "edge";
      view.t1 = trace.maxT + (LIVE_PAD * w) / Math.max(1, W);
      view.t0 = view.t1 - w;
    }
  } else {
    const tp = view.t0 + (px / W) * (view.t1 - view.t0);
    view.t0 = tp - (px / W) * w;
    view.t1 = view.t0 + w;
    if (user || view.follow) view.follow = false;
  }
}

// panBy moves the view by dpx pixels, and stops it following.
export function panBy(view, W, dpx) {
  const dt = (dpx / Math.max(1, W)) * (view.t1 - view.t0);
  view.t0 += dt;
  view.t1 += dt;
  view.follow = false;
}

// followLive follows the run again: its live edge if zoomed in, else all.
export function followLive(view, trace, W) {
  const [a, b] = fitRange(trace, W);
  view.follow = view.t1 - view.t0 < (b - a) * 0.98 ? "edge" : "fit";
}

// separatingWidth is the widest view (in ns) that draws an instant W px
// wide at least px away from its nearest neighbours on its lane at other
// times (marks: the lane's instants, sorted), or null if it has none.
export function separatingWidth(marks, e, W, px) {
  // marks: a lane's MarkRow (store.js), or in tests an array of events.
  const tOf = marks.cols ? (j) => marks.t[j] : (j) => marks[j].t;
  const same = marks.cols ? (j) => marks.events.seq[marks.ev[j]] === e.seq : (j) => marks[j] === e;
  let i = firstAt(marks, e.t);
  while (i < marks.length && !same(i) && tOf(i) === e.t) i++;
  let gap = Infinity;
  for (let j = i - 1; j >= 0; j--) if (tOf(j) !== e.t) { gap = Math.min(gap, e.t - tOf(j)); break; }
  for (let j = i + 1; j < marks.length; j++) if (tOf(j) !== e.t) { gap = Math.min(gap, tOf(j) - e.t); break; }
  if (!Number.isFinite(gap)) return null;
  return Math.max(20, (W * gap) / px);
}

export function laneHeight(l, showCPU) {
  const cpu = showCPU && l.cpu.length ? CPU + 3 : 0;
  if (l.kind === "os") return Math.max(MIN_LANE, PAD + ROW0 + cpu + PAD);
  return Math.max(MIN_LANE, PAD + ROW0 + (l.rows.length - 1) * HOLD + cpu + PAD);
}

// layoutLanes stacks the lanes: each gets its top y, height and the y of
// its line (cy), and thread lanes can be found by thread id.
export function layoutLanes(lanes, showCPU) {
  const layout = [];
  const laneAt = new Map();
  let y = 0;
  for (const lane of lanes) {
    const h = laneHeight(lane, showCPU);
    const L = { lane, y, h, cy: PAD + ROW0 / 2, dense: false };
    layout.push(L);
    if (lane.kind === "thread") laneAt.set(lane.id, L);
    y += h;
  }
  return { layout, laneAt, height: y };
}

// rowY is the top of a lane's row r (0 the main row, 1.. the holds),
// relative to the lane's top.
export function rowY(r) {
  return r === 0 ? PAD + 2 : PAD + ROW0 + (r - 1) * HOLD + 1;
}

// laneY is the y of a lane's line, given the scroll offset.
export function laneY(L, sy) {
  return L.y - sy + L.cy;
}

// holdY is the middle of the row of a span (a hold's row, or the line).
export function holdY(L, sy, span) {
  if (!span || span.row === 0) return laneY(L, sy);
  return L.y - sy + PAD + ROW0 + (span.row - 1) * HOLD + HOLD / 2;
}

// liveEnd is where a lane's open spans end for now: its end, or the run's
// latest time.
export function liveEnd(trace, lane) {
  if (lane.tEnd !== null) return lane.tEnd;
  return trace.running ? trace.maxT : Math.max(lane.lastT, trace.maxT);
}
