// The step cursor over the lanes (step/panel.js moves it): a vertical
// line through the event at the cursor, that event ringed. It reads
// tl.cursor (an event, or null) and keeps no state of its own.

import { position } from "./hit.js";

// drawCursor draws the step cursor on the lanes' canvas scrolled by sy.
export function drawCursor(tl, g, sy) {
  const e = tl.cursor;
  if (!e) return;
  const pos = position(tl, e);
  if (!pos) return;
  const th = tl.theme;
  const x = Math.round(pos.x) + 0.5;
  g.strokeStyle = th.fg;
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(x, 0);
  g.lineTo(x, tl.H);
  g.stroke();
  for (const [w, col] of [[5, th.bg], [2.5, th.colourOf(e.th)]]) {
    g.strokeStyle = col;
    g.lineWidth = w;
    g.beginPath();
    g.arc(pos.x, pos.y - sy, 10, 0, Math.PI * 2);
    g.stroke();
  }
}
