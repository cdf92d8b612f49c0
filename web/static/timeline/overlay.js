// Overlays: what is drawn over the lanes and their arrows, about the run
// as a whole rather than one event. Today a deadlock's wait-for cycle
// (on the canvas and in the SVG export), the finding of a race on show
// (race.js, both too) and the highlights (the rings of a script line's
// events, the selection, the hovered event). A new overlay (a step
// cursor) is one more entry in OVERLAYS: it reads the model and the
// layout and draws; it keeps no state of its own.

import { firstAt } from "./search.js";
import { ROW0, STAGGER, laneY, holdY } from "./layout.js";
import { arrowHead } from "./glyphs.js";
import { esc } from "../format.js";
import { position } from "./hit.js";
import { drawRace, raceSVG } from "./race.js";
import { drawCursor } from "./cursor.js";

// OVERLAYS, in drawing order. canvas(tl, g, sy) draws on the lanes'
// canvas scrolled by sy; svg(tl, ctx), if there, writes the overlay into
// the SVG export (ctx: put, X, W, th, n, head of export.js).
export const OVERLAYS = [
  { name: "cycle", canvas: drawCycle, svg: cycleSVG },
  { name: "race", canvas: drawRace, svg: raceSVG },
  { name: "highlights", canvas: drawHighlights },
  { name: "cursor", canvas: drawCursor },
];

// drawOverlays draws every overlay on the canvas (thread lanes only).
export function drawOverlays(tl, g, sy) {
  for (const o of OVERLAYS) o.canvas(tl, g, sy);
}

// svgOverlays writes the overlays that belong in an export.
export function svgOverlays(tl, ctx) {
  for (const o of OVERLAYS) o.svg?.(tl, ctx);
}

const BULGE = 26; // px a cycle's arrow bows out to the right

// cyclePlaces lays out a deadlock's wait-for cycle, for the canvas and the
// SVG alike (X: time to x, sy: the scroll offset): for each edge whose
// lanes are shown, where its arrow starts (x, y1: where the waiter asked;
// moved aside, to the left first since the run ends on the right, if
// another arrow starts there), where it ends (xe on the holder's hold
// bar, however narrow; y2 just short of it, c1y and c2y its curve's
// control points), its label, and how far right the drawing reaches.
function cyclePlaces(tl, X, sy) {
  const used = [];
  const edges = [];
  let right = -Infinity;
  for (const c of tl.trace.cycle) {
    const A = tl.laneAt.get(c.th);
    const B = tl.laneAt.get(c.holder);
    if (!A || !B) continue;
    const x0 = X(c.t);
    let x = x0;
    for (let k = 1; used.some((u) => Math.abs(u - x) < 14) && k < 20; k++) x = x0 + (k % 2 ? -14 : 14) * Math.ceil(k / 2);
    used.push(x);
    const y1 = laneY(A, sy);
    const yb = holdY(B, sy, c.hold);
    let xe = x + 2;
    if (c.hold) {
      const h0 = X(c.hold.t0) + 3;
      const h1 = X(c.hold.t1 ?? tl.liveEnd(B.lane)) - 3;
      xe = h1 > h0 ? Math.min(Math.max(xe, h0), h1) : h0;
    }
    const verb = c.op === "lock" ? "waits for" : `waits to ${c.op}`;
    const e = { self: A === B, x, y1, xe, text: `${c.thread} ${verb} ${c.obj}` };
    if (e.self) {
      // A self-loop: the owner asked again for a lock it holds.
      right = Math.max(right, x + 20);
    } else {
      const dir = yb > y1 ? 1 : -1;
      e.y2 = yb - dir * 5;
      e.c1y = y1 + (e.y2 - y1) * 0.2;
      e.c2y = e.y2 - (e.y2 - y1) * 0.2;
      right = Math.max(right, x + BULGE, xe + BULGE);
    }
    edges.push(e);
  }
  return { edges, right };
}

// drawCycle draws a deadlock's wait-for cycle over the lanes: from each
// waiting thread, where it asked, a red arrow to the span where the
// holder holds what it waits for; the arrows and the hold bars close the
// loop. Each waiter's lane is labelled in words to the right.
function drawCycle(tl, g, sy) {
  if (!tl.trace.cycle.length) return;
  const th = tl.theme;
  const { edges, right } = cyclePlaces(tl, (t) => tl.x(t), sy);
  g.lineCap = "round";
  for (const { self, x, y1, xe, y2, c1y, c2y } of edges) {
    g.fillStyle = th.bad;
    if (self) {
      for (const [w, col] of [[6, th.bg], [2.5, th.bad]]) {
        g.strokeStyle = col;
        g.lineWidth = w;
        g.beginPath();
        g.arc(x + 9, y1 - 1, 9, Math.PI * 0.75, Math.PI * 2.55);
        g.stroke();
      }
      arrowHead(g, x + 9 + 9 * Math.cos(Math.PI * 0.55), y1 - 1 + 9 * Math.sin(Math.PI * 0.55), Math.PI, false);
      continue;
    }
    for (const [w, col] of [[7, th.bg], [3, th.bad]]) {
      g.strokeStyle = col;
      g.lineWidth = w;
      g.beginPath();
      g.moveTo(x, y1);
      g.bezierCurveTo(x + BULGE, c1y, xe + BULGE, c2y, xe, y2);
      g.stroke();
    }
    arrowHead(g, xe, y2, Math.atan2(y2 - c2y, -BULGE), false);
    g.beginPath();
    g.arc(x, y1, 4.5, 0, Math.PI * 2);
    g.fill();
  }
  g.lineCap = "butt";
  // Where the words do not fit right of the drawing (a phone), a badge
  // would slide back over the bars: the edge's number in the result's
  // wait-for list says it in little room.
  g.font = "bold 11px system-ui, sans-serif";
  const fits = edges.every((e) => right + 10 + g.measureText(e.text).width + 8 <= tl.W - 2);
  edges.forEach((e, i) => badge(tl, g, fits ? e.text : String(i + 1), right + 10, e.y1));
}

function badge(tl, g, text, x, y) {
  const th = tl.theme;
  g.font = "bold 11px system-ui, sans-serif";
  g.textBaseline = "middle";
  const w = g.measureText(text).width + 8;
  const bx = Math.min(x, tl.W - w - 2);
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
function drawHighlights(tl, g, sy) {
  const th = tl.theme;
  const W = tl.W;
  const H = tl.H;
  if (tl.hlLine) {
    let budget = 3000;
    g.strokeStyle = th.accent;
    g.fillStyle = th.accent;
    g.lineWidth = 2;
    for (const L of tl.layout) {
      const top = L.y - sy;
      if (top > H || top + L.h < 0) continue;
      const marks = L.lane.marks;
      const i0 = firstAt(marks, tl.tAt(-12));
      const i1 = firstAt(marks, tl.tAt(W + 12));
      let lastPx = -1;
      g.beginPath();
      for (let i = i0; i < i1 && budget > 0; i++) {
        if (marks.events.line[marks.ev[i]] !== tl.hlLine) continue;
        const e = marks.at(i);
        if (L.dense) {
          const px = Math.floor(tl.x(e.t));
          if (px === lastPx) continue;
          lastPx = px;
          g.rect(px, top + L.cy + ROW0 / 2 - 1, 1, 3);
        } else {
          const x = tl.x(e.t) + e._d * STAGGER;
          g.moveTo(x + 7, top + L.cy);
          g.arc(x, top + L.cy, 7, 0, Math.PI * 2);
        }
        budget--;
      }
      if (L.dense) g.fill();
      else g.stroke();
    }
  }
  const s = tl.selected;
  if (s) {
    const pos = position(tl, s);
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
  if (tl.hover && tl.hover.e && tl.hover.e.seq !== s?.seq) {
    const pos = position(tl, tl.hover.e);
    if (pos) {
      g.strokeStyle = th.muted;
      g.lineWidth = 1.5;
      g.beginPath();
      g.arc(pos.x, pos.y - sy, 8, 0, Math.PI * 2);
      g.stroke();
    }
  }
}

// cycleSVG is drawCycle for the SVG export: the same arrows and labels.
function cycleSVG(tl, { put, X, W, th, n, head }) {
  if (!tl.trace.cycle.length) return;
  const { edges, right } = cyclePlaces(tl, X, 0);
  for (const { self, x, y1, xe, y2, c1y, c2y } of edges) {
    if (self) {
      put(`<circle cx="${n(x + 9)}" cy="${n(y1 - 1)}" r="9" fill="none" stroke="${th.bad}" stroke-width="2.5"/>`);
      continue;
    }
    const d = `M${n(x)} ${n(y1)}C${n(x + BULGE)} ${n(c1y)} ${n(xe + BULGE)} ${n(c2y)} ${n(xe)} ${n(y2)}`;
    put(`<path d="${d}" fill="none" stroke="${th.bg}" stroke-width="7" stroke-linecap="round"/>`);
    put(`<path d="${d}" fill="none" stroke="${th.bad}" stroke-width="3" stroke-linecap="round"/>`);
    put(head(xe, y2, Math.atan2(y2 - c2y, -BULGE), th.bad, false));
    put(`<circle cx="${n(x)}" cy="${n(y1)}" r="4.5" fill="${th.bad}"/>`);
  }
  for (const { text, y1: y } of edges) {
    const w = text.length * 6.4 + 8;
    const bx = Math.min(right + 10, W - w - 2);
    put(`<g><rect x="${n(bx)}" y="${n(y - 8)}" width="${n(w)}" height="16" fill="${th.bg}" fill-opacity="0.92" stroke="${th.bad}"/><text x="${n(bx + 4)}" y="${n(y + 4)}" font-size="11" font-weight="700" fill="${th.bad}">${esc(text)}</text></g>`);
  }
}
