// The folding of a run as plain, neutral data: the shape of the golden
// fixtures in web/testdata/fold, which the JS tests check and the Go
// export (sandbox/trace) is held to as well. docs/timeline.md says what
// each field means.

import { Trace, ARROW_KINDS } from "./model.js";

// fold folds a whole run at once: its events and, if given, its result.
export function fold(events, result = null) {
  const t = new Trace();
  t.addAll(events);
  if (result) t.finish(result);
  return t;
}

// shapeOf is the folding as plain, neutral data, the shape of the golden
// fixtures in web/testdata/fold that the Go export is held to as well
// (docs/timeline.md says what each field means). Spans are sorted by the
// event that opened them, arrows by the event they point to.
export function shapeOf(trace) {
  const spans = trace.allSpans().map((s) => ({
    thread: s.th,
    kind: s.kind,
    obj: s.obj ?? null,
    start_seq: s.seq0,
    start_t: s.t0,
    end_seq: s.seq1 >= 0 ? s.seq1 : null,
    end_t: s.t1,
    unfinished: s.unfinished,
    ...(s.waits ? { waits: s.waits } : {}),
  }));
  spans.sort((a, b) => a.start_seq - b.start_seq || a.thread - b.thread);
  const arrows = [];
  for (const kind of ARROW_KINDS) {
    for (const a of trace.arrows[kind]) {
      arrows.push({
        kind,
        obj: a.obj ?? null,
        from_thread: a.from.th,
        from_seq: a.from.seq,
        from_t: a.from.t,
        to_thread: a.to.th,
        to_seq: a.to.seq,
        to_t: a.to.t,
      });
    }
  }
  arrows.sort((a, b) => a.to_seq - b.to_seq || ARROW_KINDS.indexOf(a.kind) - ARROW_KINDS.indexOf(b.kind));
  const instants = [];
  for (const l of trace.lanes) for (const e of l.marks) instants.push(e.seq);
  instants.sort((a, b) => a - b);
  return { spans, arrows, instants };
}
