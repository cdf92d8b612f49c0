// The timeline's renderer: lanes on a canvas, redrawn in
// requestAnimationFrame from the model in model.js.
//
// It stays smooth with hundreds of thousands of events because a frame
// only touches what it shows: lanes outside the scrolled area are skipped,
// each lane's sorted arrays are cut to the visible window by binary
// search, and where more events fall in the window than there are pixels,
// one column per pixel stands for all of them (found by binary search
// again, so the cost follows the width, not the event count). The DOM
// holds one element per lane (its label and test hooks), never one per
// event.

import { ARROW_KINDS } from "./model.js";
import { firstAt, firstEndingAt, nextAt } from "./search.js";
import { fmtTime, fmtValue, describe } from "../format.js";
import { Theme, glyph, cutMark, flag, arrowStyle, arrowHead, legendSwatch } from "./glyphs.js";
import { timelineSVG } from "./svg.js";

const PAD = 6; // above and below a lane's rows
const ROW0 = 22; // the main row: instants, waits, work
const HOLD = 13; // one row of lock holds
const CPU = 10; // the CPU strip
const STAGGER = 8; // px between instants that share one time
const AXIS_H = 28;
const MIN_LANE = 34;
const ARROW_FULL = 150; // handoffs or messages in view drawn in full
const ARROW_PLAIN = 1200; // ... drawn as plain lines; beyond, left out

const SPAN_LABEL = {
  wait: (s) => `wait for ${s.obj}`,
  join: (s) => `join ${s.obj}`,
  send: (s) => `send → ${s.obj}`,
  recv: (s) => `recv ← ${s.obj}`,
  sleep: () => "sleep",
  work: () => "work",
  hold: (s) => s.obj,
};

function spanSentence(s, name) {
  switch (s.kind) {
    case "wait": return `${name} waits for lock ${s.obj}`;
    case "hold": return `${name} holds lock ${s.obj}`;
    case "join": return `${name} waits for ${s.obj} to finish (join)`;
    case "send": return `${name} is blocked sending ${fmtValue(s.v)} on ${s.obj}`;
    case "recv": return `${name} is blocked receiving on ${s.obj}`;
    case "sleep": return `${name} sleeps${s.v !== undefined ? ` ${s.v} ms` : ""}`;
    case "work": return `${name} works${s.v !== undefined ? ` ${s.v} µs` : ""} on the CPU`;
  }
  return `${name}: ${s.kind}`;
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

// tickLabel writes a tick's time in the unit of the view's magnitude,
// with as many decimals as the step between ticks needs: 30.075 ms.
function tickLabel(t, step, mag) {
  if (Math.abs(t) < step / 2) return "0";
  const [unit, name] = mag < 1e3 ? [1, "ns"] : mag < 1e6 ? [1e3, "µs"] : mag < 1e9 ? [1e6, "ms"] : [1e9, "s"];
  const dec = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9)));
  return `${(t / unit).toFixed(dec)} ${name}`;
}

function setData(el, key, value) {
  const s = String(value);
  if (el.dataset[key] !== s) el.dataset[key] = s;
}

// Raster is the layer under the lanes' vector drawing: a pixel buffer for
// what is drawn one pixel column at a time (dense instants, bars under a
// pixel wide, lane stripes), written straight into memory and put on its
// own canvas once a frame. Thousands of fillRect calls would cost far more,
// in script and in rasterizing, than one putImageData.
class Raster {
  constructor(canvas) {
    this.canvas = canvas;
    this.g = canvas.getContext("2d");
    this.img = null;
    this.buf = null;
    this.w = 0;
    this.h = 0;
    this.dpr = 1;
    this.colours = new Map();
    const probe = document.createElement("canvas");
    probe.width = 1;
    probe.height = 1;
    this.probe = probe.getContext("2d", { willReadFrequently: true });
  }

  begin(w, h, dpr) {
    const W = Math.max(1, Math.round(w * dpr));
    const H = Math.max(1, Math.round(h * dpr));
    if (!this.img || this.img.width !== W || this.img.height !== H) {
      this.img = this.g.createImageData(W, H);
      this.buf = new Uint32Array(this.img.data.buffer);
    } else this.buf.fill(0);
    this.w = W;
    this.h = H;
    this.dpr = dpr;
  }

  // u32 turns a CSS colour into a pixel, cached.
  u32(css) {
    let v = this.colours.get(css);
    if (v === undefined) {
      const p = this.probe;
      p.clearRect(0, 0, 1, 1);
      p.fillStyle = css;
      p.fillRect(0, 0, 1, 1);
      const [r, gg, b, a] = p.getImageData(0, 0, 1, 1).data;
      v = ((a << 24) | (b << 16) | (gg << 8) | r) >>> 0;
      this.colours.set(css, v);
    }
    return v;
  }

  // rect fills a rectangle given in CSS pixels.
  rect(x, y, w, h, px) {
    const d = this.dpr;
    const x0 = Math.max(0, Math.round(x * d));
    const x1 = Math.min(this.w, Math.round((x + w) * d));
    const y0 = Math.max(0, Math.round(y * d));
    const y1 = Math.min(this.h, Math.round((y + h) * d));
    if (x1 <= x0 || y1 <= y0) return;
    const buf = this.buf;
    const W = this.w;
    if (x1 - x0 === 1) {
      for (let yy = y0, o = y0 * W + x0; yy < y1; yy++, o += W) buf[o] = px;
    } else {
      for (let yy = y0; yy < y1; yy++) buf.fill(px, yy * W + x0, yy * W + x1);
    }
  }

  end() {
    if (this.canvas.width !== this.w || this.canvas.height !== this.h) {
      this.canvas.width = this.w;
      this.canvas.height = this.h;
    }
    this.g.putImageData(this.img, 0, 0);
  }
}

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
    this.view = { t0: 0, t1: 1e6, follow: "fit" };
    this.group = "thread";
    this.showCPU = false;
    this.selected = null;
    this.selectedSpan = null;
    this.hlLine = 0;
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
    this.bind();
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
    this.drawAxis();
    this.drawLanes();
    this.publish();
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
    this.view = { t0: 0, t1: 1e6, follow: "fit" };
    this.selected = null;
    this.selectedSpan = null;
    this.hover = null;
    this.hideTip();
    this.stats.firstDrawnAt = 0;
    this.stats.firstEventAt = 0;
    this.stats.maxMs = 0;
    this.scroll.scrollTop = 0;
    this.invalidate();
  }

  // ---- geometry ----

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
    return this.W / Math.max(1e-9, this.view.t1 - this.view.t0);
  }

  fitRange() {
    const tr = this.trace;
    const lo = tr.events.length ? Math.min(0, tr.minT) : 0;
    const hi = Math.max(tr.maxT, lo + 1000);
    const right = this.rightPad();
    const tpp = (hi - lo) / Math.max(40, this.W - 12 - right);
    return [lo - 12 * tpp, hi + right * tpp];
  }

  // rightPad leaves room after the last event: for the live edge, and for
  // the names of a deadlock's cycle.
  rightPad() {
    return this.trace.cycle.length ? Math.min(200, this.W * 0.4) : 58;
  }

  applyFollow() {
    const v = this.view;
    if (v.follow === "fit") {
      [v.t0, v.t1] = this.fitRange();
    } else if (v.follow === "edge") {
      const w = v.t1 - v.t0;
      v.t1 = this.trace.maxT + (58 * w) / Math.max(1, this.W);
      v.t0 = v.t1 - w;
    }
  }

  lanes() {
    return this.group === "os" ? this.trace.osList : this.trace.lanes;
  }

  laneHeight(l) {
    const cpu = this.showCPU && l.cpu.length ? CPU + 3 : 0;
    if (l.kind === "os") return Math.max(MIN_LANE, PAD + ROW0 + cpu + PAD);
    return Math.max(MIN_LANE, PAD + ROW0 + (l.rows.length - 1) * HOLD + cpu + PAD);
  }

  doLayout() {
    const lanes = this.lanes();
    const layout = [];
    this.laneAt = new Map();
    let y = 0;
    for (const lane of lanes) {
      const h = this.laneHeight(lane);
      const L = { lane, y, h, cy: PAD + ROW0 / 2, dense: false };
      layout.push(L);
      if (lane.kind === "thread") this.laneAt.set(lane.id, L);
      y += h;
    }
    this.layout = layout;
    if (y !== this.totalH) {
      this.totalH = y;
      this.inner.style.height = `${y}px`;
    }
    this.labelLanes();
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

  // labelLanes keeps one element per lane: its name, its state in words,
  // and the data-* hooks tests read.
  labelLanes() {
    const keep = new Set();
    for (let i = 0; i < this.layout.length; i++) {
      const L = this.layout[i];
      const l = L.lane;
      const key = `${l.kind}:${l.id}`;
      keep.add(key);
      let el = this.labelEls.get(key);
      if (!el) {
        el = document.createElement("div");
        el.className = l.kind === "os" ? "lane os" : "lane";
        if (l.kind === "os") {
          el.setAttribute("data-testid", "os-lane");
          el.dataset.tid = l.id;
        } else {
          el.setAttribute("data-testid", "lane");
          el.dataset.thread = l.id;
        }
        el.innerHTML = '<span class="lane-name"></span><span class="lane-sub"></span>';
        el._name = el.firstChild;
        el._sub = el.lastChild;
        this.labels.appendChild(el);
        this.labelEls.set(key, el);
      }
      if (el.classList.contains("alt") !== (i % 2 === 1)) el.classList.toggle("alt");
      const top = `${L.y}px`;
      const h = `${L.h}px`;
      if (el.style.top !== top) el.style.top = top;
      if (el.style.height !== h) el.style.height = h;
      if (el._name.textContent !== l.name) el._name.textContent = l.name;
      const sub = this.laneWords(l);
      if (el._sub.textContent !== sub) el._sub.textContent = sub;
      setData(el, "name", l.name);
      setData(el, "state", l.deadlocked ? "deadlocked" : l.state);
      setData(el, "drawn", l.count);
      setData(el, "spans", l.kind === "os" ? l.segs.length : l.spanCount);
      setData(el, "instants", l.marks.length);
      setData(el, "flags", l.flags.length);
      el.title = `${l.name}: ${sub}`;
    }
    for (const [key, el] of this.labelEls) {
      if (!keep.has(key)) {
        el.remove();
        this.labelEls.delete(key);
      }
    }
  }

  laneWords(l) {
    if (l.kind === "os") {
      const names = [];
      const seen = new Set();
      for (const s of l.segs) {
        if (seen.has(s.th)) continue;
        seen.add(s.th);
        names.push(this.trace.threads.get(s.th)?.name ?? `#${s.th}`);
        if (names.length > 3) break;
      }
      return names.length > 3 ? `${names.slice(0, 3).join(", ")}…` : names.join(", ");
    }
    const bits = [];
    if (l.deadlocked) bits.push("⟳ deadlocked");
    else if (l.state === "cutoff") bits.push("✂ cut off");
    else if (l.state === "panicked") bits.push("! panicked");
    else if (l.state === "ended") bits.push("ended");
    else if (l.state === "blocked") bits.push("blocked");
    else if (l.state === "running" || l.state === "new") bits.push(this.trace.running ? "running" : l.state === "new" ? "not started" : "running");
    else bits.push(l.state);
    if (l.flags.some((e) => e.k === "check")) bits.push("✗ check");
    if (this.trace.mode === "green" && l.tids.size > 1) bits.push(`${l.tids.size} OS thr.`);
    return bits.join(" · ");
  }

  // ---- drawing ----

  drawAxis() {
    const g = this.axis.getContext("2d");
    const th = this.theme;
    const W = this.W;
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, W, AXIS_H);
    this.ticks = [];
    g.font = "11px system-ui, sans-serif";
    g.textBaseline = "alphabetic";
    g.fillStyle = th.muted;
    g.strokeStyle = th.muted;
    g.lineWidth = 1;
    g.beginPath();
    for (const { x, label } of this.tickList()) {
      this.ticks.push(x);
      g.moveTo(x, AXIS_H - 7);
      g.lineTo(x, AXIS_H);
      g.fillText(label, x + 3, AXIS_H - 9);
    }
    g.stroke();
    // Where things went wrong, so they can be found when zoomed out.
    for (const f of this.trace.flags) {
      const x = this.x(f.t);
      if (x < -6 || x > W + 6) continue;
      g.fillStyle = th.bad;
      g.beginPath();
      g.moveTo(x - 5, 1);
      g.lineTo(x + 5, 1);
      g.lineTo(x, 9);
      g.closePath();
      g.fill();
    }
    if (this.trace.cycle.length) {
      const t = Math.max(...this.trace.cycle.map((c) => c.t));
      const x = this.x(t);
      g.font = "bold 11px system-ui, sans-serif";
      g.fillStyle = th.bad;
      g.fillText("⟳ deadlock", Math.min(W - 70, x + 4), 10);
    }
    if (this.trace.running && this.trace.events.length) {
      const x = this.x(this.trace.maxT);
      if (x >= 0 && x <= W) {
        g.fillStyle = th.accent;
        g.font = "bold 10px system-ui, sans-serif";
        g.fillText("live", Math.min(W - 22, x + 3), 10);
      }
    }
    if (this.selected) {
      const x = this.x(this.selected.t);
      g.fillStyle = th.accent;
      g.beginPath();
      g.moveTo(x - 5, AXIS_H);
      g.lineTo(x + 5, AXIS_H);
      g.lineTo(x, AXIS_H - 7);
      g.closePath();
      g.fill();
    }
    g.strokeStyle = th.grid;
    g.beginPath();
    g.moveTo(0, AXIS_H - 0.5);
    g.lineTo(W, AXIS_H - 0.5);
    g.stroke();
  }

  // tickList gives the time axis's ticks in view: where, and their labels.
  tickList() {
    const span = this.view.t1 - this.view.t0;
    const step = niceStep((span * 110) / Math.max(1, this.W));
    const mag = Math.max(Math.abs(this.view.t0), Math.abs(this.view.t1));
    const out = [];
    for (let t = Math.ceil(this.view.t0 / step) * step; t <= this.view.t1; t += step) {
      out.push({ x: Math.round(this.x(t)) + 0.5, label: tickLabel(t, step, mag) });
    }
    return out;
  }

  drawLanes() {
    const g = this.canvas.getContext("2d");
    const th = this.theme;
    const W = this.W;
    const H = this.H;
    g.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const sy = this.scroll.scrollTop;
    const R = this.raster;
    R.begin(W, H, this.dpr);
    // Zebra stripes and the time grid.
    const alt = R.u32(th.alt);
    for (let i = 0; i < this.layout.length; i++) {
      const L = this.layout[i];
      const top = L.y - sy;
      if (top > H || top + L.h < 0) continue;
      if (i % 2 === 1) R.rect(0, top, W, L.h, alt);
    }
    g.strokeStyle = th.grid;
    g.lineWidth = 1;
    g.beginPath();
    for (const x of this.ticks) {
      g.moveTo(x, 0);
      g.lineTo(x, H);
    }
    g.stroke();
    for (const L of this.layout) {
      const top = L.y - sy;
      if (top > H || top + L.h < 0) continue;
      if (L.lane.kind === "os") this.drawOSLane(g, L, top);
      else this.drawThreadLane(g, L, top);
    }
    R.end();
    if (this.group === "thread") {
      this.drawArrows(g, sy);
      this.drawCycle(g, sy);
      this.drawHighlights(g, sy);
    }
    if (this.trace.running && this.trace.events.length) {
      const x = Math.round(this.x(this.trace.maxT)) + 0.5;
      g.strokeStyle = th.accent;
      g.globalAlpha = 0.5;
      g.setLineDash([3, 3]);
      g.beginPath();
      g.moveTo(x, 0);
      g.lineTo(x, H);
      g.stroke();
      g.setLineDash([]);
      g.globalAlpha = 1;
    }
  }

  liveEnd(lane) {
    if (lane.tEnd !== null) return lane.tEnd;
    return this.trace.running ? this.trace.maxT : Math.max(lane.lastT, this.trace.maxT);
  }

  drawThreadLane(g, L, top) {
    const l = L.lane;
    const th = this.theme;
    const cy = top + L.cy;
    const W = this.W;
    // The thread's life: a thin line from its start to its end.
    if (l.t0 !== null) {
      const x0 = Math.max(-2, this.x(l.t0));
      const x1 = Math.min(W + 2, this.x(this.liveEnd(l)));
      if (x1 >= x0) {
        g.fillStyle = th.k.life;
        g.fillRect(x0, cy - 1, Math.max(1, x1 - x0), 2);
      }
    }
    this.drawBars(g, l.rows[0], top + PAD + 2, ROW0 - 4, l, "span");
    for (let r = 1; r < l.rows.length; r++) {
      this.drawBars(g, l.rows[r], top + PAD + ROW0 + (r - 1) * HOLD + 1, HOLD - 2, l, "hold");
    }
    this.drawMarks(g, L, cy);
    if (l.cut) {
      const x = this.x(l.cut.t);
      if (x > -6 && x < W + 6) {
        cutMark(g, th, x, top + 3, top + L.h - 3);
        g.fillStyle = th.bad;
        g.font = "bold 10px system-ui, sans-serif";
        if (x + 40 < W && !l.deadlocked) g.fillText("cut", x + 6, top + 11);
      }
    }
    for (const f of l.flags) {
      const x = this.x(f.t);
      if (x < -12 || x > W + 12) continue;
      flag(g, th, x, top + 2, top + L.h - 2, f.k === "panic" ? "!" : "✗");
    }
    if (this.showCPU && l.cpu.length) this.drawCPU(g, l, top + L.h - PAD - CPU);
  }

  drawOSLane(g, L, top) {
    const l = L.lane;
    this.drawBars(g, l.segs, top + PAD + 2, ROW0 - 4, l, "seg");
    if (this.showCPU && l.cpu.length) this.drawCPU(g, l, top + L.h - PAD - CPU);
  }

  drawCPU(g, l, y) {
    this.drawBars(g, l.cpu, y, CPU, l, "cpu");
  }

  // drawBars draws one row of non-overlapping bars sorted by start: spans,
  // holds, OS-thread segments or CPU segments. Bars under a pixel wide
  // share one pixel column, and a binary search skips the rest of them.
  drawBars(g, row, y, h, lane, style) {
    if (!row.length) return;
    const th = this.theme;
    const W = this.W;
    const t0 = this.tAt(-4);
    const t1 = this.tAt(W + 4);
    const liveEnd = this.liveEnd(lane);
    const hl = this.hlLine;
    const R = this.raster;
    const v0 = this.view.t0;
    const k = this.k;
    const cw = style === "seg" || style === "cpu" ? 2 : 1;
    let lastPx = -1e9;
    let lastCss = "";
    let lastU32 = 0;
    g.font = "10.5px system-ui, sans-serif";
    g.textBaseline = "middle";
    for (let i = firstEndingAt(row, t0); i < row.length; i++) {
      const s = row[i];
      if (s.t0 > t1) break;
      const end = s.t1 === null ? liveEnd : s.t1;
      let x0 = (s.t0 - v0) * k;
      let x1 = (end - v0) * k;
      if (x1 - x0 < 1.5) {
        const px = Math.floor(x0);
        if (px !== lastPx) {
          const css = this.barColour(s, style);
          if (css !== lastCss) {
            lastCss = css;
            lastU32 = R.u32(css);
          }
          R.rect(px, y, cw, h, lastU32);
          lastPx = px;
        }
        const j = nextAt(row, v0 + (px + 1) / k, i + 1, row.length, "t0") - 1;
        if (j > i) i = j - 1;
        continue;
      }
      x0 = Math.max(-4, x0);
      x1 = Math.min(W + 4, x1);
      const w = x1 - x0;
      g.fillStyle = this.barFill(g, s, style);
      g.fillRect(x0, y, w, h);
      if (style === "span" && s.kind !== "work") {
        g.strokeStyle = th.spanColour(s.kind);
        g.lineWidth = 1;
        g.strokeRect(x0 + 0.5, y + 0.5, w - 1, h - 1);
      }
      if (s.cycle) {
        g.strokeStyle = th.bad;
        g.lineWidth = 2.5;
        g.strokeRect(x0 + 1, y + 1, w - 2, h - 2);
      } else if (hl && s.line === hl) {
        g.strokeStyle = th.accent;
        g.lineWidth = 2;
        g.strokeRect(x0 + 1, y + 1, w - 2, h - 2);
      }
      if (this.selectedSpan === s) {
        g.strokeStyle = th.fg;
        g.lineWidth = 2;
        g.strokeRect(x0 - 1, y - 1, w + 2, h + 2);
      }
      if (w > 26 && h >= 9) {
        const text = this.barText(s, style);
        const tw = this.measureText(g, text);
        if (tw + 8 <= w || w > 60) {
          const vx0 = Math.max(0, x0);
          const vw = Math.min(W, x1) - vx0;
          if (vw > 20) {
            g.save();
            g.beginPath();
            g.rect(vx0, y, vw, h);
            g.clip();
            g.fillStyle = style === "span" && s.kind !== "work" ? th.fg : th.onFill;
            g.fillText(text, vx0 + 4, y + h / 2 + 0.5);
            g.restore();
          }
        }
      }
      lastPx = Math.floor(x1);
    }
  }

  // barColour is a bar's plain colour, for bars drawn a pixel wide.
  barColour(s, style) {
    switch (style) {
      case "hold": return this.mutexColour(s.obj);
      case "seg": return this.theme.colourOf(s.th);
      case "cpu": return this.theme.colourOf(s.cpu + 3);
    }
    return this.theme.spanColour(s.kind);
  }

  barFill(g, s, style) {
    const th = this.theme;
    switch (style) {
      case "hold": return this.mutexColour(s.obj);
      case "seg": return th.colourOf(s.th);
      case "cpu": return th.colourOf(s.cpu + 3);
    }
    if (s.kind === "work") return th.k.work;
    return th.pattern(g, s.kind);
  }

  mutexColour(name) {
    const i = this.trace.mutexes.get(name);
    return i === undefined ? this.theme.colourOf(name) : this.theme.palette[i % this.theme.palette.length];
  }

  barText(s, style) {
    switch (style) {
      case "seg": return this.trace.threads.get(s.th)?.name ?? `#${s.th}`;
      case "cpu": return `cpu ${s.cpu}`;
    }
    return (SPAN_LABEL[s.kind] || ((x) => x.kind))(s);
  }

  measureText(g, text) {
    let w = this.textW.get(text);
    if (w === undefined) {
      w = g.measureText(text).width;
      if (this.textW.size > 2000) this.textW.clear();
      this.textW.set(text, w);
    }
    return w;
  }

  drawMarks(g, L, cy) {
    const marks = L.lane.marks;
    if (!marks.length) return;
    const th = this.theme;
    const W = this.W;
    const i0 = firstAt(marks, this.tAt(-12));
    const i1 = firstAt(marks, this.tAt(W + 12));
    const n = i1 - i0;
    L.dense = n > W / 5;
    if (!L.dense) {
      for (let i = i0; i < i1; i++) {
        const e = marks[i];
        glyph(g, th, e, this.x(e.t) + e._d * STAGGER, cy);
      }
      return;
    }
    // Dense: a column per pixel, as tall as the log of its count. Reads
    // stand above the lane's line and writes below it, so the two differ
    // by place as well as colour; anything else sits across the line.
    const R = this.raster;
    const up = R.u32(th.k.read);
    const down = R.u32(th.k.write);
    const t0 = this.view.t0;
    const k = this.k;
    const column = (px, c, reads, writes, other) => {
      const hh = Math.min(ROW0 / 2 - 1, 3 + 1.8 * Math.log2(c));
      if (reads) R.rect(px, cy - hh - 1, 1, hh, up);
      if (writes) R.rect(px, cy + 1, 1, hh, down);
      if (other) R.rect(px, cy - 4, 1, 8, R.u32(th.markColour(other)));
    };
    const isWrite = (kind) => kind === "set" || kind === "add" || kind === "cas" || kind === "swap";
    if (n <= 48 * W) {
      // One sweep over the events in view, a column at a time.
      let px = Math.floor((marks[i0].t - t0) * k);
      let c = 0;
      let reads = 0;
      let writes = 0;
      let other = null;
      for (let i = i0; i < i1; i++) {
        const e = marks[i];
        const x = Math.floor((e.t - t0) * k);
        if (x !== px) {
          if (c) column(px, c, reads, writes, other);
          px = x;
          c = reads = writes = 0;
          other = null;
        }
        c++;
        const kind = e.k;
        if (kind === "get") reads++;
        else if (isWrite(kind)) writes++;
        else other = e;
      }
      if (c) column(px, c, reads, writes, other);
      return;
    }
    // Denser still: jump from column to column by binary search, and look
    // at the first few events of each to tell reads from writes.
    let i = i0;
    let px = Math.floor((marks[i0].t - t0) * k);
    while (i < i1) {
      const j = nextAt(marks, t0 + (px + 1) / k, i, i1, "t");
      const c = j - i;
      if (c > 0) {
        let reads = 0;
        let writes = 0;
        let other = null;
        const m = Math.min(j, i + 12);
        for (let q = i; q < m; q++) {
          const kind = marks[q].k;
          if (kind === "get") reads++;
          else if (isWrite(kind)) writes++;
          else other = marks[q];
        }
        column(px, c, reads, writes, other || (!reads && !writes ? marks[i] : null));
      }
      i = j;
      if (i < i1) px = Math.max(px + 1, Math.floor((marks[i].t - t0) * k));
    }
  }

  laneY(L, sy) {
    return L.y - sy + L.cy;
  }

  holdY(L, sy, span) {
    if (!span || span.row === 0) return this.laneY(L, sy);
    return L.y - sy + PAD + ROW0 + (span.row - 1) * HOLD + HOLD / 2;
  }

  // drawArrows draws the arrows between lanes in view. Spawns and joins
  // are few and always drawn in full. Handoffs and messages can be
  // thousands: drawn in full (curves, dashes, heads) while few are in
  // view, as plain straight lines while there are more, and left out (with
  // a note on the axis) when they would only be a smear.
  drawArrows(g, sy) {
    const th = this.theme;
    const H = this.H;
    const W = this.W;
    const v0 = this.tAt(-30);
    const v1 = this.tAt(W + 30);
    const heads = [];
    this.arrowsHidden = 0;
    for (const kind of ARROW_KINDS) {
      const arr = this.trace.arrows[kind];
      if (!arr.length) continue;
      const maxDur = this.trace.maxDur[kind];
      // Collect what is in view, one arrow per pixel and pair of lanes.
      const seen = new Set();
      const list = [];
      const many = kind === "handoff" || kind === "message";
      for (let i = firstAt(arr, v0, "tb"); i < arr.length; i++) {
        const a = arr[i];
        if (a.tb > v1 + maxDur) break;
        if (a.ta > v1) continue;
        const A = this.laneAt.get(a.from.th);
        const B = this.laneAt.get(a.to.th);
        if (!A || !B || A === B) continue;
        const x1 = this.x(a.from.t);
        const x2 = this.x(a.to.t);
        const y1 = this.laneY(A, sy);
        const yb = this.laneY(B, sy);
        if ((y1 < -20 && yb < -20) || (y1 > H + 20 && yb > H + 20)) continue;
        const key = (((x1 | 0) + 4096) * 16384 + ((x2 | 0) + 4096)) * 65536 + ((a.from.th & 255) << 8) + (a.to.th & 255);
        if (seen.has(key)) continue;
        seen.add(key);
        list.push(a, x1, y1, x2, yb);
        if (many && list.length > ARROW_PLAIN * 5) break;
      }
      const n = list.length / 5;
      if (many && n > ARROW_PLAIN) {
        this.arrowsHidden += n;
        continue;
      }
      if (many && n > ARROW_FULL) {
        g.globalAlpha = 0.45;
        g.lineWidth = 1;
        g.setLineDash([]);
        g.strokeStyle = kind === "message" ? th.k.chan : th.muted;
        g.beginPath();
        for (let i = 0; i < list.length; i += 5) {
          g.moveTo(list[i + 1], list[i + 2]);
          g.lineTo(list[i + 3], list[i + 4]);
        }
        g.stroke();
        g.globalAlpha = 1;
        continue;
      }
      arrowStyle(g, th, kind, th.muted);
      let colour = "";
      g.beginPath();
      for (let i = 0; i < list.length; i += 5) {
        const a = list[i];
        const x1 = list[i + 1];
        const y1 = list[i + 2];
        const x2 = list[i + 3];
        const yb = list[i + 4];
        if (kind === "handoff") {
          const c = this.mutexColour(a.obj);
          if (c !== colour) {
            g.stroke();
            g.strokeStyle = c;
            g.beginPath();
            colour = c;
          }
        }
        const dir = yb > y1 ? 1 : -1;
        const y2 = yb - dir * 8;
        const my = (y1 + y2) / 2;
        g.moveTo(x1, y1);
        g.bezierCurveTo(x1, my, x2, my, x2, y2);
        heads.push(x2, y2, dir, kind === "handoff" ? this.mutexColour(a.obj) : "", kind);
      }
      g.stroke();
    }
    g.setLineDash([]);
    for (let i = 0; i < heads.length; i += 5) {
      const kind = heads[i + 4];
      arrowStyle(g, th, kind, heads[i + 3] || th.muted);
      g.setLineDash([]);
      arrowHead(g, heads[i], heads[i + 1], heads[i + 2] > 0 ? Math.PI / 2 : -Math.PI / 2, kind === "message");
    }
  }

  // drawCycle draws a deadlock's wait-for cycle over the lanes: from each
  // waiting thread, where it asked, a red arrow to the span where the
  // holder holds what it waits for; the arrows and the hold bars close the
  // loop. Each waiter's lane is labelled in words to the right.
  drawCycle(g, sy) {
    const cyc = this.trace.cycle;
    if (!cyc.length) return;
    const th = this.theme;
    const used = [];
    const bulge = 26;
    let right = -Infinity;
    const labels = [];
    g.lineCap = "round";
    for (const c of cyc) {
      const A = this.laneAt.get(c.th);
      const B = this.laneAt.get(c.holder);
      if (!A || !B) continue;
      // Start where the waiter asked; if another arrow starts there, move
      // aside, to the left first, since the run ends on the right.
      const x0 = this.x(c.t);
      let x = x0;
      for (let k = 1; used.some((u) => Math.abs(u - x) < 14) && k < 20; k++) x = x0 + (k % 2 ? -14 : 14) * Math.ceil(k / 2);
      used.push(x);
      const y1 = this.laneY(A, sy);
      const yb = this.holdY(B, sy, c.hold);
      // End on the hold bar, however narrow.
      let xe = x + 2;
      if (c.hold) {
        const h0 = this.x(c.hold.t0) + 3;
        const h1 = this.x(c.hold.t1 ?? this.liveEnd(B.lane)) - 3;
        xe = h1 > h0 ? Math.min(Math.max(xe, h0), h1) : h0;
      }
      const verb = c.op === "lock" ? "waits for" : `waits to ${c.op}`;
      labels.push({ y: y1, text: `${c.thread} ${verb} ${c.obj}` });
      g.fillStyle = th.bad;
      if (A === B) {
        // A self-loop: the owner asked again for a lock it holds.
        for (const [w, col] of [[6, th.bg], [2.5, th.bad]]) {
          g.strokeStyle = col;
          g.lineWidth = w;
          g.beginPath();
          g.arc(x + 9, y1 - 1, 9, Math.PI * 0.75, Math.PI * 2.55);
          g.stroke();
        }
        arrowHead(g, x + 9 + 9 * Math.cos(Math.PI * 0.55), y1 - 1 + 9 * Math.sin(Math.PI * 0.55), Math.PI, false);
        right = Math.max(right, x + 20);
        continue;
      }
      const dir = yb > y1 ? 1 : -1;
      const y2 = yb - dir * 5;
      const c1y = y1 + (y2 - y1) * 0.2;
      const c2y = y2 - (y2 - y1) * 0.2;
      for (const [w, col] of [[7, th.bg], [3, th.bad]]) {
        g.strokeStyle = col;
        g.lineWidth = w;
        g.beginPath();
        g.moveTo(x, y1);
        g.bezierCurveTo(x + bulge, c1y, xe + bulge, c2y, xe, y2);
        g.stroke();
      }
      arrowHead(g, xe, y2, Math.atan2(y2 - c2y, -bulge), false);
      g.beginPath();
      g.arc(x, y1, 4.5, 0, Math.PI * 2);
      g.fill();
      right = Math.max(right, x + bulge, xe + bulge);
    }
    g.lineCap = "butt";
    for (const l of labels) this.badge(g, l.text, right + 10, l.y);
  }

  badge(g, text, x, y) {
    const th = this.theme;
    g.font = "bold 11px system-ui, sans-serif";
    g.textBaseline = "middle";
    const w = g.measureText(text).width + 8;
    const bx = Math.min(x, this.W - w - 2);
    g.fillStyle = th.bg;
    g.globalAlpha = 0.92;
    g.fillRect(bx, y - 8, w, 16);
    g.globalAlpha = 1;
    g.strokeStyle = th.bad;
    g.lineWidth = 1;
    g.strokeRect(bx + 0.5, y - 7.5, w - 1, 15);
    g.fillStyle = th.bad;
    g.fillText(text, bx + 4, y + 0.5);
  }

  // drawHighlights rings the events of the highlighted script line, the
  // selected event and the hovered one.
  drawHighlights(g, sy) {
    const th = this.theme;
    const W = this.W;
    const H = this.H;
    if (this.hlLine) {
      let budget = 3000;
      g.strokeStyle = th.accent;
      g.fillStyle = th.accent;
      g.lineWidth = 2;
      for (const L of this.layout) {
        const top = L.y - sy;
        if (top > H || top + L.h < 0) continue;
        const marks = L.lane.marks;
        const i0 = firstAt(marks, this.tAt(-12));
        const i1 = firstAt(marks, this.tAt(W + 12));
        let lastPx = -1;
        g.beginPath();
        for (let i = i0; i < i1 && budget > 0; i++) {
          const e = marks[i];
          if (e.line !== this.hlLine) continue;
          if (L.dense) {
            const px = Math.floor(this.x(e.t));
            if (px === lastPx) continue;
            lastPx = px;
            g.rect(px, top + L.cy + ROW0 / 2 - 1, 1, 3);
          } else {
            const x = this.x(e.t) + e._d * STAGGER;
            g.moveTo(x + 7, top + L.cy);
            g.arc(x, top + L.cy, 7, 0, Math.PI * 2);
          }
          budget--;
        }
        if (L.dense) g.fill();
        else g.stroke();
      }
    }
    const s = this.selected;
    if (s) {
      const pos = this.position(s);
      if (pos) {
        g.strokeStyle = th.accent;
        g.globalAlpha = 0.6;
        g.lineWidth = 1;
        g.setLineDash([4, 3]);
        g.beginPath();
        g.moveTo(Math.round(pos.x) + 0.5, 0);
        g.lineTo(Math.round(pos.x) + 0.5, H);
        g.stroke();
        g.setLineDash([]);
        g.globalAlpha = 1;
        g.lineWidth = 2.5;
        g.strokeStyle = th.fg;
        g.beginPath();
        g.arc(pos.x, pos.y - sy, 8.5, 0, Math.PI * 2);
        g.stroke();
      }
    }
    if (this.hover && this.hover.e && this.hover.e !== s) {
      const pos = this.position(this.hover.e);
      if (pos) {
        g.strokeStyle = th.muted;
        g.lineWidth = 1.5;
        g.beginPath();
        g.arc(pos.x, pos.y - sy, 8, 0, Math.PI * 2);
        g.stroke();
      }
    }
  }

  // position says where an event is drawn, in canvas x and content y.
  position(e) {
    const L = this.laneAt.get(e.th);
    if (!L || this.group !== "thread") return null;
    const span = this.spanOf(L.lane, e);
    if (span) {
      const t = span.seq0 === e.seq ? span.t0 : span.t1 ?? span.t0;
      const x = Math.min(Math.max(this.x(t), this.x(span.t0) + 2), this.x(span.t1 ?? this.liveEnd(L.lane)) - 2);
      const y = span.row === 0 ? L.y + L.cy : L.y + PAD + ROW0 + (span.row - 1) * HOLD + HOLD / 2;
      return { x: Number.isFinite(x) ? x : this.x(t), y };
    }
    return { x: this.x(e.t) + (L.dense ? 0 : (e._d || 0) * STAGGER), y: L.y + L.cy };
  }

  // spanOf finds the span an event opened or closed, if it is not an instant.
  spanOf(lane, e) {
    if (lane.marks.length && e._d !== undefined) return null;
    for (const row of lane.rows) {
      let i = firstEndingAt(row, e.t) - 1;
      if (i < 0) i = 0;
      for (; i < row.length && row[i].t0 <= e.t; i++) {
        if (row[i].seq0 === e.seq || row[i].seq1 === e.seq) return row[i];
      }
    }
    return null;
  }

  // ---- picking ----

  // pick finds what is drawn at a canvas point: an event, a span, a
  // segment, or nothing.
  pick(px, py) {
    const y = py + this.scroll.scrollTop;
    const L = this.layout.find((l) => y >= l.y && y < l.y + l.h);
    if (!L) return null;
    const lane = L.lane;
    const ly = y - L.y;
    const t = this.tAt(px);
    const tol = 3 / this.k;
    if (this.showCPU && lane.cpu.length && ly >= L.h - PAD - CPU - 1) {
      const seg = this.barAt(lane.cpu, t, tol);
      if (seg) return { L, cpu: seg };
    }
    if (lane.kind === "os") {
      const seg = this.barAt(lane.segs, t, tol);
      return seg ? { L, seg } : { L };
    }
    for (const f of lane.flags) {
      if (Math.abs(this.x(f.t) - px) <= 6) return { L, e: f };
    }
    if (ly < PAD + ROW0 + 1) {
      const e = this.pickMark(L, px);
      if (e) return { L, e };
      const s = this.barAt(lane.rows[0], t, tol, this.liveEnd(lane));
      if (s) return { L, span: s };
      return { L };
    }
    const r = Math.floor((ly - PAD - ROW0) / HOLD) + 1;
    if (r >= 1 && r < lane.rows.length) {
      const s = this.barAt(lane.rows[r], t, tol, this.liveEnd(lane));
      if (s) return { L, span: s };
    }
    return { L };
  }

  pickMark(L, px) {
    const marks = L.lane.marks;
    if (!marks.length) return null;
    let best = null;
    let bd = 7;
    if (L.dense) {
      const i = firstAt(marks, this.tAt(px));
      for (const j of [i - 1, i]) {
        if (j < 0 || j >= marks.length) continue;
        const d = Math.abs(this.x(marks[j].t) - px);
        if (d < bd) {
          bd = d;
          best = marks[j];
        }
      }
      return best;
    }
    const end = this.tAt(px + 8);
    for (let i = firstAt(marks, this.tAt(px - 64)); i < marks.length && marks[i].t <= end; i++) {
      const d = Math.abs(this.x(marks[i].t) + marks[i]._d * STAGGER - px);
      if (d < bd) {
        bd = d;
        best = marks[i];
      }
    }
    return best;
  }

  barAt(row, t, tol, liveEnd = Infinity) {
    const i = firstEndingAt(row, t - tol);
    for (let j = i; j < row.length && row[j].t0 <= t + tol; j++) {
      const s = row[j];
      const end = s.t1 === null ? liveEnd : s.t1;
      if (s.t0 - tol <= t && t <= end + tol) return s;
    }
    return null;
  }

  // ---- tooltip ----

  showTip(hit, clientX, clientY) {
    const lines = this.tipLines(hit);
    if (!lines) {
      this.hideTip();
      return;
    }
    const tip = this.tip;
    tip.textContent = "";
    lines.forEach((text, i) => {
      const div = document.createElement("div");
      if (i === 0) div.className = "tip-title";
      div.textContent = text;
      tip.appendChild(div);
    });
    tip.hidden = false;
    const box = this.root.getBoundingClientRect();
    const tw = tip.offsetWidth;
    const thh = tip.offsetHeight;
    let left = clientX - box.left + 14;
    let top = clientY - box.top + 16;
    if (left + tw > box.width - 4) left = Math.max(4, clientX - box.left - tw - 14);
    if (top + thh > box.height + 40) top = Math.max(4, clientY - box.top - thh - 12);
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  hideTip() {
    if (this.tip) this.tip.hidden = true;
  }

  threadName(id) {
    return this.trace.threads.get(id)?.name ?? `thread ${id}`;
  }

  tipLines(hit) {
    if (!hit) return null;
    if (hit.e) {
      const e = hit.e;
      const out = [`${this.threadName(e.th)} ${describe(e)}`];
      const where = [`at ${fmtTime(e.t)}`, `seq ${e.seq}`];
      if (e.line) where.push(`line ${e.line}`);
      out.push(where.join(" · "));
      if (e.tid !== undefined) out.push(`OS thread ${e.tid}${e.cpu !== undefined ? `, CPU ${e.cpu}` : ""}`);
      if (e.line) out.push("Click to show its line in the script");
      return out;
    }
    if (hit.span) {
      const s = hit.span;
      const end = s.t1 === null ? this.liveEnd(hit.L.lane) : s.t1;
      const out = [spanSentence(s, this.threadName(s.th))];
      out.push(`for ${fmtTime(end - s.t0)}, from ${fmtTime(s.t0)} to ${fmtTime(end)}${s.t1 === null ? " (still open)" : ""}`);
      if (s.unfinished) out.push("never finished: the thread was cut off here");
      if (s.cycle) out.push("part of the deadlock's wait-for cycle");
      if (s.line) out.push(`line ${s.line}`);
      return out;
    }
    if (hit.seg) {
      const s = hit.seg;
      return [`${this.threadName(s.th)} ran on ${hit.L.lane.name}`, `${s.n} events from ${fmtTime(s.t0)} to ${fmtTime(s.t1)}`];
    }
    if (hit.cpu) {
      const s = hit.cpu;
      return [`on CPU ${s.cpu}`, `${s.n} events from ${fmtTime(s.t0)} to ${fmtTime(s.t1)}`];
    }
    return null;
  }

  // ---- interaction ----

  bind() {
    const c = this.canvas;
    const pointers = new Map();
    let drag = null;
    let pinch = null;
    const local = (ev) => {
      const r = c.getBoundingClientRect();
      return [ev.clientX - r.left, ev.clientY - r.top];
    };
    c.addEventListener("pointerdown", (ev) => {
      pointers.set(ev.pointerId, local(ev));
      try {
        c.setPointerCapture(ev.pointerId);
      } catch {
        // synthetic pointers cannot be captured; dragging still works
      }
      if (pointers.size === 1) {
        const [x, y] = local(ev);
        drag = { x, y, t0: this.view.t0, t1: this.view.t1, moved: false };
      } else if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = { d: Math.hypot(a[0] - b[0], a[1] - b[1]) };
        drag = null;
      }
    });
    c.addEventListener("pointermove", (ev) => {
      const [x, y] = local(ev);
      if (pointers.has(ev.pointerId)) pointers.set(ev.pointerId, [x, y]);
      if (pinch && pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        if (d > 0 && pinch.d > 0) this.zoomAt((a[0] + b[0]) / 2, pinch.d / d, true);
        pinch.d = d;
        return;
      }
      if (drag && pointers.has(ev.pointerId)) {
        const dx = x - drag.x;
        if (!drag.moved && Math.abs(dx) < 4) return;
        drag.moved = true;
        const dt = (dx / this.W) * (drag.t1 - drag.t0);
        this.view.t0 = drag.t0 - dt;
        this.view.t1 = drag.t1 - dt;
        this.view.follow = false;
        this.hideTip();
        c.classList.add("dragging");
        this.invalidate();
        return;
      }
      this.onHover(x, y, ev);
    });
    const up = (ev) => {
      const had = pointers.delete(ev.pointerId);
      if (pointers.size < 2) pinch = null;
      c.classList.remove("dragging");
      if (had && drag && !drag.moved && ev.type === "pointerup") {
        const [x, y] = local(ev);
        this.onClick(x, y);
      }
      if (pointers.size === 0) drag = null;
    };
    c.addEventListener("pointerup", up);
    c.addEventListener("pointercancel", up);
    c.addEventListener("pointerleave", () => {
      if (this.hover) {
        this.hover = null;
        this.hooks.onHover?.(null);
        this.invalidate();
      }
      this.hideTip();
    });
    c.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const [x] = local(ev);
      const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
      const dx = ev.deltaX * unit;
      const dy = ev.deltaY * unit;
      if (ev.shiftKey || Math.abs(dx) > Math.abs(dy)) {
        this.panBy(ev.shiftKey && !dx ? dy : dx);
        return;
      }
      // Pinch on a touchpad arrives as a wheel with ctrlKey set.
      const f = Math.exp(dy * (ev.ctrlKey ? 0.01 : 0.0018));
      this.zoomAt(x, f, true);
    }, { passive: false });
    this.scroll.addEventListener("scroll", () => this.invalidate(), { passive: true });
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => this.invalidate()).observe(this.scroll);
    const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
    mq?.addEventListener?.("change", () => this.retheme());
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

  onHover(x, y, ev) {
    const hit = this.pick(x, y);
    const e = hit?.e ?? null;
    const prev = this.hover?.e ?? this.hover?.span ?? null;
    const now = e ?? hit?.span ?? null;
    this.hover = hit && (hit.e || hit.span || hit.seg || hit.cpu) ? hit : null;
    if (hit && (hit.e || hit.span || hit.seg || hit.cpu)) this.showTip(hit, ev.clientX, ev.clientY);
    else this.hideTip();
    this.canvas.style.cursor = now ? "pointer" : "";
    if (prev !== now) {
      this.hooks.onHover?.(e ?? (hit?.span ? { line: hit.span.line } : null));
      this.invalidate();
    }
  }

  onClick(x, y) {
    const hit = this.pick(x, y);
    if (hit?.e) this.select(hit.e, null, "canvas");
    else if (hit?.span) this.select(this.eventBySeq(hit.span.seq0) || null, hit.span, "canvas");
    else this.select(null, null, "canvas");
  }

  eventBySeq(seq) {
    const ev = this.trace.events;
    let lo = 0;
    let hi = ev.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ev[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    if (ev[lo] && ev[lo].seq === seq) return ev[lo];
    return ev.find((e) => e.seq === seq) || null;
  }

  // select marks an event (and the span it belongs to) and tells the page,
  // which shows its line in the script and its row in the log.
  select(e, span = null, from = "") {
    this.selected = e;
    this.selectedSpan = span || (e ? this.spanOf(this.trace.threads.get(e.th) || { marks: [], rows: [] }, e) : null);
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
    const marks = lane.marks;
    let i = firstAt(marks, e.t);
    while (i < marks.length && marks[i] !== e && marks[i].t === e.t) i++;
    let gap = Infinity;
    for (let j = i - 1; j >= 0; j--) if (marks[j].t !== e.t) { gap = Math.min(gap, e.t - marks[j].t); break; }
    for (let j = i + 1; j < marks.length; j++) if (marks[j].t !== e.t) { gap = Math.min(gap, marks[j].t - e.t); break; }
    if (!Number.isFinite(gap)) return;
    const w = Math.max(20, (this.W * gap) / px);
    if (this.view.t1 - this.view.t0 > w) this.setView(e.t - w / 2, e.t + w / 2);
  }

  // highlightLine rings every event caused by a script line (0 clears).
  highlightLine(n) {
    this.hlLine = n || 0;
    this.invalidate();
    return this.trace.lines.get(this.hlLine) || 0;
  }

  // ---- view changes ----

  zoomAt(px, f, user = false) {
    const v = this.view;
    const [a, b] = this.fitRange();
    const fitW = b - a;
    let w = (v.t1 - v.t0) * f;
    w = Math.min(Math.max(w, 20), fitW * 50);
    if (v.follow && this.trace.running) {
      if (w >= fitW) v.follow = "fit";
      else {
        v.follow = "edge";
        v.t1 = this.trace.maxT + (58 * w) / Math.max(1, this.W);
        v.t0 = v.t1 - w;
      }
    } else {
      const tp = v.t0 + (px / this.W) * (v.t1 - v.t0);
      v.t0 = tp - (px / this.W) * w;
      v.t1 = v.t0 + w;
      if (user || v.follow) v.follow = false;
    }
    this.invalidate();
  }

  zoomIn() {
    this.zoomAt(this.W / 2, 1 / 1.6);
  }

  zoomOut() {
    this.zoomAt(this.W / 2, 1.6);
  }

  panBy(dpx) {
    const dt = (dpx / Math.max(1, this.W)) * (this.view.t1 - this.view.t0);
    this.view.t0 += dt;
    this.view.t1 += dt;
    this.view.follow = false;
    this.invalidate();
  }

  fit() {
    this.view.follow = "fit";
    this.invalidate();
  }

  followLive() {
    const [a, b] = this.fitRange();
    this.view.follow = this.view.t1 - this.view.t0 < (b - a) * 0.98 ? "edge" : "fit";
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
    this.hideTip();
    this.invalidate();
  }

  setCPU(on) {
    this.showCPU = !!on;
    this.invalidate();
  }

  // ---- export ----

  // toPNG gives the timeline as it is shown (lane names, axis and the
  // lanes in view) as a PNG at the device pixel ratio.
  toPNG() {
    this.drawNow();
    const dpr = this.dpr;
    const labelW = this.labels.offsetWidth;
    const W = this.W;
    const H = this.H;
    const c = document.createElement("canvas");
    c.width = Math.max(1, Math.round((labelW + W) * dpr));
    c.height = Math.max(1, Math.round((AXIS_H + H) * dpr));
    const g = c.getContext("2d");
    const th = this.theme;
    g.fillStyle = th.bg;
    g.fillRect(0, 0, c.width, c.height);
    if (W > 0) {
      const x0 = Math.round(labelW * dpr);
      const y0 = Math.round(AXIS_H * dpr);
      g.drawImage(this.axis, x0, 0);
      g.drawImage(this.raster.canvas, x0, y0);
      g.drawImage(this.canvas, x0, y0);
    }
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const sy = this.scroll.scrollTop;
    g.textBaseline = "middle";
    this.layout.forEach((L, i) => {
      const top = AXIS_H + L.y - sy;
      if (top + L.h < AXIS_H || top > AXIS_H + H) return;
      g.save();
      g.beginPath();
      g.rect(0, Math.max(AXIS_H, top), labelW, Math.min(L.h, AXIS_H + H - top));
      g.clip();
      if (i % 2 === 1) {
        g.fillStyle = th.alt;
        g.fillRect(0, top, labelW, L.h);
      }
      g.fillStyle = th.fg;
      g.font = "600 12px system-ui, sans-serif";
      g.fillText(L.lane.name, 4, top + L.h / 2 - 6, labelW - 8);
      g.fillStyle = th.muted;
      g.font = "10px system-ui, sans-serif";
      g.fillText(this.laneWords(L.lane), 4, top + L.h / 2 + 7, labelW - 8);
      g.restore();
    });
    return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error("no image"))), "image/png"));
  }

  // toSVG gives the timeline's current view (all its lanes, the time
  // window in view) as a standalone SVG document, drawn from the model.
  toSVG(opts = {}) {
    this.drawNow();
    return timelineSVG(this, { PAD, ROW0, HOLD, AXIS_H, STAGGER, ARROW_FULL, ARROW_PLAIN, SPAN_LABEL }, opts);
  }

  // ---- hooks for tests ----

  publish() {
    const t = this.trace;
    const d = this.root;
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
    setData(d, "flags", t.flags.length);
    setData(d, "viewT0", Math.round(this.view.t0));
    setData(d, "viewT1", Math.round(this.view.t1));
    setData(d, "follow", this.view.follow || "off");
    setData(d, "group", this.group);
    setData(d, "selected", this.selected ? this.selected.seq : "");
    setData(d, "highlightLine", this.hlLine || "");
    setData(d, "highlighted", this.hlLine ? t.lines.get(this.hlLine) || 0 : 0);
    this.hooks.onDrawn?.();
  }

  // api is what window.interleave.timeline shows: the model as plain data,
  // and the few actions tests and benchmarks need.
  api() {
    const self = this;
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
        const e = self.eventBySeq(seq);
        if (!e) return null;
        if (opts.separate) self.separate(e);
        self.reveal(e);
        self.drawNow();
        const p = self.position(e);
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
        const hit = self.pick(clientX - r.left, clientY - r.top);
        if (!hit) return null;
        if (hit.e) return { seq: hit.e.seq, k: hit.e.k };
        if (hit.span) return { span: hit.span.kind, seq: hit.span.seq0 };
        return { lane: hit.L.lane.id };
      },
      select(seq) {
        const e = self.eventBySeq(seq);
        self.select(e, null, "api");
        return !!e;
      },
      highlight: (n) => self.highlightLine(n),
      setView: (t0, t1) => self.setView(t0, t1),
      zoom: (f) => self.zoomAt(self.W / 2, f, true),
      pan: (px) => self.panBy(px),
      fit: () => self.fit(),
      follow: () => self.followLive(),
      setGroup: (g) => self.setGroup(g),
      cpu: (on) => self.setCPU(on),
      drawNow: () => self.drawNow(),
      svg: (opts) => self.toSVG(opts),
      png: () => self.toPNG(),
    };
  }
}
