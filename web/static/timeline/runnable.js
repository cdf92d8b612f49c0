// A work span's thread, in the real modes, can be runnable but not
// running: waiting for a core (os mode) or for an OS thread (green mode).
// Runnable events say when (the model keeps them on the span's row, see
// SpanRow.addWait); older recordings say only how long (ranShare). These
// draw either on a work bar.

// runnableGaps hatches, over the page's background and the bar's whole
// height, the stretches of a work span in which its thread was runnable
// but not running (waits, [t0, t1] each), where they fell: x maps a time
// to a pixel, and the bar runs from x0 to x1. A stretch under a pixel
// still takes one, so that a short wait is not lost at a wide zoom.
export function runnableGaps(g, th, waits, x, x0, x1, y, h) {
  const pat = th.pattern(g, "runnable");
  for (const [t0, t1] of waits) {
    const a = Math.max(x0, x(t0));
    const b = Math.min(x1, Math.max(x(t1), a + 1));
    if (b <= a) continue;
    g.fillStyle = th.bg;
    g.fillRect(a, y, b - a, h);
    g.fillStyle = pat;
    g.fillRect(a, y, b - a, h);
  }
}

// runnableBand marks the share of a work span in which its thread was
// runnable but not running, for recordings made before runnable events
// said when: the top of the bar, hatched over the page's background, so
// that the solid part left below is as tall as the share the thread ran
// (ran, from 0 to 1), the band running the whole span.
export function runnableBand(g, th, x0, y, w, h, ran) {
  const hw = Math.round((1 - ran) * h);
  if (hw < 1) return;
  g.fillStyle = th.bg;
  g.fillRect(x0, y, w, hw);
  g.fillStyle = th.pattern(g, "runnable");
  g.fillRect(x0, y, w, hw);
}
