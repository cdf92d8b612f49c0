// Playback of a recorded run: its events handed to the page at the pace
// they happened (by their time t, scaled by a speed), through the same
// feed and finish as events from a live run.

// SPEEDS are the choices of the speed selector, slowest first. Real runs
// last milliseconds, so slow motion is what makes them watchable.
export const SPEEDS = [0.001, 0.01, 0.1, 1, 10, Infinity];

// defaultSpeed picks the fastest speed at which a run of this length
// plays for at least a second and a half (and the slowest otherwise).
export function defaultSpeed(durationNs) {
  for (const s of [10, 1, 0.1, 0.01, 0.001]) if (durationNs / s >= 1.5e9) return s;
  return 0.001;
}

export class Player {
  // page: { reset(meta), feed(events), finish(result), progress(done, total) }
  constructor(page) {
    this.page = page;
    this.raf = 0;
    this.rec = null;
    this.i = 0;
  }

  get playing() {
    return this.rec !== null;
  }

  // play starts the recorded run over at a speed (Infinity: at once).
  play(rec, speed) {
    this.cancel();
    const events = rec.events || [];
    this.page.reset({ mode: rec.result?.mode });
    this.rec = rec;
    this.i = 0;
    if (!(speed < Infinity) || !events.length) {
      this.finish();
      return;
    }
    const t0 = Math.min(0, events[0].t);
    const start = performance.now();
    const step = () => {
      this.raf = 0;
      if (!this.rec) return;
      const now = t0 + (performance.now() - start) * 1e6 * speed;
      let j = this.i;
      while (j < events.length && events[j].t <= now) j++;
      if (j > this.i) {
        this.page.feed(events.slice(this.i, j));
        this.i = j;
        this.page.progress?.(j, events.length);
      }
      if (this.i >= events.length) this.finish();
      else this.raf = requestAnimationFrame(step);
    };
    step();
  }

  // finish hands over what is left at once and ends the playback with
  // the recorded result: "skip to the end".
  finish() {
    const rec = this.rec;
    if (!rec) return;
    this.cancelFrame();
    const events = rec.events || [];
    for (let i = this.i; i < events.length; i += 20000) this.page.feed(events.slice(i, i + 20000));
    this.i = events.length;
    this.rec = null;
    this.page.progress?.(events.length, events.length);
    this.page.finish(rec.result);
  }

  // cancel stops a playback without finishing it, for a live run.
  cancel() {
    this.cancelFrame();
    this.rec = null;
  }

  cancelFrame() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
  }
}
