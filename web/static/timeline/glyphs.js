// Shapes and colours of the timeline, shared by the lanes and the legend,
// so that the legend always shows what the lanes draw. Every kind has its
// own shape or pattern: colour is never the only thing that tells kinds
// apart.

import { runnableGaps } from "./runnable.js";

// Theme reads the timeline's colours from CSS custom properties, so the
// light and dark palettes live in style.css next to the page's.
export class Theme {
  constructor(el = document.documentElement) {
    this.el = el;
    this.patterns = new Map();
    this.load();
  }

  load() {
    const cs = getComputedStyle(this.el);
    const v = (name, dflt) => (cs.getPropertyValue(name) || "").trim() || dflt;
    this.bg = v("--panel", "#fff");
    this.fg = v("--fg", "#0f172a");
    this.muted = v("--muted", "#64748b");
    this.grid = v("--tl-grid", "rgba(100,116,139,.15)");
    this.alt = v("--tl-alt", "rgba(100,116,139,.05)");
    this.accent = v("--accent", "#4f46e5");
    this.bad = v("--bad", "#b91c1c");
    this.ok = v("--ok", "#15803d");
    this.race = v("--race", "#a21caf");
    this.onFill = v("--tl-on-fill", "#fff");
    this.k = {
      read: v("--k-read", "#2563eb"),
      write: v("--k-write", "#ea580c"),
      atomic: v("--k-atomic", "#059669"),
      cas: v("--k-cas", "#7c3aed"),
      wait: v("--k-wait", "#dc2626"),
      join: v("--k-join", "#ca8a04"),
      chan: v("--k-chan", "#0891b2"),
      sleep: v("--k-sleep", "#64748b"),
      work: v("--k-work", "#d97706"),
      spawn: v("--k-spawn", "#9333ea"),
      print: v("--k-print", "#475569"),
      life: v("--k-life", "#94a3b8"),
    };
    this.palette = [];
    for (let i = 0; i < 8; i++) this.palette.push(v(`--m${i}`, ["#6366f1", "#0d9488", "#db2777", "#65a30d", "#0284c7", "#c2410c", "#7c3aed", "#a16207"][i]));
    this.patterns.clear();
  }

  // colourOf gives a stable palette colour for a name (a mutex) or a number.
  colourOf(key) {
    let h = 0;
    const s = String(key);
    for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    if (typeof key === "number") h = key;
    return this.palette[((h % 8) + 8) % 8];
  }

  spanColour(kind) {
    switch (kind) {
      case "wait": return this.k.wait;
      case "join": return this.k.join;
      case "send":
      case "recv": return this.k.chan;
      case "sleep": return this.k.sleep;
      case "work": return this.k.work;
      case "cvwait":
      case "park": return this.k.wait;
      case "barrier":
      case "once": return this.k.join;
      case "sem": return this.k.chan;
    }
    return this.muted;
  }

  // pattern gives the fill of a blocked span: a tint of its colour under
  // a texture that names the kind of wait (stripes for a lock, crosses for
  // a join, dashes for a channel, dots for sleep).
  pattern(g, kind) {
    const key = kind;
    let p = this.patterns.get(key);
    if (p) return p;
    const c = document.createElement("canvas");
    const n = 8;
    c.width = n;
    c.height = n;
    const x = c.getContext("2d");
    const col = kind === "runnable" ? this.k.work : this.spanColour(kind);
    x.globalAlpha = 0.22;
    x.fillStyle = col;
    x.fillRect(0, 0, n, n);
    x.globalAlpha = 0.9;
    x.strokeStyle = col;
    x.fillStyle = col;
    x.lineWidth = 1.3;
    x.beginPath();
    switch (kind) {
      case "wait": // diagonal stripes
      case "cvwait":
      case "sem":
        x.moveTo(-2, n + 2); x.lineTo(n + 2, -2);
        x.moveTo(-2, 2); x.lineTo(2, -2);
        x.moveTo(n - 2, n + 2); x.lineTo(n + 2, n - 2);
        x.stroke();
        break;
      case "join": // cross-hatch
      case "barrier":
      case "once":
        x.lineWidth = 1;
        x.moveTo(0, 0); x.lineTo(n, n);
        x.moveTo(n, 0); x.lineTo(0, n);
        x.stroke();
        break;
      case "send":
      case "recv": // horizontal dashes
        x.moveTo(0, n / 2); x.lineTo(n / 2 + 1, n / 2);
        x.stroke();
        break;
      case "runnable": // stripes slanted the other way: ran not, could have
        x.moveTo(-2, -2); x.lineTo(n + 2, n + 2);
        x.moveTo(-2, n - 2); x.lineTo(2, n + 2);
        x.moveTo(n - 2, -2); x.lineTo(n + 2, 2);
        x.stroke();
        break;
      case "sleep": // dots
      case "park":
        x.arc(n / 2, n / 2, 1.2, 0, Math.PI * 2);
        x.fill();
        break;
      default:
        break;
    }
    p = g.createPattern(c, "repeat");
    this.patterns.set(key, p);
    return p;
  }

  // holdPattern is the fill of a lock hold too narrow for its mutex's
  // name: the mutex's colour under a texture of its own (none, a line,
  // ticks or dots, by the mutex's index), so that two locks differ by
  // more than colour.
  holdPattern(g, colour, i) {
    const kind = ((i % 4) + 4) % 4;
    if (kind === 0) return colour;
    const key = `hold|${colour}|${kind}`;
    let p = this.patterns.get(key);
    if (p) return p;
    const c = document.createElement("canvas");
    const n = 4;
    c.width = n;
    c.height = n;
    const x = c.getContext("2d");
    x.fillStyle = colour;
    x.fillRect(0, 0, n, n);
    x.fillStyle = this.bg;
    if (kind === 1) x.fillRect(0, 1, n, 1.5); // a line along the bar
    else if (kind === 2) x.fillRect(1, 0, 1.5, n); // ticks across it
    else x.fillRect(1, 1, 1.5, 1.5); // dots
    p = g.createPattern(c, "repeat");
    this.patterns.set(key, p);
    return p;
  }

  markColour(e) {
    switch (e.k) {
      case "get": return this.k.read;
      case "set": return this.k.write;
      case "add": return this.k.atomic;
      case "cas":
      case "swap": return this.k.cas;
      case "spawn":
      case "start":
      case "end": return this.k.spawn;
      case "panic":
      case "cutoff": return this.bad;
      case "check": return e.obj === "failed" ? this.bad : this.ok;
      case "trylock": return this.k.wait;
      case "close": return this.k.chan;
      case "yield": return this.k.life;
      case "notify":
      case "unpark": return this.k.wait;
      case "semrelease":
      case "semtry": return this.k.chan;
    }
    return this.k.print;
  }
}

// glyph draws one instant centred on (x, y), in a box about 10 px wide.
export function glyph(g, th, e, x, y) {
  const c = th.markColour(e);
  g.fillStyle = c;
  g.strokeStyle = c;
  g.lineWidth = 2;
  switch (e.k) {
    case "get": // hollow circle: a read
      g.beginPath();
      g.arc(x, y, 3.6, 0, Math.PI * 2);
      g.fillStyle = th.bg;
      g.fill();
      g.stroke();
      break;
    case "set": // filled square: a write
      g.fillRect(x - 4, y - 4, 8, 8);
      break;
    case "add": // triangle up: an atomic add
      g.beginPath();
      g.moveTo(x, y - 5);
      g.lineTo(x + 5, y + 4);
      g.lineTo(x - 5, y + 4);
      g.closePath();
      g.fill();
      break;
    case "swap": // triangle down
      g.beginPath();
      g.moveTo(x, y + 5);
      g.lineTo(x + 5, y - 4);
      g.lineTo(x - 5, y - 4);
      g.closePath();
      g.fill();
      break;
    case "cas": // diamond, hollow when it failed
      g.beginPath();
      g.moveTo(x, y - 5);
      g.lineTo(x + 5, y);
      g.lineTo(x, y + 5);
      g.lineTo(x - 5, y);
      g.closePath();
      if (e.v === false) {
        g.lineWidth = 1.5;
        g.fillStyle = th.bg;
        g.fill();
        g.stroke();
      } else g.fill();
      break;
    case "spawn": // plus
      g.beginPath();
      g.moveTo(x - 4.5, y); g.lineTo(x + 4.5, y);
      g.moveTo(x, y - 4.5); g.lineTo(x, y + 4.5);
      g.stroke();
      break;
    case "start": // |-
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x, y - 7); g.lineTo(x, y + 7);
      g.moveTo(x, y); g.lineTo(x + 4, y);
      g.stroke();
      break;
    case "end": // -|
      g.beginPath();
      g.moveTo(x, y - 7); g.lineTo(x, y + 7);
      g.moveTo(x, y); g.lineTo(x - 4, y);
      g.stroke();
      break;
    case "cutoff": // zigzag: the thread was cut
      cutMark(g, th, x, y - 9, y + 9);
      break;
    case "panic": // ! in a red disc
      g.beginPath();
      g.arc(x, y, 6, 0, Math.PI * 2);
      g.fill();
      g.fillStyle = "#fff";
      g.fillRect(x - 1, y - 4, 2, 5);
      g.fillRect(x - 1, y + 2.2, 2, 2);
      break;
    case "check":
      g.lineWidth = 2.2;
      g.beginPath();
      if (e.obj === "failed") { // x
        g.moveTo(x - 4, y - 4); g.lineTo(x + 4, y + 4);
        g.moveTo(x + 4, y - 4); g.lineTo(x - 4, y + 4);
      } else { // tick
        g.moveTo(x - 4.5, y); g.lineTo(x - 1, y + 4); g.lineTo(x + 5, y - 5);
      }
      g.stroke();
      break;
    case "print": // speech bubble
      g.beginPath();
      g.rect(x - 4.5, y - 4, 9, 6);
      g.moveTo(x - 2, y + 2); g.lineTo(x - 3, y + 5); g.lineTo(x + 1, y + 2);
      g.fill();
      break;
    case "trylock": // hollow square, filled when it got the lock
      g.lineWidth = 1.5;
      if (e.v === true) g.fillRect(x - 3.5, y - 3.5, 7, 7);
      else g.strokeRect(x - 3.5, y - 3.5, 7, 7);
      break;
    case "close": // circle with a slash
      g.lineWidth = 1.5;
      g.beginPath();
      g.arc(x, y, 4, 0, Math.PI * 2);
      g.moveTo(x - 3, y + 3); g.lineTo(x + 3, y - 3);
      g.stroke();
      break;
    case "yield": // small chevron under the line
      g.lineWidth = 1.2;
      g.beginPath();
      g.moveTo(x - 2.5, y + 3); g.lineTo(x, y + 5.5); g.lineTo(x + 2.5, y + 3);
      g.stroke();
      break;
    default:
      g.fillRect(x - 1, y - 5, 2, 10);
  }
}

export function cutMark(g, th, x, y0, y1) {
  g.strokeStyle = th.bad;
  g.lineWidth = 2;
  g.beginPath();
  const step = 3;
  let left = true;
  g.moveTo(x, y0);
  for (let y = y0 + step; y <= y1; y += step) {
    g.lineTo(x + (left ? -3 : 3), y);
    left = !left;
  }
  g.stroke();
}

// flag draws a pole with a pennant over a lane where something went wrong.
export function flag(g, th, x, y0, y1, text) {
  g.strokeStyle = th.bad;
  g.fillStyle = th.bad;
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(x, y0);
  g.lineTo(x, y1);
  g.stroke();
  g.beginPath();
  g.moveTo(x, y0);
  g.lineTo(x + 11, y0 + 4);
  g.lineTo(x, y0 + 8);
  g.closePath();
  g.fill();
  if (text) {
    g.font = "bold 9px system-ui, sans-serif";
    g.fillStyle = "#fff";
    g.fillText(text, x + 1.5, y0 + 7);
  }
}

// holdCaps closes a lock hold's bar with a bracket at each end, "[ ]":
// a shape that tells a hold from a thread's work (a plain bar), whatever
// the colours.
export function holdCaps(g, th, x0, y, w, h) {
  if (w < 4) return;
  const c = Math.min(2, w / 4);
  g.fillStyle = th.fg;
  g.fillRect(x0, y, c, h);
  g.fillRect(x0 + w - c, y, c, h);
  g.fillRect(x0, y, 3 * c, 1);
  g.fillRect(x0, y + h - 1, 3 * c, 1);
  g.fillRect(x0 + w - 3 * c, y, 3 * c, 1);
  g.fillRect(x0 + w - 3 * c, y + h - 1, 3 * c, 1);
}

// legendSwatch paints a legend entry with the code that paints the lanes.
export function legendSwatch(canvas, th, what) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 22;
  const h = canvas.clientHeight || 14;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const [type, arg] = what.split(":");
  const y = h / 2;
  if (type === "mark" && arg === "trylock") {
    // Both faces: got the lock (filled), did not (hollow).
    glyph(g, th, { k: "trylock", v: true }, w / 2 - 5, y);
    glyph(g, th, { k: "trylock", v: false }, w / 2 + 5, y);
  } else if (type === "mark") {
    const e = { k: arg, obj: arg === "check" ? "ok" : undefined, v: arg === "cas" ? true : undefined };
    if (arg === "failed") {
      e.k = "check";
      e.obj = "failed";
    }
    glyph(g, th, e, w / 2, arg === "yield" ? y - 3 : y);
  } else if (type === "span") {
    if (arg === "hold") {
      g.fillStyle = th.palette[0];
      g.fillRect(1, 2, w - 2, h - 4);
      holdCaps(g, th, 1, 2, w - 2, h - 4);
    } else if (arg === "work" || arg === "runnable") {
      g.fillStyle = th.k.work;
      g.fillRect(1, 2, w - 2, h - 4);
      if (arg === "runnable") runnableGaps(g, th, [[0.35, 0.65]], (t) => 1 + t * (w - 2), 1, w - 1, 2, h - 4);
    } else {
      g.fillStyle = th.pattern(g, arg);
      g.fillRect(1, 2, w - 2, h - 4);
      g.strokeStyle = th.spanColour(arg);
      g.lineWidth = 1;
      g.strokeRect(1.5, 2.5, w - 3, h - 5);
    }
  } else if (type === "arrow") {
    arrowStyle(g, th, arg, th.palette[0]);
    g.beginPath();
    g.moveTo(1, y);
    g.lineTo(w - 5, y);
    g.stroke();
    g.setLineDash([]);
    arrowHead(g, w - 1, y, 0, arg === "message");
  } else if (type === "merged") {
    // Pixel columns, mostly work, each with the dark foot of a merge.
    const kinds = ["work", "work", "wait", "work", "work", "sleep", "work", "work"];
    for (let x = 1; x < w - 1; x++) {
      g.fillStyle = th.spanColour(kinds[x % kinds.length]);
      g.fillRect(x, 2, 1, h - 4);
    }
    g.fillStyle = th.fg;
    g.fillRect(1, h - 4, w - 2, 2);
  } else if (type === "cut") {
    cutMark(g, th, w / 2, 1, h - 1);
  } else if (type === "flag") {
    flag(g, th, w / 2 - 4, 1, h - 1, "");
  } else if (type === "race") {
    // Two rings joined by an arrow, in the race colour.
    g.strokeStyle = th.race;
    g.fillStyle = th.race;
    g.lineWidth = 2;
    for (const cx of [4.5, w - 4.5]) {
      g.beginPath();
      g.arc(cx, y, 3.5, 0, Math.PI * 2);
      g.stroke();
    }
    g.beginPath();
    g.moveTo(8.5, y);
    g.lineTo(w - 9, y);
    g.stroke();
    arrowHead(g, w - 8, y, 0, false);
  } else if (type === "cycle") {
    g.strokeStyle = th.bad;
    g.fillStyle = th.bad;
    g.lineWidth = 2.5;
    g.beginPath();
    g.arc(w / 2, y, h / 2 - 2.5, 0.3, Math.PI * 1.8);
    g.stroke();
    arrowHead(g, w / 2 + (h / 2 - 2.5) * Math.cos(0.3), y + (h / 2 - 2.5) * Math.sin(0.3), Math.PI * 0.65, false);
  }
}

// arrowStroke is the stroke of one kind of arrow, for the canvas and the
// SVG: spawn solid, join dashed, lock handoff dotted in its mutex's
// colour, message thin solid (with an open head).
export function arrowStroke(th, kind, mutexColour = th.muted) {
  switch (kind) {
    case "spawn": return { colour: th.k.spawn, width: 1.6, dash: [] };
    case "join": return { colour: th.k.join, width: 1.6, dash: [5, 3] };
    case "handoff": return { colour: mutexColour, width: 1.8, dash: [2, 3] };
  }
  return { colour: th.k.chan, width: 1.3, dash: [] };
}

// arrowStyle sets the canvas's stroke (and fill, for heads) to an arrow's.
export function arrowStyle(g, th, kind, mutexColour) {
  const s = arrowStroke(th, kind, mutexColour);
  g.strokeStyle = s.colour;
  g.fillStyle = s.colour;
  g.lineWidth = s.width;
  g.setLineDash(s.dash);
}

export function arrowHead(g, x, y, angle, open) {
  const s = 6;
  const a1 = angle + Math.PI * 0.85;
  const a2 = angle - Math.PI * 0.85;
  g.beginPath();
  g.moveTo(x + Math.cos(a1) * s, y + Math.sin(a1) * s);
  g.lineTo(x, y);
  g.lineTo(x + Math.cos(a2) * s, y + Math.sin(a2) * s);
  if (open) {
    g.setLineDash([]);
    g.stroke();
  } else {
    g.closePath();
    g.fill();
  }
}
