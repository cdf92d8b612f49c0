// A work span's thread, in the real modes, could be runnable but not
// running: waiting for a core (os mode) or for an OS thread (green mode).
// The worked event says how long of the span it ran; runnable events say
// when it waited (docs/protocol.md). The model (model.js) keeps the waits
// on the span; the renderers hatch them.

// ranShare is the share of a finished work span in which its thread ran,
// from 0 to 1, or null where the run did not measure it (sim mode, a span
// still open or cut off). The worked event's v is the nanoseconds the
// thread ran; the rest of the span it was runnable and waited: for a core
// (os mode) or for an OS thread (green mode).
export function ranShare(s) {
  if (s.kind !== "work" || s.t1 === null || s.unfinished || typeof s.v1 !== "number") return null;
  const wall = s.t1 - s.t0;
  if (!(wall > 0)) return null;
  return Math.min(1, Math.max(0, s.v1 / wall));
}

// waitWords names what a runnable thread waits for in a mode.
export function waitWords(mode) {
  return mode === "green" ? "waits for an OS thread" : "waits for a core";
}

// addWait adds the wait a runnable event reports to the work span open on
// its lane (none: ignored): v ns up to the event, held within the span and
// after the wait before it, as in Go's trace.Fold (converting the event
// clock from TSC ticks can put the two a microsecond apart).
export function addWait(w, e) {
  if (!w || typeof e.v !== "number") return;
  const from = Math.max(e.t - e.v, w.t0, w.waits ? w.waits[w.waits.length - 1][1] : -Infinity);
  if (from < e.t) (w.waits ??= []).push([from, e.t]);
}
