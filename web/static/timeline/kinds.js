// The kinds of events as the timeline sees them: which open and close a
// span, which are drawn as instants, the kinds of arrows, and what the
// end of a thread makes of its state. No DOM, no model: model.js folds
// with these, and the renderer and the words read them too.

// A request opens a span that its completion closes.
export const OPENS = {
  lock: "wait", join: "join", send: "send", recv: "recv", sleep: "sleep", work: "work",
  cvwait: "cvwait", bwait: "barrier", semacquire: "sem", park: "park", once: "once",
};
export const CLOSES = {
  acquired: "wait", joined: "join", sent: "send", received: "recv", wake: "sleep", worked: "work",
  cvwoke: "cvwait", bpassed: "barrier", semacquired: "sem", unparked: "park", oncedone: "once",
};

// Kinds drawn as instants (the others are drawn as spans and arrows).
export const MARK_KINDS = new Set([
  "spawn", "start", "end", "panic", "cutoff", "get", "set", "add", "cas", "swap",
  "print", "check", "trylock", "close", "yield", "notify", "semrelease", "semtry", "unpark",
]);

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

export const ARROW_KINDS = ["spawn", "join", "handoff", "message"];

export const STATE_OF = { start: "running", end: "ended", panic: "panicked", cutoff: "cutoff" };
