// The timeline's canvas renderer: it draws what the model (model.js) and
// the layout (layout.js) give, and keeps nothing of its own but caches.
//
// It stays smooth with hundreds of thousands of events because a frame
// only touches what it shows: lanes outside the scrolled area are skipped,
// each lane's sorted arrays are cut to the visible window by binary
// search, and where more events fall in the window than there are pixels,
// one column per pixel stands for all of them (found by binary search
// again, so the cost follows the width, not the event count), written into
// the raster layer (raster.js). The DOM holds one element per lane (its
// label and test hooks), never one per event.

import { firstAt, nextInCol } from "./search.js";
import { PAD, ROW0, HOLD, CPU, STAGGER, AXIS_H, rowY } from "./layout.js";
import { glyph, cutMark, flag, holdCaps } from "./glyphs.js";
import { runnableBand, runnableGaps } from "./runnable.js";
import { ranShare } from "./model.js";
import { SPAN_KINDS } from "./store.js";
import { walkBars } from "./merge.js";
import { drawArrows } from "./arrows.js";
import { drawOverlays } from "./overlay.js";

// setData sets a data-* attribute, touching the DOM only on a change.
export function setData(el, key, value) {
  const s = String(value);
  if (el.dataset[key] !== s) el.dataset[key] = s;
}

// labelLanes keeps one element per lane: its name, its state in words,
// and the data-* hooks tests read.
export function labelLanes(tl) {
  const keep = new Set();
  for (let i = 0; i < tl.layout.length; i++) {
    const L = tl.layout[i];
    const l = L.lane;
    const key = `${l.kind}:${l.id}`;
    keep.add(key);
    let el = tl.labelEls.get(key);
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
      tl.labels.appendChild(el);
      tl.labelEls.set(key, el);
    }
    if (el.classList.contains("alt") !== (i % 2 === 1)) el.classList.toggle("alt");
    const top = `${L.y}px`;
    const h = `${L.h}px`;
    if (el.style.top !== top) el.style.top = top;
    if (el.style.height !== h) el.style.height = h;
    if (el._name.textContent !== l.name) el._name.textContent = l.name;
    const sub = tl.laneWords(l);
    if (el._sub.textContent !== sub) el._sub.textContent = sub;
    setData(el, "name", l.name);
    setData(el, "state", l.deadlocked ? "deadlocked" : l.state);
    setData(el, "drawn", l.count);
    setData(el, "spans", l.kind === "os" ? l.segs.n : l.spanCount);
    setData(el, "instants", l.marks.length);
    setData(el, "flags", l.flags.length);
    el.title = `${l.name}: ${sub}`;
  }
  for (const [key, el] of tl.labelEls) {
    if (!keep.has(key)) {
      el.remove();
      tl.labelEls.delete(key);
    }
  }
}

export function drawAxis(tl) {
  const g = tl.axis.getContext("2d");
  const th = tl.theme;
  const W = tl.W;
  g.setTransform(tl.dpr, 0, 0, tl.dpr, 0, 0);
  g.clearRect(0, 0, W, AXIS_H);
  tl.ticks = [];
  g.font = "11px system-ui, sans-serif";
  g.textBaseline = "alphabetic";
  g.fillStyle = th.muted;
  g.strokeStyle = th.muted;
  g.lineWidth = 1;
  g.beginPath();
  for (const { x, label } of tl.tickList()) {
    tl.ticks.push(x);
    g.moveTo(x, AXIS_H - 7);
    g.lineTo(x, AXIS_H);
    g.fillText(label, x + 3, AXIS_H - 9);
  }
  g.stroke();
  // Where things went wrong, so they can be found when zoomed out.
  for (const f of tl.trace.flags) {
    const x = tl.x(f.t);
    if (x < -6 || x > W + 6) continue;
    g.fillStyle = th.bad;
    g.beginPath();
    g.moveTo(x - 5, 1);
    g.lineTo(x + 5, 1);
    g.lineTo(x, 9);
    g.closePath();
    g.fill();
  }
  if (tl.trace.cycle.length) {
    const t = Math.max(...tl.trace.cycle.map((c) => c.t));
    const x = tl.x(t);
    g.font = "bold 11px system-ui, sans-serif";
    g.fillStyle = th.bad;
    g.fillText("⟳ deadlock", Math.min(W - 70, x + 4), 10);
  }
  if (tl.trace.running && tl.trace.events.length) {
    const x = tl.x(tl.trace.maxT);
    if (x >= 0 && x <= W) {
      g.fillStyle = th.accent;
      g.font = "bold 10px system-ui, sans-serif";
      g.fillText("live", Math.min(W - 22, x + 3), 10);
    }
  }
  if (tl.selected) {
    const x = tl.x(tl.selected.t);
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

export function drawLanes(tl) {
  const g = tl.canvas.getContext("2d");
  const th = tl.theme;
  const W = tl.W;
  const H = tl.H;
  g.setTransform(tl.dpr, 0, 0, tl.dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  const sy = tl.scroll.scrollTop;
  const R = tl.raster;
  R.begin(W, H, tl.dpr);
  // Zebra stripes and the time grid.
  const alt = R.u32(th.alt);
  for (let i = 0; i < tl.layout.length; i++) {
    const L = tl.layout[i];
    const top = L.y - sy;
    if (top > H || top + L.h < 0) continue;
    if (i % 2 === 1) R.rect(0, top, W, L.h, alt);
  }
  g.strokeStyle = th.grid;
  g.lineWidth = 1;
  g.beginPath();
  for (const x of tl.ticks) {
    g.moveTo(x, 0);
    g.lineTo(x, H);
  }
  g.stroke();
  for (const L of tl.layout) {
    const top = L.y - sy;
    if (top > H || top + L.h < 0) continue;
    if (L.lane.kind === "os") drawOSLane(tl, g, L, top);
    else drawThreadLane(tl, g, L, top);
  }
  R.end();
  if (tl.group === "thread") {
    drawArrows(tl, g, sy);
    drawOverlays(tl, g, sy);
  }
  if (tl.trace.running && tl.trace.events.length) {
    const x = Math.round(tl.x(tl.trace.maxT)) + 0.5;
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

function drawThreadLane(tl, g, L, top) {
  const l = L.lane;
  const th = tl.theme;
  const cy = top + L.cy;
  const W = tl.W;
  // The thread's life: a thin line from its start to its end.
  if (l.t0 !== null) {
    const x0 = Math.max(-2, tl.x(l.t0));
    const x1 = Math.min(W + 2, tl.x(tl.liveEnd(l)));
    if (x1 >= x0) {
      g.fillStyle = th.k.life;
      g.fillRect(x0, cy - 1, Math.max(1, x1 - x0), 2);
    }
  }
  drawBars(tl, g, l.rows[0], top + rowY(0), ROW0 - 4, l, "span");
  for (let r = 1; r < l.rows.length; r++) {
    drawBars(tl, g, l.rows[r], top + rowY(r), HOLD - 2, l, "hold");
  }
  drawMarks(tl, g, L, cy);
  if (l.cut) {
    const x = tl.x(l.cut.t);
    if (x > -6 && x < W + 6) {
      cutMark(g, th, x, top + 3, top + L.h - 3);
      g.fillStyle = th.bad;
      g.font = "bold 10px system-ui, sans-serif";
      if (x + 40 < W && !l.deadlocked) g.fillText("cut", x + 6, top + 11);
    }
  }
  for (const f of l.flags) {
    const x = tl.x(f.t);
    if (x < -12 || x > W + 12) continue;
    flag(g, th, x, top + 2, top + L.h - 2, f.k === "panic" ? "!" : "✗");
  }
  if (tl.showCPU && l.cpu.n) drawCPU(tl, g, l, top + L.h - PAD - CPU);
}

function drawOSLane(tl, g, L, top) {
  const l = L.lane;
  drawBars(tl, g, l.segs, top + PAD + 2, ROW0 - 4, l, "seg");
  if (tl.showCPU && l.cpu.n) drawCPU(tl, g, l, top + L.h - PAD - CPU);
}

function drawCPU(tl, g, l, y) {
  drawBars(tl, g, l.cpu, y, CPU, l, "cpu");
}

// drawBars draws one row of non-overlapping bars sorted by start (a
// store.js table): spans, holds, OS-thread segments or CPU segments.
// Where bars are under a pixel wide, one pixel column stands for all the
// bars that start in it (level of detail): it takes the colour of the
// state that fills most of the column (merge.js) and, if it merges more
// than one bar, a darker foot that says so. A binary search skips the
// rest of them, so a frame's cost follows the pixels, not the bars.
function drawBars(tl, g, row, y, h, lane, style) {
  if (!row.n) return;
  const th = tl.theme;
  const W = tl.W;
  const liveEnd = tl.liveEnd(lane);
  const hl = tl.hlLine;
  const R = tl.raster;
  const cw = style === "seg" || style === "cpu" ? 2 : 1;
  const foot = R.u32(th.fg);
  const fh = Math.min(2, h / 4);
  const sel = tl.selectedSpan;
  const u32s = new Map(); // key -> pixel, for this row
  g.font = "10.5px system-ui, sans-serif";
  g.textBaseline = "middle";
  const column = (px, key, n) => {
    let u = u32s.get(key);
    if (u === undefined) u32s.set(key, (u = R.u32(keyColour(tl, row, key, style))));
    R.rect(px, y, cw, h, u);
    if (n > 1) R.rect(px, y + h - fh, cw, fh, foot);
  };
  const bar = (i, x0, x1) => {
    const s = row.at(i);
    x0 = Math.max(-4, x0);
    x1 = Math.min(W + 4, x1);
    const w = x1 - x0;
    const text = w > 26 && h >= 9 ? tl.barText(s, style) : "";
    const labelled = text !== "" && (measureText(tl, g, text) + 8 <= w || w > 60);
    g.fillStyle = style === "hold" && !labelled ? th.holdPattern(g, tl.mutexColour(s.obj), tl.trace.mutexes.get(s.obj) ?? 0) : barFill(tl, g, s, style);
    g.fillRect(x0, y, w, h);
    if (style === "hold") holdCaps(g, th, x0, y, w, h);
    const ran = style === "span" ? ranShare(s) : null;
    if (style === "span" && s.waits) runnableGaps(g, th, s.waits, (t) => (t - tl.view.t0) * tl.k, x0, x1, y, h);
    else if (ran !== null && !tl.trace.timedWaits) runnableBand(g, th, x0, y, w, h, ran);
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
    if (sel && (style === "span" || style === "hold") && sel.seq0 === s.seq0 && sel.th === s.th) {
      g.strokeStyle = th.fg;
      g.lineWidth = 2;
      g.strokeRect(x0 - 1, y - 1, w + 2, h + 2);
    }
    if (labelled) {
      const vx0 = Math.max(0, x0);
      const vw = Math.min(W, x1) - vx0;
      if (vw > 20) {
        g.save();
        g.beginPath();
        g.rect(vx0, y, vw, h);
        g.clip();
        g.fillStyle = style === "span" && (s.kind !== "work" || (ran !== null && ran < 0.5)) ? th.fg : th.onFill;
        g.fillText(text, vx0 + (style === "hold" ? 5 : 4), y + h / 2 + 0.5);
        g.restore();
      }
    }
  };
  walkBars(row, tl.tAt(-4), tl.tAt(W + 4), tl.view.t0, tl.k, liveEnd, style, bar, column);
}

// keyColour is the plain colour of a pixel column whose dominant state
// is key (see merge.js): a span's kind, a hold's mutex, a segment's
// thread or CPU.
function keyColour(tl, row, key, style) {
  switch (style) {
    case "hold": return tl.mutexColour(row.events.strings.list[key]);
    case "seg": return tl.theme.colourOf(key);
    case "cpu": return tl.theme.colourOf(key + 3);
  }
  return tl.theme.spanColour(SPAN_KINDS[key]);
}

function barFill(tl, g, s, style) {
  const th = tl.theme;
  switch (style) {
    case "hold": return tl.mutexColour(s.obj);
    case "seg": return th.colourOf(s.th);
    case "cpu": return th.colourOf(s.cpu + 3);
  }
  if (s.kind === "work") return th.k.work;
  return th.pattern(g, s.kind);
}

function measureText(tl, g, text) {
  let w = tl.textW.get(text);
  if (w === undefined) {
    w = g.measureText(text).width;
    if (tl.textW.size > 2000) tl.textW.clear();
    tl.textW.set(text, w);
  }
  return w;
}

function drawMarks(tl, g, L, cy) {
  const marks = L.lane.marks;
  if (!marks.n) return;
  const th = tl.theme;
  const W = tl.W;
  const i0 = firstAt(marks, tl.tAt(-12));
  const i1 = firstAt(marks, tl.tAt(W + 12));
  const n = i1 - i0;
  L.dense = n > W / 5;
  if (!L.dense) {
    const d = marks.events.d;
    for (let i = i0; i < i1; i++) glyph(g, th, marks.at(i), tl.x(marks.t[i]) + d[marks.ev[i]] * STAGGER, cy);
    return;
  }
  // Dense: a column per pixel, as tall as the log of its count. Reads
  // stand above the lane's line and writes below it, so the two differ
  // by place as well as colour; anything else sits across the line.
  const R = tl.raster;
  const up = R.u32(th.k.read);
  const down = R.u32(th.k.write);
  const t0 = tl.view.t0;
  const k = tl.k;
  const ev = marks.events;
  const code = (name) => ev.kindOf(name);
  const GET = code("get");
  const WRITES = new Set(["set", "add", "cas", "swap"].map(code));
  const kinds = ev.k;
  // An instant's colour depends on its kind (and a check's on whether it
  // failed): one lookup per kind a frame, not one per column.
  const CHECK = code("check");
  const colours = new Map();
  const colourOf = (i) => {
    const kc = kinds[i];
    if (kc === CHECK) return R.u32(th.markColour(ev.at(i)));
    let u = colours.get(kc);
    if (u === undefined) colours.set(kc, (u = R.u32(th.markColour(ev.at(i)))));
    return u;
  };
  const column = (px, c, reads, writes, other) => {
    const hh = Math.min(ROW0 / 2 - 1, 3 + 1.8 * Math.log2(c));
    if (reads) R.rect(px, cy - hh - 1, 1, hh, up);
    if (writes) R.rect(px, cy + 1, 1, hh, down);
    if (other >= 0) R.rect(px, cy - 4, 1, 8, colourOf(other));
  };
  // Jump from column to column by binary search, and look at the first
  // few events of each to tell reads from writes: the cost follows the
  // pixels, not the events.
  const ts = marks.t;
  const evs = marks.ev;
  let i = i0;
  let px = Math.floor((ts[i0] - t0) * k);
  while (i < i1) {
    const j = nextInCol(ts, t0 + (px + 1) / k, i, i1);
    const c = j - i;
    if (c > 0) {
      let reads = 0;
      let writes = 0;
      let other = -1;
      const m = Math.min(j, i + 12);
      for (let q = i; q < m; q++) {
        const kind = kinds[evs[q]];
        if (kind === GET) reads++;
        else if (WRITES.has(kind)) writes++;
        else other = evs[q];
      }
      column(px, c, reads, writes, other >= 0 ? other : !reads && !writes ? evs[i] : -1);
    }
    i = j;
    if (i < i1) px = Math.max(px + 1, Math.floor((ts[i] - t0) * k));
  }
}
