// Playback of a recorded run: its events handed to the page one after
// another, in their order, at a pace a person can follow, through the
// same feed and finish as events from a live run.
//
// The pace is by event order, bent by time: a sim run lasts microseconds
// of virtual time and an os run may sleep for seconds between two events,
// so neither wall time nor virtual time alone is watchable. Each event
// waits a base gap (the pace), longer when more of the run's time passed
// before it, but never more than a few gaps: a long sleep shows as a
// pause, not as seconds of nothing.

// SPEEDS are the choices of the speed selector: multiples of the normal
// pace, slowest first; Infinity draws the run at once.
export const SPEEDS = [0.25, 1, 4, 16, Infinity];

// NORMAL_RATE is the normal pace in events per second, for short runs.
export const NORMAL_RATE = 20;

// MAX_SECONDS bounds a long run's playback at the normal pace; MIN_SECONDS
// makes a short one last long enough to be seen.
export const MAX_SECONDS = 30;
export const MIN_SECONDS = 1.5;

// rateFor is the events per second of a playback of n events at a speed.
export function rateFor(n, speed = 1) {
  const r = Math.min(Math.max(NORMAL_RATE, n / MAX_SECONDS), Math.max(n / MIN_SECONDS, 1));
  return r * speed;
}

// schedule gives each event the time, in milliseconds from the start of
// the playback, at which it is shown: the first at 0, each next one a gap
// later. The gap is the pace's (1000/rate) scaled by how much of the run's
// time passed since the previous event, from half a gap (events at one
// time) to four (a long wait).
export function schedule(times, speed = 1) {
  const n = times.length;
  const at = new Float64Array(n);
  if (n < 2) return at;
  const base = 1000 / rateFor(n, speed);
  const total = Math.max(0, times[n - 1] - times[0]);
  for (let i = 1; i < n; i++) {
    const dt = Math.max(0, times[i] - times[i - 1]);
    const share = total > 0 ? (dt / total) * (n - 1) : 1; // 1: an even share
    at[i] = at[i - 1] + base * Math.min(4, 0.5 + 0.5 * share);
  }
  return at;
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
    const at = schedule(events.map((e) => e.t), speed);
    const start = performance.now();
    const step = () => {
      this.raf = 0;
      if (!this.rec) return;
      const now = performance.now() - start;
      let j = this.i;
      while (j < events.length && at[j] <= now) j++;
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
