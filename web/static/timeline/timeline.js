// The timeline: lanes on a canvas, redrawn in requestAnimationFrame from
// the model (model.js). This class holds the state a frame is drawn from
// (the view, the layout, the selection) and schedules frames; the work is
// in modules with one job each, which take the Timeline as their context:
//   layout.js   geometry and view changes      render.js  canvas drawing
//   arrows.js   arrows between lanes           overlay.js the deadlock cycle, highlights
//   race.js     a race's finding over the lanes
//   hit.js      hit-testing and the tooltip    words.js   what it says in words
//   input.js    pointer, wheel and keys        export.js  PNG and SVG
//   testapi.js  hooks for tests and benchmarks

import { eventBySeq } from "./search.js";
import {
  AXIS_H, newView, scale, ticks, fitRange, applyFollow, zoomAt, panBy, followLive, separatingWidth, layoutLanes, liveEnd,
} from "./layout.js";
import { Raster } from "./raster.js";
import { Theme, legendSwatch } from "./glyphs.js";
import { labelLanes, drawAxis, drawLanes } from "./render.js";
import { spanOf, hideTip } from "./hit.js";
import { laneWords, barText } from "./words.js";
import { bind } from "./input.js";
import { raceWindow } from "./race.js";
import { toPNG, timelineSVG } from "./export.js";
import { publish, api } from "./testapi.js";

export class Timeline {
  constructor(root, trace, hooks = {}) {
    this.root = root;
    this.trace = trace;
    this.hooks = hooks;
    this.body = root.closest(".tl-body") || root;
    this.axis = root.querySelector(".tl-axis");
    this.scroll = root.querySelector(".tl-scroll");
    this.inner = root.querySelector(".tl-inner");
    this.labels = root.querySelector(".tl-labels");
    this.canvas = root.querySelector(".tl-lanes");
    let under = root.querySelector(".tl-raster");
    if (!under) {
      under = document.createElement("canvas");
      under.className = "tl-raster";
      this.canvas.before(under);
    }
    this.raster = new Raster(under);
    this.tip = root.querySelector(".tl-tip");
    this.empty = root.querySelector(".tl-empty");
    this.theme = new Theme();
    this.view = newView();
    this.group = "thread";
    this.showCPU = false;
    this.selected = null;
    this.selectedSpan = null;
    this.hlLine = 0;
    this.raceIndex = -1; // the finding of trace.races drawn over the lanes
    this.hover = null;
    this.W = 0;
    this.H = 0;
    this.dpr = 1;
    this.layout = [];
    this.laneAt = new Map();
    this.totalH = 0;
    this.labelEls = new Map();
    this.ticks = [];
    this.queued = false;
    this.textW = new Map();
    this.stats = { frames: 0, lastMs: 0, avgMs: 0, maxMs: 0, runAt: 0, firstEventAt: 0, firstDrawnAt: 0 };
    bind(this);
    this.invalidate();
  }

  // ---- scheduling ----

  invalidate() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => this.frame());
  }

  drawNow() {
    this.frame();
  }

  frame() {
    this.queued = false;
    if (!this.root.isConnected || this.body.hidden) return;
    const start = performance.now();
    this.measure();
    if (this.W <= 0) return;
    this.applyFollow();
    this.doLayout();
    drawAxis(this);
    drawLanes(this);
    publish(this);
    const now = performance.now();
    const ms = now - start;
    const s = this.stats;
    s.frames++;
    s.lastMs = ms;
    s.avgMs = s.frames === 1 ? ms : s.avgMs * 0.9 + ms * 0.1;
    if (ms > s.maxMs) s.maxMs = ms;
    if (!s.firstDrawnAt && this.trace.events.length) s.firstDrawnAt = now;
  }

  // reset forgets the view and the selection for a new run.
  reset() {
    this.view = newView();
    this.selected = null;
    this.selectedSpan = null;
    this.raceIndex = -1;
    this.hover = null;
    hideTip(this);
    this.stats.firstDrawnAt = 0;
    this.stats.firstEventAt = 0;
    this.stats.maxMs = 0;
    this.scroll.scrollTop = 0;
    this.invalidate();
  }

  // ---- geometry (layout.js) ----

  measure() {
    const labelW = this.labels.offsetWidth;
    const w = Math.max(0, this.scroll.clientWidth - labelW);
    this.W = w;
    this.dpr = window.devicePixelRatio || 1;
  }

  x(t) {
    return (t - this.view.t0) * this.k;
  }

  tAt(px) {
    return this.view.t0 + px / this.k;
  }

  get k() {
    return scale(this.view, this.W);
  }

  fitRange() {
    return fitRange(this.trace, this.W);
  }

  applyFollow() {
    applyFollow(this.view, this.trace, this.W);
  }

  lanes() {
    return this.group === "os" ? this.trace.osList : this.trace.lanes;
  }

  // doLayout places the lanes, sizes the canvases to them and labels them.
  doLayout() {
    const { layout, laneAt, height: y } = layoutLanes(this.lanes(), this.showCPU);
    this.layout = layout;
    this.laneAt = laneAt;
    if (y !== this.totalH) {
      this.totalH = y;
      this.inner.style.height = `${y}px`;
    }
    labelLanes(this);
    const H = Math.max(1, Math.min(y, this.scroll.clientHeight || y));
    this.H = H;
    this.sizeCanvas(this.canvas, this.W, H);
    this.raster.canvas.style.width = `${this.W}px`;
    this.raster.canvas.style.height = `${H}px`;
    this.sizeCanvas(this.axis, this.W, AXIS_H);
    if (this.empty) this.empty.hidden = this.trace.events.length > 0;
  }

  sizeCanvas(c, w, h) {
    const W = Math.round(w * this.dpr);
    const H = Math.round(h * this.dpr);
    if (c.width !== W || c.height !== H) {
      c.width = W;
      c.height = H;
      c.style.width = `${w}px`;
      c.style.height = `${h}px`;
    }
  }

  tickList() {
    return ticks(this.view, this.W);
  }

  liveEnd(lane) {
    return liveEnd(this.trace, lane);
  }

  // ---- what the drawing says (words.js) and its colours ----

  laneWords(l) {
    return laneWords(this.trace, l);
  }

  barText(s, style) {
    return barText(this.trace, s, style);
  }

  mutexColour(name) {
    const i = this.trace.mutexes.get(name);
    return i === undefined ? this.theme.colourOf(name) : this.theme.palette[i % this.theme.palette.length];
  }

  retheme() {
    this.theme.load();
    this.raster.colours.clear();
    this.paintLegend();
    this.invalidate();
  }

  paintLegend(root = document) {
    for (const c of root.querySelectorAll("canvas[data-swatch]")) legendSwatch(c, this.theme, c.dataset.swatch);
  }

  // ---- selection ----

  eventBySeq(seq) {
    return eventBySeq(this.trace.events, seq);
  }

  // select marks an event (and the span it belongs to) and tells the page,
  // which shows its line in the script and its row in the log.
  select(e, span = null, from = "") {
    this.selected = e;
    this.selectedSpan = span || (e ? spanOf(this.trace.threads.get(e.th) || { marks: [], rows: [] }, e) : null);
    this.hooks.onSelect?.(e, this.selectedSpan, from);
    this.invalidate();
  }

  // reveal brings an event into view, centring it if it is outside.
  reveal(e) {
    const L = this.laneAt.get(e.th);
    if (L) {
      const st = this.scroll.scrollTop;
      if (L.y < st || L.y + L.h > st + this.H) this.scroll.scrollTop = Math.max(0, L.y - this.H / 3);
    }
    const x = this.x(e.t);
    if (x < 24 || x > this.W - 24) {
      const w = this.view.t1 - this.view.t0;
      this.view.t0 = e.t - w / 2;
      this.view.t1 = e.t + w / 2;
      this.view.follow = false;
    }
    this.invalidate();
  }

  // separate zooms in around an event until its neighbours on its lane
  // are drawn apart from it.
  separate(e, px = 24) {
    const lane = this.trace.threads.get(e.th);
    if (!lane || !this.W) return;
    const w = separatingWidth(lane.marks, e, this.W, px);
    if (w !== null && this.view.t1 - this.view.t0 > w) this.setView(e.t - w / 2, e.t + w / 2);
  }

  // highlightLine rings every event caused by a script line (0 clears).
  highlightLine(n) {
    this.hlLine = n || 0;
    this.invalidate();
    return this.trace.lines.get(this.hlLine) || 0;
  }

  // showRace draws finding i of the run's races over the lanes (-1: none)
  // and, with zoom, fits the view to its events and scrolls its first
  // lane into sight. It returns the finding, or null.
  showRace(i, zoom = false) {
    const r = this.trace.races[i] || null;
    this.raceIndex = r ? i : -1;
    if (r && zoom && r.events.length) {
      const w = raceWindow(r.events);
      this.setView(w.t0, w.t1);
      this.drawNow();
      const ys = r.events.map((e) => this.laneAt.get(e.th)).filter(Boolean);
      if (ys.length) {
        const top = Math.min(...ys.map((L) => L.y));
        const bottom = Math.max(...ys.map((L) => L.y + L.h));
        const st = this.scroll.scrollTop;
        if (top < st || bottom > st + this.H) this.scroll.scrollTop = Math.max(0, bottom - top > this.H ? top : top - (this.H - (bottom - top)) / 2);
      }
    }
    this.invalidate();
    return r;
  }

  // ---- view changes (layout.js) ----

  zoomAt(px, f, user = false) {
    zoomAt(this.view, this.trace, this.W, px, f, user);
    this.invalidate();
  }

  zoomIn() {
    this.zoomAt(this.W / 2, 1 / 1.6);
  }

  zoomOut() {
    this.zoomAt(this.W / 2, 1.6);
  }

  panBy(dpx) {
    panBy(this.view, this.W, dpx);
    this.invalidate();
  }

  fit() {
    this.view.follow = "fit";
    this.invalidate();
  }

  followLive() {
    followLive(this.view, this.trace, this.W);
    this.invalidate();
  }

  setView(t0, t1) {
    this.view.t0 = t0;
    this.view.t1 = Math.max(t1, t0 + 1);
    this.view.follow = false;
    this.invalidate();
  }

  setGroup(g) {
    this.group = g === "os" ? "os" : "thread";
    hideTip(this);
    this.invalidate();
  }

  setCPU(on) {
    this.showCPU = !!on;
    this.invalidate();
  }

  // ---- export (export.js) and the test API (testapi.js) ----

  // toPNG gives the timeline as it is shown as a PNG.
  toPNG() {
    return toPNG(this);
  }

  // toSVG gives the timeline's current view (all its lanes, the time
  // window in view) as a standalone SVG document, drawn from the model.
  toSVG(opts = {}) {
    this.drawNow();
    return timelineSVG(this, opts);
  }

  // api is what window.interleave.timeline shows.
  api() {
    return api(this);
  }
}
