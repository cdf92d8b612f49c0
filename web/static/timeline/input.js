// Input: mouse, touch and pen on the timeline's canvas (bind), and the
// page's keyboard shortcuts (bindKeys). Gestures become view changes
// and selections on the Timeline; nothing is drawn here.

import { pick, showTip, hideTip } from "./hit.js";
import { eventBySeq } from "./search.js";

// bind listens to the canvas: drag and pinch pan and zoom, a click
// selects, hovering shows a tooltip; the wheel zooms (shift pans); and
// resizing, scrolling or a new colour scheme redraw.
export function bind(tl) {
  const c = tl.canvas;
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
      drag = { x, y, t0: tl.view.t0, t1: tl.view.t1, moved: false };
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
      if (d > 0 && pinch.d > 0) tl.zoomAt((a[0] + b[0]) / 2, pinch.d / d, true);
      pinch.d = d;
      return;
    }
    if (drag && pointers.has(ev.pointerId)) {
      const dx = x - drag.x;
      if (!drag.moved && Math.abs(dx) < 4) return;
      drag.moved = true;
      const dt = (dx / tl.W) * (drag.t1 - drag.t0);
      tl.view.t0 = drag.t0 - dt;
      tl.view.t1 = drag.t1 - dt;
      tl.view.follow = false;
      hideTip(tl);
      c.classList.add("dragging");
      tl.invalidate();
      return;
    }
    onHover(tl, x, y, ev);
  });
  const up = (ev) => {
    const had = pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    c.classList.remove("dragging");
    if (had && drag && !drag.moved && ev.type === "pointerup") {
      const [x, y] = local(ev);
      onClick(tl, x, y);
    }
    if (pointers.size === 0) drag = null;
  };
  c.addEventListener("pointerup", up);
  c.addEventListener("pointercancel", up);
  c.addEventListener("pointerleave", () => {
    if (tl.hover) {
      tl.hover = null;
      tl.hooks.onHover?.(null);
      tl.invalidate();
    }
    hideTip(tl);
  });
  c.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [x] = local(ev);
    const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
    const dx = ev.deltaX * unit;
    const dy = ev.deltaY * unit;
    if (ev.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      tl.panBy(ev.shiftKey && !dx ? dy : dx);
      return;
    }
    // Pinch on a touchpad arrives as a wheel with ctrlKey set.
    const f = Math.exp(dy * (ev.ctrlKey ? 0.01 : 0.0018));
    tl.zoomAt(x, f, true);
  }, { passive: false });
  tl.scroll.addEventListener("scroll", () => tl.invalidate(), { passive: true });
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => tl.invalidate()).observe(tl.scroll);
  const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
  mq?.addEventListener?.("change", () => tl.retheme());
}

function onHover(tl, x, y, ev) {
  const hit = pick(tl, x, y);
  const e = hit?.e ?? null;
  // Events and spans are made afresh by each pick: compare their seqs.
  const key = (h) => (h?.e ? `e${h.e.seq}` : h?.span ? `s${h.span.seq0}` : null);
  const prev = key(tl.hover);
  const now = key(hit);
  tl.hover = hit && (hit.e || hit.span || hit.seg || hit.cpu) ? hit : null;
  if (hit && (hit.e || hit.span || hit.seg || hit.cpu)) showTip(tl, hit, ev.clientX, ev.clientY);
  else hideTip(tl);
  tl.canvas.style.cursor = now ? "pointer" : "";
  if (prev !== now) {
    tl.hooks.onHover?.(e ?? (hit?.span ? { line: hit.span.line } : null));
    tl.invalidate();
  }
}

function onClick(tl, x, y) {
  const hit = pick(tl, x, y);
  if (hit?.e) tl.select(hit.e, null, "canvas");
  else if (hit?.span) tl.select(eventBySeq(tl.trace.events, hit.span.seq0) || null, hit.span, "canvas");
  else tl.select(null, null, "canvas");
}

// bindKeys calls the action bound to a key: keys maps a key (a
// lower-case letter or a name like "ArrowLeft") to f(event). Ctrl+Enter
// and Escape work anywhere, in text fields too: keys["ctrl+Enter"] and
// keys.Escape (called with typing: whether the focus is in a text field).
// The other keys act only while the focus is in scope (the timeline), so
// that a letter typed on a button or a tab does nothing (WCAG 2.1.4), and
// character keys only while letters() is true (the page's switch); named
// keys (arrows, Home, End) are the focused timeline's own and always work.
export function bindKeys(keys, { scope = null, letters = () => true, target = document } = {}) {
  target.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      keys["ctrl+Enter"]?.(e);
      return;
    }
    const t = e.target;
    const typing = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (e.key === "Escape") {
      keys.Escape?.(e, typing);
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    if (scope && !(t instanceof Node && scope.contains(t))) return;
    if (e.key.length === 1 && !letters()) return;
    const act = keys[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (act) {
      e.preventDefault();
      act(e);
    }
  });
}
