// Level of detail for bars: zoomed out, many spans of one lane fall in
// one pixel column, and the renderer draws the column as one merged mark
// (render.js) in the colour of the state that fills most of it. This
// module says which state that is, looking at a bounded number of bars,
// so a column costs the same whether it stands for two bars or twenty
// thousand (gotraceui merges its spans the same way).

import { colAt, firstEndingAt, nextInCol } from "./search.js";

// SAMPLE is how many bars of a column are looked at, at most.
export const SAMPLE = 16;

// KEYS and WEIGHTS are dominant's scratch space: a column is tallied in
// them without allocating (at most SAMPLE + 1 distinct keys).
const KEYS = new Int32Array(SAMPLE + 1);
const WEIGHTS = new Float64Array(SAMPLE + 1);

// keyOf is what a bar's colour depends on, as a number: a span's kind, a
// hold's mutex (its interned name), a segment's thread, a CPU.
export function keyOf(row, i, style) {
  switch (style) {
    case "hold": return row.events.obj[row.e0[i]];
    case "seg":
    case "cpu": return row.val[i];
  }
  return row.kind[i];
}

// dominant is the key of the state that fills most of the time of bars
// i to j-1 of a row (store.js table, sorted by start); open bars end at
// liveEnd. Over SAMPLE bars, an even sample of them stands for all.
export function dominant(row, i, j, liveEnd, style) {
  const n = j - i;
  if (n <= 1) return keyOf(row, i, style);
  const step = n <= SAMPLE ? 1 : n / SAMPLE;
  const T0 = row.t0;
  const T1 = row.t1;
  let distinct = 0;
  for (let f = i; f < j; f += step) {
    const q = Math.floor(f);
    const end = Number.isNaN(T1[q]) ? liveEnd : T1[q];
    const key = keyOf(row, q, style);
    // A bar of no width still counts, a little: it is there.
    const w = Math.max(end - T0[q], 1e-9);
    let at = 0;
    while (at < distinct && KEYS[at] !== key) at++;
    if (at === distinct) {
      KEYS[distinct] = key;
      WEIGHTS[distinct++] = w;
    } else WEIGHTS[at] += w;
  }
  let best = 0;
  for (let m = 1; m < distinct; m++) if (WEIGHTS[m] > WEIGHTS[best]) best = m;
  return KEYS[best];
}

// column describes the pixel column of a bar drawn under a pixel wide:
// how many bars start in it and the key of its dominant state, for a
// tooltip that says the mark is merged. k is pixels per ns, v0 the
// view's start.
export function column(row, i, v0, k, liveEnd, style) {
  const T0 = row.t0;
  const px = Math.floor((T0[i] - v0) * k);
  const lo = v0 + px / k;
  const hi = v0 + (px + 1) / k;
  const a = Math.min(i, colAt(T0, lo, 0, i));
  const b = Math.max(i + 1, colAt(T0, hi, i, row.n));
  return { n: b - a, key: dominant(row, a, b, liveEnd, style), first: a };
}

// walkBars walks the bars of a row in the window of time [t0, t1] as
// they are drawn at pixels per ns k from the view's start v0: a bar a
// pixel and a half wide or more is bar(i, x0, x1); the bars that start in
// a pixel column where the first is narrower are one column(px, key, n, i)
// (n bars from the i-th, key the dominant state's), and a binary search
// skips to the next column. A column where a wide bar ends is not drawn
// again. The cost follows the pixels in view, not the bars.
export function walkBars(row, t0, t1, v0, k, liveEnd, style, bar, col) {
  const n = row.n;
  const T0 = row.t0;
  const T1 = row.t1;
  let lastPx = -1e9;
  for (let i = firstEndingAt(row, t0); i < n; i++) {
    if (T0[i] > t1) break;
    const end = Number.isNaN(T1[i]) ? liveEnd : T1[i];
    const x0 = (T0[i] - v0) * k;
    const x1 = (end - v0) * k;
    if (x1 - x0 < 1.5) {
      const px = Math.floor(x0);
      const j = nextInCol(T0, v0 + (px + 1) / k, i + 1, n);
      if (px !== lastPx) {
        col(px, dominant(row, i, j, liveEnd, style), j - i, i);
        lastPx = px;
      }
      i = j - 1;
      continue;
    }
    bar(i, x0, x1);
    lastPx = Math.floor(x1);
  }
}
