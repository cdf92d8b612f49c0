// The arrows between lanes (spawn, join, lock handoff, message) on the
// canvas, from the model's arrow lists, sorted by their later end.

import { ARROW_KINDS } from "./model.js";
import { firstAt } from "./search.js";
import { ARROW_FULL, ARROW_PLAIN, laneY } from "./layout.js";
import { arrowStyle, arrowHead } from "./glyphs.js";

// drawArrows draws the arrows between lanes in view. Spawns and joins
// are few and always drawn in full. Handoffs and messages can be
// thousands: drawn in full (curves, dashes, heads) while few are in
// view, as plain straight lines while there are more, and left out (with
// a note on the axis) when they would only be a smear.
export function drawArrows(tl, g, sy) {
  const th = tl.theme;
  const H = tl.H;
  const W = tl.W;
  const v0 = tl.tAt(-30);
  const v1 = tl.tAt(W + 30);
  const heads = [];
  tl.arrowsHidden = 0;
  for (const kind of ARROW_KINDS) {
    const arr = tl.trace.arrows[kind];
    if (!arr.length) continue;
    const maxDur = tl.trace.maxDur[kind];
    // Collect what is in view, one arrow per pixel and pair of lanes.
    const seen = new Set();
    const list = [];
    const many = kind === "handoff" || kind === "message";
    const { tb, ta, fth, tth, ft, tt } = arr;
    for (let i = firstAt(arr, v0, "tb"); i < arr.n; i++) {
      if (tb[i] > v1 + maxDur) break;
      if (ta[i] > v1) continue;
      const A = tl.laneAt.get(fth[i]);
      const B = tl.laneAt.get(tth[i]);
      if (!A || !B || A === B) continue;
      const x1 = tl.x(ft[i]);
      const x2 = tl.x(tt[i]);
      const y1 = laneY(A, sy);
      const yb = laneY(B, sy);
      if ((y1 < -20 && yb < -20) || (y1 > H + 20 && yb > H + 20)) continue;
      const key = (((x1 | 0) + 4096) * 16384 + ((x2 | 0) + 4096)) * 65536 + ((fth[i] & 255) << 8) + (tth[i] & 255);
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(i, x1, y1, x2, yb);
      if (many && list.length > ARROW_PLAIN * 5) break;
    }
    const n = list.length / 5;
    if (many && n > ARROW_PLAIN) {
      tl.arrowsHidden += n;
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
      const obj = arr.objAt(list[i]);
      const x1 = list[i + 1];
      const y1 = list[i + 2];
      const x2 = list[i + 3];
      const yb = list[i + 4];
      if (kind === "handoff") {
        const c = tl.mutexColour(obj);
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
      heads.push(x2, y2, dir, kind === "handoff" ? tl.mutexColour(obj) : "", kind);
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
