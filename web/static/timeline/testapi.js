// The timeline's hooks for tests and benchmarks: data-* attributes on the
// timeline's element after each frame (publish), and the object that
// window.interleave.timeline shows (api). Browser tests rely on both:
// keep them stable.

import { ARROW_KINDS, ranShare } from "./model.js";
import { eventBySeq } from "./search.js";
import { position, pick } from "./hit.js";
import { toPNG } from "./export.js";
import { setData } from "./render.js";
import { raceLabel, raceLines } from "./race.js";

export function publish(tl) {
  const t = tl.trace;
  const d = tl.root;
  setData(d, "lanes", t.lanes.length);
  setData(d, "osLanes", t.osList.length);
  setData(d, "events", t.events.length);
  setData(d, "spans", t.spanCount);
  let n = 0;
  for (const k of ARROW_KINDS) {
    setData(d, `arrows${k[0].toUpperCase()}${k.slice(1)}`, t.arrows[k].length);
    n += t.arrows[k].length;
  }
  setData(d, "arrows", n);
  setData(d, "cycle", t.cycle.length);
  setData(d, "races", t.races.length);
  setData(d, "race", tl.raceIndex >= 0 ? tl.raceIndex : "");
  setData(d, "flags", t.flags.length);
  setData(d, "viewT0", Math.round(tl.view.t0));
  setData(d, "viewT1", Math.round(tl.view.t1));
  setData(d, "follow", tl.view.follow || "off");
  setData(d, "group", tl.group);
  setData(d, "selected", tl.selected ? tl.selected.seq : "");
  setData(d, "highlightLine", tl.hlLine || "");
  setData(d, "highlighted", tl.hlLine ? t.lines.get(tl.hlLine) || 0 : 0);
  tl.hooks.onDrawn?.();
}

// api is what window.interleave.timeline shows: the model as plain data,
// and the few actions tests and benchmarks need.
export function api(tl) {
  const self = tl;
  const tr = () => self.trace;
  return {
    get lanes() {
      return tr().lanes.map((l) => ({
        thread: l.id, name: l.name, state: l.state, deadlocked: l.deadlocked, events: l.count,
        spans: l.spanCount, instants: l.marks.length, holdRows: l.rows.length - 1,
        flags: l.flags.length, cut: l.cut ? l.cut.t : null, tids: [...l.tids],
      }));
    },
    get osLanes() {
      return tr().osList.map((l) => ({ tid: l.id, events: l.count, segments: l.segs.length, threads: [...new Set(l.segs.map((s) => s.th))] }));
    },
    get spans() {
      return tr().allSpans().map((s) => ({
        th: s.th, kind: s.kind, obj: s.obj ?? null, t0: s.t0, t1: s.t1, seq0: s.seq0, seq1: s.seq1,
        line: s.line ?? null, row: s.row, unfinished: s.unfinished, cycle: !!s.cycle,
        // ran: the share of a work span its thread ran (null: not measured)
        ran: ranShare(s),
        // waits: when it waited to run, [t0, t1] each (null: never, or not measured)
        waits: s.waits ?? null,
      }));
    },
    get arrows() {
      return ARROW_KINDS.flatMap((k) => tr().arrows[k].map((a) => ({ kind: k, obj: a.obj ?? null, from: { ...a.from }, to: { ...a.to } })));
    },
    get cycle() {
      return tr().cycle.map((c) => ({
        th: c.th, thread: c.thread, op: c.op, obj: c.obj, holder: c.holder, holder_name: c.holder_name,
        line: c.line, t: c.t, holdT: c.holdT, drawn: !!(c.wait || c.hold),
      }));
    },
    // races are the analysis's findings: kind, object, sentence, the seqs
    // and script lines of their accesses and how many of those events the
    // page has.
    get races() {
      return tr().races.map((r) => ({
        kind: r.kind, obj: r.obj, text: r.text, seqs: r.accesses.map((a) => a.seq), lines: raceLines(r), found: r.events.length,
      }));
    },
    // race is the finding drawn over the lanes: its index, its events as
    // drawn (x, y on the canvas, null when not drawn) and whether all of
    // them are inside the time window in view.
    get race() {
      const r = tr().races[self.raceIndex];
      if (!r) return null;
      const pts = r.events.map((e) => {
        const p = position(self, e);
        return { seq: e.seq, th: e.th, t: e.t, x: p ? p.x : null, y: p ? p.y : null };
      });
      const inView = pts.length > 0 && pts.every((p) => p.t >= self.view.t0 && p.t <= self.view.t1 && p.x !== null && p.x >= 0 && p.x <= self.W);
      return { index: self.raceIndex, kind: r.kind, obj: r.obj, label: raceLabel(r), events: pts, inView };
    },
    get flags() {
      return tr().flags.map((e) => ({ seq: e.seq, th: e.th, k: e.k, msg: e.v ?? null, t: e.t }));
    },
    get view() {
      return { t0: self.view.t0, t1: self.view.t1, follow: self.view.follow, width: self.W, height: self.H };
    },
    get events() {
      return tr().events.length;
    },
    get running() {
      return tr().running;
    },
    get selected() {
      return self.selected ? self.selected.seq : null;
    },
    get highlightLine() {
      return self.hlLine;
    },
    get group() {
      return self.group;
    },
    stats: self.stats,
    hash: () => tr().hash(),
    // shapeHash digests what is drawn from the events: spans and arrows.
    shapeHash: () => {
      const parts = tr().allSpans().map((s) => `${s.th}/${s.kind}/${s.obj}/${s.t0}/${s.t1}/${s.row}`);
      for (const k of ARROW_KINDS) for (const a of tr().arrows[k]) parts.push(`${k}/${a.from.seq}/${a.to.seq}`);
      let h = 0x811c9dc5;
      for (const p of parts) for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
      return (h >>> 0).toString(16).padStart(8, "0");
    },
    // locate returns where the event with this seq is drawn, in client
    // (viewport) coordinates, after bringing it into view.
    locate(seq, opts = {}) {
      const e = eventBySeq(self.trace.events, seq);
      if (!e) return null;
      if (opts.separate) self.separate(e);
      self.reveal(e);
      self.drawNow();
      const p = position(self, e);
      if (!p) return null;
      let r = self.canvas.getBoundingClientRect();
      // Bring the point into the window too, so a real click can reach it.
      const y = r.top + p.y - self.scroll.scrollTop;
      if (y < 0 || y > window.innerHeight) {
        window.scrollBy(0, y - window.innerHeight / 2);
        r = self.canvas.getBoundingClientRect();
      }
      return { x: r.left + p.x, y: r.top + p.y - self.scroll.scrollTop, t: e.t, k: e.k, line: e.line ?? null };
    },
    pickAt(clientX, clientY) {
      const r = self.canvas.getBoundingClientRect();
      const hit = pick(self, clientX - r.left, clientY - r.top);
      if (!hit) return null;
      if (hit.e) return { seq: hit.e.seq, k: hit.e.k };
      if (hit.span) return { span: hit.span.kind, seq: hit.span.seq0 };
      return { lane: hit.L.lane.id };
    },
    select(seq) {
      const e = eventBySeq(self.trace.events, seq);
      self.select(e, null, "api");
      return !!e;
    },
    highlight: (n) => self.highlightLine(n),
    showRace: (i, zoom = true) => !!self.showRace(i, zoom),
    setView: (t0, t1) => self.setView(t0, t1),
    zoom: (f) => self.zoomAt(self.W / 2, f, true),
    pan: (px) => self.panBy(px),
    fit: () => self.fit(),
    follow: () => self.followLive(),
    setGroup: (g) => self.setGroup(g),
    cpu: (on) => self.setCPU(on),
    drawNow: () => self.drawNow(),
    svg: (opts) => self.toSVG(opts),
    png: () => toPNG(self),
  };
}
