// Hit-testing and the tooltip: what is drawn at a point of the canvas
// (pick), where an event is drawn (position), and the tooltip of what is
// under the pointer, in the words of words.js.

import { firstAt, firstEndingAt } from "./search.js";
import { PAD, ROW0, HOLD, CPU, STAGGER } from "./layout.js";
import { tipLines } from "./words.js";
import { column } from "./merge.js";
import { SPAN_KINDS } from "./store.js";

// position says where an event is drawn, in canvas x and content y.
export function position(tl, e) {
  const L = tl.laneAt.get(e.th);
  if (!L || tl.group !== "thread") return null;
  const span = spanOf(L.lane, e);
  if (span) {
    const t = span.seq0 === e.seq ? span.t0 : span.t1 ?? span.t0;
    const x = Math.min(Math.max(tl.x(t), tl.x(span.t0) + 2), tl.x(span.t1 ?? tl.liveEnd(L.lane)) - 2);
    const y = span.row === 0 ? L.y + L.cy : L.y + PAD + ROW0 + (span.row - 1) * HOLD + HOLD / 2;
    return { x: Number.isFinite(x) ? x : tl.x(t), y };
  }
  return { x: tl.x(e.t) + (L.dense ? 0 : (e._d || 0) * STAGGER), y: L.y + L.cy };
}

// spanOf finds the span an event opened or closed, if it is not an instant.
export function spanOf(lane, e) {
  if (lane.marks.length && e._d !== undefined) return null;
  const seq = lane.events ? lane.events.seq : null;
  for (const row of lane.rows) {
    let i = firstEndingAt(row, e.t) - 1;
    if (i < 0) i = 0;
    for (; i < row.n && row.t0[i] <= e.t; i++) {
      if (seq[row.e0[i]] === e.seq || (row.e1[i] >= 0 && seq[row.e1[i]] === e.seq)) return row.at(i);
    }
  }
  return null;
}

// pick finds what is drawn at a canvas point: an event, a span, a
// segment, or nothing.
export function pick(tl, px, py) {
  const y = py + tl.scroll.scrollTop;
  const L = tl.layout.find((l) => y >= l.y && y < l.y + l.h);
  if (!L) return null;
  const lane = L.lane;
  const ly = y - L.y;
  const t = tl.tAt(px);
  const tol = 3 / tl.k;
  if (tl.showCPU && lane.cpu.length && ly >= L.h - PAD - CPU - 1) {
    const hit = hitBar(tl, L, lane.cpu, t, tol, Infinity, "cpu");
    if (hit) return hit;
  }
  if (lane.kind === "os") return hitBar(tl, L, lane.segs, t, tol, Infinity, "seg") || { L };
  for (const f of lane.flags) {
    if (Math.abs(tl.x(f.t) - px) <= 6) return { L, e: f };
  }
  if (ly < PAD + ROW0 + 1) {
    const e = pickMark(tl, L, px);
    if (e) return { L, e };
    return hitBar(tl, L, lane.rows[0], t, tol, tl.liveEnd(lane), "span") || { L };
  }
  const r = Math.floor((ly - PAD - ROW0) / HOLD) + 1;
  if (r >= 1 && r < lane.rows.length) return hitBar(tl, L, lane.rows[r], t, tol, tl.liveEnd(lane), "hold") || { L };
  return { L };
}

// HIT_FIELD names what a pick of a bar of each style holds.
const HIT_FIELD = { span: "span", hold: "span", seg: "seg", cpu: "cpu" };

// hitBar picks the bar of a row under time t. A bar drawn under a pixel
// wide is drawn merged with the others that start in its pixel column
// (render.js): the pick then says how many, and which state the column
// shows (merged: {n, key, style}).
function hitBar(tl, L, row, t, tol, liveEnd, style) {
  const j = barIndexAt(row, t, tol, liveEnd);
  if (j < 0) return null;
  const hit = { L, [HIT_FIELD[style]]: row.at(j) };
  const end = Number.isNaN(row.t1[j]) ? liveEnd : row.t1[j];
  if ((end - row.t0[j]) * tl.k < 1.5) {
    const c = column(row, j, tl.view.t0, tl.k, liveEnd, style);
    if (c.n > 1) hit.merged = { n: c.n, key: c.key, style, name: keyName(tl.trace, row, c.key, style) };
  }
  return hit;
}

// keyName says in a word the state a merged column shows.
function keyName(trace, row, key, style) {
  switch (style) {
    case "hold": return `holds ${row.events.strings.list[key]}`;
    case "seg": return trace.threads.get(key)?.name ?? `#${key}`;
    case "cpu": return `CPU ${key}`;
  }
  return SPAN_KINDS[key];
}

function pickMark(tl, L, px) {
  const marks = L.lane.marks;
  if (!marks.length) return null;
  let best = null;
  let bd = 7;
  const ts = marks.t;
  if (L.dense) {
    const i = firstAt(marks, tl.tAt(px));
    for (const j of [i - 1, i]) {
      if (j < 0 || j >= marks.length) continue;
      const d = Math.abs(tl.x(ts[j]) - px);
      if (d < bd) {
        bd = d;
        best = j;
      }
    }
    return best === null ? null : marks.at(best);
  }
  const end = tl.tAt(px + 8);
  const stagger = marks.events.d;
  for (let i = firstAt(marks, tl.tAt(px - 64)); i < marks.length && ts[i] <= end; i++) {
    const d = Math.abs(tl.x(ts[i]) + stagger[marks.ev[i]] * STAGGER - px);
    if (d < bd) {
      bd = d;
      best = i;
    }
  }
  return best === null ? null : marks.at(best);
}

// barAt is the bar of a row (spans or segments, a store.js table) drawn
// at time t, give or take tol, or null.
export function barAt(row, t, tol, liveEnd = Infinity) {
  const j = barIndexAt(row, t, tol, liveEnd);
  return j < 0 ? null : row.at(j);
}

// barIndexAt is barAt's index in the row, or -1.
export function barIndexAt(row, t, tol, liveEnd = Infinity) {
  const i = firstEndingAt(row, t - tol);
  for (let j = i; j < row.n && row.t0[j] <= t + tol; j++) {
    const t1 = row.t1[j];
    const end = Number.isNaN(t1) ? liveEnd : t1;
    if (row.t0[j] - tol <= t && t <= end + tol) return j;
  }
  return -1;
}


// showTip shows the tooltip of a pick by the pointer, or hides it.
export function showTip(tl, hit, clientX, clientY) {
  const lines = tipLines(tl.trace, hit);
  if (!lines) {
    hideTip(tl);
    return;
  }
  const tip = tl.tip;
  tip.textContent = "";
  lines.forEach((text, i) => {
    const div = document.createElement("div");
    if (i === 0) div.className = "tip-title";
    div.textContent = text;
    tip.appendChild(div);
  });
  tip.hidden = false;
  const box = tl.root.getBoundingClientRect();
  const tw = tip.offsetWidth;
  const thh = tip.offsetHeight;
  let left = clientX - box.left + 14;
  let top = clientY - box.top + 16;
  if (left + tw > box.width - 4) left = Math.max(4, clientX - box.left - tw - 14);
  if (top + thh > box.height + 40) top = Math.max(4, clientY - box.top - thh - 12);
  tip.style.left = `${left}px`;
  tip.style.top = `${top}px`;
}

export function hideTip(tl) {
  if (tl.tip) tl.tip.hidden = true;
}
