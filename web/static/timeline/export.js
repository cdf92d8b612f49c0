// Export: the timeline as a PNG (toPNG: what is shown, pixel for pixel)
// and as SVG (timelineSVG, for slides: the current time window, every
// lane, not only those scrolled into view), written as vector shapes
// from the model with the renderer's geometry, so the drawing matches
// the canvas: lanes and their names, spans and holds, instants, arrows,
// problems and the overlays (a deadlock's cycle).
//
// Where the canvas draws a column per pixel (dense instants, bars under a
// pixel wide, thousands of arrows), so does the SVG: its size follows the
// width of the view, not the number of events.

import { ARROW_KINDS, ranShare } from "./model.js";
import { firstAt, firstEndingAt, nextInCol } from "./search.js";
import { dominant } from "./merge.js";
import { SPAN_KINDS } from "./store.js";
import { esc } from "../format.js";
import { PAD, ROW0, HOLD, AXIS_H, STAGGER, ARROW_FULL, ARROW_PLAIN } from "./layout.js";
import { SPAN_LABEL } from "./words.js";
import { svgOverlays } from "./overlay.js";
import { arrowStroke } from "./glyphs.js";

const n = (x) => (Math.round(x * 10) / 10).toString();

export function timelineSVG(tl, opts = {}) {
  const th = tl.theme;
  const tr = tl.trace;
  const W = Math.max(100, tl.W || 800);
  const labelW = tl.labels?.offsetWidth || 136;
  const titleH = opts.title ? 24 : 0;
  const top0 = titleH + AXIS_H;
  const lanesH = tl.layout.reduce((h, L) => Math.max(h, L.y + L.h), 0);
  const width = labelW + W;
  const height = top0 + lanesH + 2;
  const out = [];
  const put = (s) => out.push(s);
  const v0 = tl.view.t0;
  const k = W / Math.max(1e-9, tl.view.t1 - tl.view.t0);
  const X = (t) => (t - v0) * k;
  const t0 = v0 - 12 / k;
  const t1 = tl.view.t1 + 12 / k;

  put(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">`);
  put(`<title>${esc(opts.title || "Interleave timeline")}</title>`);
  put("<defs>");
  put(`<clipPath id="lanes-clip"><rect x="0" y="0" width="${W}" height="${lanesH}"/></clipPath>`);
  for (const kind of ["wait", "join", "send", "recv", "sleep"]) put(patternDef(kind, th.spanColour(kind)));
  put(patternDef("runnable", th.k.work));
  put("</defs>");
  put(`<rect width="${width}" height="${height}" fill="${th.bg}"/>`);
  if (opts.title) put(`<text x="6" y="16" font-size="13" font-weight="600" fill="${th.fg}">${esc(opts.title)}</text>`);

  // The axis.
  put(`<g transform="translate(${labelW} ${titleH})" font-size="11" fill="${th.muted}">`);
  const ticks = tl.tickList();
  for (const { x, label } of ticks) {
    put(`<line x1="${n(x)}" y1="${AXIS_H - 7}" x2="${n(x)}" y2="${AXIS_H}" stroke="${th.muted}"/>`);
    put(`<text x="${n(x + 3)}" y="${AXIS_H - 9}">${esc(label)}</text>`);
  }
  put(`<line x1="0" y1="${AXIS_H - 0.5}" x2="${W}" y2="${AXIS_H - 0.5}" stroke="${th.grid}"/>`);
  for (const f of tr.flags) {
    const x = X(f.t);
    if (x >= -6 && x <= W + 6) put(`<path d="M${n(x - 5)} 1H${n(x + 5)}L${n(x)} 9Z" fill="${th.bad}"/>`);
  }
  put("</g>");

  // Lane names, stripes and the grid.
  put(`<g transform="translate(0 ${top0})">`);
  tl.layout.forEach((L, i) => {
    if (i % 2 === 1) put(`<rect x="0" y="${L.y}" width="${width}" height="${L.h}" fill="${th.alt}"/>`);
    put(`<text x="4" y="${n(L.y + L.h / 2 - 3)}" font-size="12" font-weight="600" fill="${th.fg}">${esc(L.lane.name)}</text>`);
    put(`<text x="4" y="${n(L.y + L.h / 2 + 10)}" font-size="10" fill="${th.muted}">${esc(tl.laneWords(L.lane))}</text>`);
  });
  put(`<line x1="${labelW - 0.5}" y1="0" x2="${labelW - 0.5}" y2="${lanesH}" stroke="${th.grid}"/>`);
  put("</g>");

  put(`<g transform="translate(${labelW} ${top0})" clip-path="url(#lanes-clip)">`);
  put(`<g stroke="${th.grid}">`);
  for (const { x } of ticks) put(`<line x1="${n(x)}" y1="0" x2="${n(x)}" y2="${lanesH}"/>`);
  put("</g>");
  for (const L of tl.layout) {
    if (L.lane.kind === "os") osLane(L);
    else threadLane(L);
  }
  if (tl.group !== "os") {
    arrows();
    svgOverlays(tl, { put, X, W, th, n, head });
  }
  put("</g></svg>");
  return out.join("\n");

  function threadLane(L) {
    const l = L.lane;
    const cy = L.y + L.cy;
    if (l.t0 !== null) {
      const x0 = Math.max(-2, X(l.t0));
      const x1 = Math.min(W + 2, X(tl.liveEnd(l)));
      if (x1 >= x0) put(`<rect x="${n(x0)}" y="${n(cy - 1)}" width="${n(Math.max(1, x1 - x0))}" height="2" fill="${th.k.life}"/>`);
    }
    bars(l.rows[0], L.y + PAD + 2, ROW0 - 4, l, "span");
    for (let r = 1; r < l.rows.length; r++) bars(l.rows[r], L.y + PAD + ROW0 + (r - 1) * HOLD + 1, HOLD - 2, l, "hold");
    marks(L, cy);
    if (l.cut) {
      const x = X(l.cut.t);
      if (x > -6 && x < W + 6) put(zigzag(x, L.y + 3, L.y + L.h - 3, th.bad));
    }
    for (const f of l.flags) {
      const x = X(f.t);
      if (x < -12 || x > W + 12) continue;
      put(`<g fill="${th.bad}"><line x1="${n(x)}" y1="${L.y + 2}" x2="${n(x)}" y2="${L.y + L.h - 2}" stroke="${th.bad}" stroke-width="1.5"/><path d="M${n(x)} ${L.y + 2}l11 4l-11 4Z"/></g>`);
    }
  }

  function osLane(L) {
    bars(L.lane.segs, L.y + PAD + 2, ROW0 - 4, L.lane, "seg");
  }

  // bars writes a row of non-overlapping bars; those under a pixel wide
  // share a one-pixel column, as on the canvas.
  function bars(row, y, h, lane, style) {
    if (!row.length) return;
    const liveEnd = tl.liveEnd(lane);
    let lastPx = -1e9;
    for (let i = firstEndingAt(row, t0); i < row.length; i++) {
      if (row.t0[i] > t1) break;
      const s = row.at(i);
      if (s.t0 > t1) break;
      const end = s.t1 === null ? liveEnd : s.t1;
      let x0 = X(s.t0);
      let x1 = X(end);
      const colour = style === "hold" ? tl.mutexColour(s.obj) : style === "seg" ? th.colourOf(s.th) : th.spanColour(s.kind);
      if (x1 - x0 < 1.5) {
        // One mark per pixel column, in the colour of the state that
        // fills most of it, as on the canvas (merge.js).
        const px = Math.floor(x0);
        const j = nextInCol(row.t0, v0 + (px + 1) / k, i + 1, row.n);
        if (px !== lastPx) {
          const key = dominant(row, i, j, liveEnd, style);
          const c = style === "hold" ? tl.mutexColour(tr.events.strings.list[key]) : style === "seg" ? th.colourOf(key) : th.spanColour(SPAN_KINDS[key]);
          put(`<rect x="${px}" y="${n(y)}" width="1" height="${n(h)}" fill="${c}"/>`);
        }
        lastPx = px;
        i = j - 1;
        continue;
      }
      x0 = Math.max(-4, x0);
      x1 = Math.min(W + 4, x1);
      const w = x1 - x0;
      const blocked = style === "span" && s.kind !== "work";
      const fill = blocked ? `url(#p-${s.kind})` : style === "span" ? th.k.work : colour;
      const stroke = s.cycle ? ` stroke="${th.bad}" stroke-width="2.5"` : blocked ? ` stroke="${colour}"` : "";
      put(`<rect x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"${stroke}/>`);
      const ran = style === "span" ? ranShare(s) : null;
      const hw = ran === null || tl.trace.timedWaits ? 0 : Math.round((1 - ran) * h);
      for (const [a, b] of (style === "span" && s.waits) || []) {
        // The stretches the thread waited to run, hatched where they fell.
        const wx0 = Math.max(x0, X(a));
        const ww = Math.min(x1, Math.max(X(b), wx0 + 1)) - wx0;
        if (ww <= 0) continue;
        put(`<rect x="${n(wx0)}" y="${n(y)}" width="${n(ww)}" height="${n(h)}" fill="${th.bg}"/>`);
        put(`<rect x="${n(wx0)}" y="${n(y)}" width="${n(ww)}" height="${n(h)}" fill="url(#p-runnable)"/>`);
      }
      if (hw >= 1) {
        // The share the thread waited, hatched at the top, as on the canvas.
        put(`<rect x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${hw}" fill="${th.bg}"/>`);
        put(`<rect x="${n(x0)}" y="${n(y)}" width="${n(w)}" height="${hw}" fill="url(#p-runnable)"/>`);
      }
      if (style === "hold" && w >= 4) {
        // The brackets that tell a hold from work, as on the canvas.
        const c = Math.min(2, w / 4);
        const cap = (xo, xi) => `M${n(xi)} ${n(y + 0.5)}H${n(xo)}V${n(y + h - 0.5)}H${n(xi)}`;
        put(`<path d="${cap(x0 + c / 2, x0 + 3 * c)}${cap(x1 - c / 2, x1 - 3 * c)}" fill="none" stroke="${th.fg}" stroke-width="${n(c)}"/>`);
      }
      if (w > 26 && h >= 9) {
        const text = style === "seg" ? tl.barText(s, style) : (SPAN_LABEL[s.kind] || ((x) => x.kind))(s);
        const vx0 = Math.max(0, x0);
        const room = Math.floor((Math.min(W, x1) - vx0 - 8) / 6);
        if (room >= 3) {
          const shown = text.length > room ? `${text.slice(0, room - 1)}…` : text;
          put(`<text x="${n(vx0 + 4)}" y="${n(y + h / 2 + 3.5)}" font-size="10.5" fill="${blocked ? th.fg : th.onFill}">${esc(shown)}</text>`);
        }
      }
      lastPx = Math.floor(x1);
    }
  }

  function marks(L, cy) {
    const ms = L.lane.marks;
    if (!ms.length) return;
    const i0 = firstAt(ms, t0);
    const i1 = firstAt(ms, t1);
    if (i1 - i0 <= W / 5) {
      for (let i = i0; i < i1; i++) {
        const e = ms.at(i);
        put(glyph(th, e, X(e.t) + (e._d || 0) * STAGGER, cy));
      }
      return;
    }
    // Dense: one column per pixel, reads above the line and writes below.
    const cols = new Map();
    for (let i = i0; i < i1; i++) {
      const e = ms.at(i);
      const px = Math.floor(X(e.t));
      let c = cols.get(px);
      if (!c) cols.set(px, (c = { n: 0, r: 0, w: 0, other: null }));
      c.n++;
      if (e.k === "get") c.r++;
      else if (e.k === "set" || e.k === "add" || e.k === "cas" || e.k === "swap") c.w++;
      else c.other = e;
    }
    const up = [];
    const down = [];
    for (const [px, c] of cols) {
      const hh = n(Math.min(ROW0 / 2 - 1, 3 + 1.8 * Math.log2(c.n)));
      if (c.r) up.push(`M${px} ${n(cy - 1)}v-${hh}`);
      if (c.w) down.push(`M${px} ${n(cy + 1)}v${hh}`);
      if (c.other) put(`<rect x="${px}" y="${n(cy - 4)}" width="1" height="8" fill="${th.markColour(c.other)}"/>`);
    }
    if (up.length) put(`<path d="${up.join("")}" stroke="${th.k.read}" shape-rendering="crispEdges" transform="translate(0.5 0)"/>`);
    if (down.length) put(`<path d="${down.join("")}" stroke="${th.k.write}" shape-rendering="crispEdges" transform="translate(0.5 0)"/>`);
  }

  function arrows() {
    const heads = [];
    for (const kind of ARROW_KINDS) {
      const arr = tr.arrows[kind];
      if (!arr.length) continue;
      const many = kind === "handoff" || kind === "message";
      const list = [];
      const seen = new Set();
      for (let i = firstAt(arr, v0 - 30 / k, "tb"); i < arr.length; i++) {
        if (arr.tb[i] > t1 + tr.maxDur[kind]) break;
        const a = arr.at(i);
        if (a.ta > t1) continue;
        const A = tl.laneAt.get(a.from.th);
        const B = tl.laneAt.get(a.to.th);
        if (!A || !B || A === B) continue;
        const x1 = X(a.from.t);
        const x2 = X(a.to.t);
        const key = `${Math.round(x1)}/${Math.round(x2)}/${a.from.th}/${a.to.th}`;
        if (seen.has(key)) continue;
        seen.add(key);
        list.push({ a, x1, y1: A.y + A.cy, x2, yb: B.y + B.cy });
        if (many && list.length > ARROW_PLAIN) break;
      }
      if (many && list.length > ARROW_PLAIN) continue;
      if (many && list.length > ARROW_FULL) {
        const d = list.map((p) => `M${n(p.x1)} ${n(p.y1)}L${n(p.x2)} ${n(p.yb)}`).join("");
        put(`<path d="${d}" fill="none" stroke="${kind === "message" ? th.k.chan : th.muted}" stroke-opacity="0.45"/>`);
        continue;
      }
      const st = arrowStroke(th, kind);
      for (const p of list) {
        const colour = kind === "handoff" ? tl.mutexColour(p.a.obj) : st.colour;
        const dir = p.yb > p.y1 ? 1 : -1;
        const y2 = p.yb - dir * 8;
        const my = (p.y1 + y2) / 2;
        put(`<path d="M${n(p.x1)} ${n(p.y1)}C${n(p.x1)} ${n(my)} ${n(p.x2)} ${n(my)} ${n(p.x2)} ${n(y2)}" fill="none" stroke="${colour}" stroke-width="${st.width}"${st.dash.length ? ` stroke-dasharray="${st.dash.join(" ")}"` : ""}/>`);
        heads.push(head(p.x2, y2, dir > 0 ? Math.PI / 2 : -Math.PI / 2, colour, kind === "message"));
      }
    }
    for (const h of heads) put(h);
  }
}

function head(x, y, angle, colour, open) {
  const s = 6;
  const a1 = angle + Math.PI * 0.85;
  const a2 = angle - Math.PI * 0.85;
  const d = `M${n(x + Math.cos(a1) * s)} ${n(y + Math.sin(a1) * s)}L${n(x)} ${n(y)}L${n(x + Math.cos(a2) * s)} ${n(y + Math.sin(a2) * s)}`;
  return open ? `<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.3"/>` : `<path d="${d}Z" fill="${colour}"/>`;
}

function zigzag(x, y0, y1, colour) {
  let d = `M${n(x)} ${n(y0)}`;
  let left = true;
  for (let y = y0 + 3; y <= y1; y += 3) {
    d += `L${n(x + (left ? -3 : 3))} ${n(y)}`;
    left = !left;
  }
  return `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`;
}

// patternDef is the texture of a blocked span, as glyphs.js paints it on
// the canvas: stripes for a lock, crosses for a join, dashes for a
// channel, dots for sleep, over a tint of the kind's colour.
function patternDef(kind, c) {
  const body = {
    wait: `<path d="M-2 10L10 -2M-2 2L2 -2M6 10L10 6" stroke="${c}" stroke-width="1.3"/>`,
    join: `<path d="M0 0L8 8M8 0L0 8" stroke="${c}"/>`,
    send: `<path d="M0 4H5" stroke="${c}" stroke-width="1.3"/>`,
    recv: `<path d="M0 4H5" stroke="${c}" stroke-width="1.3"/>`,
    sleep: `<circle cx="4" cy="4" r="1.2" fill="${c}"/>`,
    runnable: `<path d="M-2 -2L10 10M-2 6L2 10M6 -2L10 2" stroke="${c}" stroke-width="1.3"/>`,
  }[kind];
  return `<pattern id="p-${kind}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="${c}" fill-opacity="0.22"/>${body}</pattern>`;
}

// glyph writes one instant, the shapes of glyphs.js.
function glyph(th, e, x, y) {
  const c = th.markColour(e);
  const X = n(x);
  const Y = n(y);
  const p = (d, extra = `fill="${c}"`) => `<path transform="translate(${X} ${Y})" d="${d}" ${extra}/>`;
  const line = (d, w = 2) => p(d, `fill="none" stroke="${c}" stroke-width="${w}"`);
  switch (e.k) {
    case "get": return `<circle cx="${X}" cy="${Y}" r="3.6" fill="${th.bg}" stroke="${c}" stroke-width="2"/>`;
    case "set": return `<rect x="${n(x - 4)}" y="${n(y - 4)}" width="8" height="8" fill="${c}"/>`;
    case "add": return p("M0 -5L5 4L-5 4Z");
    case "swap": return p("M0 5L5 -4L-5 -4Z");
    case "cas": return e.v === false ? p("M0 -5L5 0L0 5L-5 0Z", `fill="${th.bg}" stroke="${c}" stroke-width="1.5"`) : p("M0 -5L5 0L0 5L-5 0Z");
    case "spawn": return line("M-4.5 0H4.5M0 -4.5V4.5");
    case "start": return line("M0 -7V7M0 0H4");
    case "end": return line("M0 -7V7M0 0H-4");
    case "cutoff": return zigzag(x, y - 9, y + 9, th.bad);
    case "panic": return `<g transform="translate(${X} ${Y})"><circle r="6" fill="${c}"/><rect x="-1" y="-4" width="2" height="5" fill="#fff"/><rect x="-1" y="2.2" width="2" height="2" fill="#fff"/></g>`;
    case "check": return e.obj === "failed" ? line("M-4 -4L4 4M4 -4L-4 4", 2.2) : line("M-4.5 0L-1 4L5 -5", 2.2);
    case "print": return p("M-4.5 -4H4.5V2H1L-3 5L-2 2H-4.5Z");
    case "trylock": return e.v === true ? p("M-3.5 -3.5H3.5V3.5H-3.5Z") : line("M-3.5 -3.5H3.5V3.5H-3.5Z", 1.5);
    case "close": return `<g transform="translate(${X} ${Y})" fill="none" stroke="${c}" stroke-width="1.5"><circle r="4"/><path d="M-3 3L3 -3"/></g>`;
    case "yield": return line("M-2.5 3L0 5.5L2.5 3", 1.2);
  }
  return `<rect x="${n(x - 1)}" y="${n(y - 5)}" width="2" height="10" fill="${c}"/>`;
}

// toPNG gives the timeline as it is shown (lane names, axis and the
// lanes in view) as a PNG at the device pixel ratio.
export function toPNG(tl) {
  tl.drawNow();
  const dpr = tl.dpr;
  const labelW = tl.labels.offsetWidth;
  const W = tl.W;
  const H = tl.H;
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round((labelW + W) * dpr));
  c.height = Math.max(1, Math.round((AXIS_H + H) * dpr));
  const g = c.getContext("2d");
  const th = tl.theme;
  g.fillStyle = th.bg;
  g.fillRect(0, 0, c.width, c.height);
  if (W > 0) {
    const x0 = Math.round(labelW * dpr);
    const y0 = Math.round(AXIS_H * dpr);
    g.drawImage(tl.axis, x0, 0);
    g.drawImage(tl.raster.canvas, x0, y0);
    g.drawImage(tl.canvas, x0, y0);
  }
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  const sy = tl.scroll.scrollTop;
  g.textBaseline = "middle";
  tl.layout.forEach((L, i) => {
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
    g.fillText(tl.laneWords(L.lane), 4, top + L.h / 2 + 7, labelW - 8);
    g.restore();
  });
  return new Promise((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error("no image"))), "image/png"));
}
