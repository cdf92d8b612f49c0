// The race overlay: one finding of the run's analysis (a lost update, a
// stale read, a data race; the model's trace.races) drawn over the lanes
// the way a deadlock's cycle is: its two or three events ringed on their
// lanes, numbered in the order they happened, joined by arrows, and the
// finding named beside them ("lost update on counter"). The timeline
// draws the finding it is showing (tl.raceIndex); the words and the
// window that shows a finding are pure, for the page and the tests.

import { position } from "./hit.js";
import { fmtValue, esc } from "../format.js";

const NUM = new Intl.NumberFormat("en-US");
const RING = 9; // px: the radius of a ring

// raceLabel names a finding: "lost update on counter".
export function raceLabel(r) {
  return `${r.kind} on ${r.obj}`;
}

// kindPlural is a kind of finding, counted: "1 lost update", "2 lost updates".
export function kindPlural(kind, n) {
  return `${NUM.format(n)} ${kind}${n === 1 ? "" : "s"}`;
}

// countSentences says, per kind and object, how many findings the run has
// and how many of them the list shows: "1,175 lost updates on counter;
// showing the first 20". Data races are listed one per pair of places in
// the script, not the first few.
export function countSentences(summary, races) {
  if (!summary || !summary.counts) return [];
  return summary.counts.map((c) => {
    const shown = (races || []).filter((r) => r.kind === c.kind && r.obj === c.obj).length;
    let s = `${kindPlural(c.kind, c.count)} on ${c.obj}`;
    if (shown >= c.count) return s;
    if (!shown) s += "; none of them listed";
    else if (c.kind === "data race") s += `; showing ${NUM.format(shown)}, one per pair of places in the script`;
    else s += `; showing the first ${NUM.format(shown)}`;
    return s;
  });
}

const VERB = { get: "read", set: "wrote", add: "added", swap: "swapped", cas: "cas", check: "checked" };

// accessWord is the tag beside a ringed event: its place in the finding
// and what it did ("1 read 41", "3 wrote 42").
export function accessWord(a, i) {
  const verb = VERB[a.k] || a.k;
  const v = a.v === undefined || a.v === null || a.k === "check" ? "" : ` ${fmtValue(a.v)}`;
  return `${i + 1} ${verb}${v}`;
}

// raceLines are the script lines of a finding, without repeats, in order.
export function raceLines(r) {
  const out = [];
  for (const a of [r.a, r.b, r.c]) if (a && a.line && !out.includes(a.line)) out.push(a.line);
  return out;
}

// raceWindow is the time window that shows all of a finding's events,
// with room around them: a third of their spread on each side, and at
// least minPad (ns) when they are close or at one time.
export function raceWindow(events, minPad = 50) {
  if (!events.length) return null;
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const e of events) {
    t0 = Math.min(t0, e.t);
    t1 = Math.max(t1, e.t);
  }
  const pad = Math.max((t1 - t0) / 3, minPad);
  return { t0: t0 - pad, t1: t1 + pad };
}

// racePlaces lays out the finding on show, for the canvas and the SVG
// (sy: the scroll offset, 0 for the SVG): a point per event found (its
// tag, and i, its place in the finding), and where the label goes
// (lx, ly: its left end and middle; left of lastX when there is no room).
export function racePlaces(tl, sy) {
  const r = tl.trace.races[tl.raceIndex];
  if (!r || tl.group !== "thread") return null;
  const pts = [];
  r.accesses.forEach((a, i) => {
    const e = r.events.find((x) => x.seq === a.seq);
    const p = e && position(tl, e);
    if (p) pts.push({ x: p.x, y: p.y - sy, i, tag: accessWord(a, i) });
  });
  if (!pts.length) return null;
  // The label goes on the lane line right of the last event drawn, where
  // the events' tags (above and below the line) leave room.
  const last = pts.reduce((m, p) => (p.x > m.x ? p : m), pts[0]);
  return { r, pts, label: raceLabel(r), lx: last.x + RING + 6, ly: last.y, lastX: last.x };
}

// curve is the arrow from one ringed event to the next: from ring edge to
// ring edge, bowed up so that two events on one lane are joined too.
function curve(p, q) {
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  const d = Math.hypot(dx, dy) || 1;
  const x1 = p.x + (dx / d) * RING;
  const y1 = p.y + (dy / d) * RING;
  const x2 = q.x - (dx / d) * (RING + 1);
  const y2 = q.y - (dy / d) * (RING + 1);
  const bow = Math.min(40, 12 + d / 6);
  const cx = (x1 + x2) / 2 + (dy / d) * bow * 0.5;
  const cy = (y1 + y2) / 2 - bow * (Math.abs(dy) < 4 ? 1 : 0.3);
  return { x1, y1, x2, y2, cx, cy, angle: Math.atan2(y2 - cy, x2 - cx) };
}

// drawRace draws the finding on show on the lanes' canvas.
export function drawRace(tl, g, sy) {
  const pl = racePlaces(tl, sy);
  if (!pl) return;
  const th = tl.theme;
  const col = th.race;
  g.lineCap = "round";
  for (let i = 0; i + 1 < pl.pts.length; i++) {
    const c = curve(pl.pts[i], pl.pts[i + 1]);
    for (const [w, s] of [[6, th.bg], [2.5, col]]) {
      g.strokeStyle = s;
      g.lineWidth = w;
      g.beginPath();
      g.moveTo(c.x1, c.y1);
      g.quadraticCurveTo(c.cx, c.cy, c.x2, c.y2);
      g.stroke();
    }
    g.fillStyle = col;
    head(g, c.x2, c.y2, c.angle);
  }
  g.lineCap = "butt";
  for (const p of pl.pts) {
    for (const [w, s] of [[5, th.bg], [2.5, col]]) {
      g.strokeStyle = s;
      g.lineWidth = w;
      g.beginPath();
      g.arc(p.x, p.y, RING, 0, Math.PI * 2);
      g.stroke();
    }
  }
  g.font = "bold 10px system-ui, sans-serif";
  g.textBaseline = "middle";
  for (const p of pl.pts) tag(g, th, p.tag, p.x + RING + 2, p.y + (p.i % 2 ? 13 : -13), col);
  g.font = "bold 11px system-ui, sans-serif";
  const w = g.measureText(pl.label).width + 8;
  const bx = labelX(pl, w, tl.W);
  g.fillStyle = th.bg;
  g.globalAlpha = 0.92;
  g.fillRect(bx, pl.ly - 8, w, 16);
  g.globalAlpha = 1;
  g.strokeStyle = col;
  g.lineWidth = 1;
  g.strokeRect(bx + 0.5, pl.ly - 7.5, w - 1, 15);
  g.fillStyle = col;
  g.fillText(pl.label, bx + 4, pl.ly + 0.5);
}

// labelX puts a label of width w right of the last event, or left of it
// when it would run off the right edge.
function labelX(pl, w, W) {
  if (pl.lx + w <= W - 2) return pl.lx;
  const left = pl.lastX - RING - 6 - w;
  return left >= 2 ? left : Math.max(2, W - w - 2);
}

function tag(g, th, text, x, y, col) {
  const w = g.measureText(text).width + 4;
  g.fillStyle = th.bg;
  g.globalAlpha = 0.85;
  g.fillRect(x, y - 6, w, 12);
  g.globalAlpha = 1;
  g.fillStyle = col;
  g.fillText(text, x + 2, y + 0.5);
}

function head(g, x, y, angle) {
  const s = 7;
  g.beginPath();
  g.moveTo(x + Math.cos(angle + Math.PI * 0.85) * s, y + Math.sin(angle + Math.PI * 0.85) * s);
  g.lineTo(x, y);
  g.lineTo(x + Math.cos(angle - Math.PI * 0.85) * s, y + Math.sin(angle - Math.PI * 0.85) * s);
  g.closePath();
  g.fill();
}

// raceSVG is drawRace for the SVG export.
export function raceSVG(tl, { put, W, th, n, head: svgHead }) {
  const pl = racePlaces(tl, 0);
  if (!pl) return;
  const col = th.race;
  for (let i = 0; i + 1 < pl.pts.length; i++) {
    const c = curve(pl.pts[i], pl.pts[i + 1]);
    const d = `M${n(c.x1)} ${n(c.y1)}Q${n(c.cx)} ${n(c.cy)} ${n(c.x2)} ${n(c.y2)}`;
    put(`<path d="${d}" fill="none" stroke="${th.bg}" stroke-width="6" stroke-linecap="round"/>`);
    put(`<path d="${d}" fill="none" stroke="${col}" stroke-width="2.5" stroke-linecap="round" data-race-arrow="${i}"/>`);
    put(svgHead(c.x2, c.y2, c.angle, col, false));
  }
  for (const p of pl.pts) {
    put(`<circle cx="${n(p.x)}" cy="${n(p.y)}" r="${RING}" fill="none" stroke="${th.bg}" stroke-width="5"/>`);
    put(`<circle cx="${n(p.x)}" cy="${n(p.y)}" r="${RING}" fill="none" stroke="${col}" stroke-width="2.5" data-race-ring="${p.i}"/>`);
    const y = p.y + (p.i % 2 ? 13 : -13);
    put(`<text x="${n(p.x + RING + 4)}" y="${n(y + 3.5)}" font-size="10" font-weight="700" fill="${col}">${esc(p.tag)}</text>`);
  }
  const w = pl.label.length * 6.4 + 8;
  const bx = labelX(pl, w, W);
  put(`<g data-race-label=""><rect x="${n(bx)}" y="${n(pl.ly - 8)}" width="${n(w)}" height="16" fill="${th.bg}" fill-opacity="0.92" stroke="${col}"/><text x="${n(bx + 4)}" y="${n(pl.ly + 4)}" font-size="11" font-weight="700" fill="${col}">${esc(pl.label)}</text></g>`);
}
