// The script editor: a textarea with a gutter of line numbers that marks
// errors, the line of the selected event, the line of the hovered one and
// the lines that caused events. A band behind the text shows the marked
// line, since a textarea cannot colour one of its lines. Tab indents;
// Esc then Tab moves on.
//
// The metadata at the top of a scenario (docstring, params, the Rust
// listing) can be folded: its lines leave the textarea for a bar that
// unfolds them. Folding is display only: source is always the whole
// script, and line numbers (gutter, marks, errors) are the script's.

import { metadataEnd, mainLine } from "./outline.js";

export class Editor {
  constructor(pane) {
    this.pane = pane;
    this.text = pane.querySelector("textarea");
    this.gutter = pane.querySelector(".gutter");
    this.band = pane.querySelector(".line-band");
    this.hoverBand = pane.querySelector(".line-band.hover");
    if (this.hoverBand === this.band) this.band = pane.querySelector(".line-band:not(.hover)");
    this.errLine = 0;
    this.errMsg = "";
    this.marked = 0;
    this.markedSet = null; // more lines marked with it: a race's
    this.hovered = 0;
    this.counts = null;
    this.onLine = null;
    this.lines = 0;
    this.stepLines = new Map(); // line -> [{th, name, colour}]: a step cursor's
    this.stepBands = [];
    this.picks = new Map(); // line -> {ths, title}: at a You schedule choice, the lines a click picks a thread at
    this.head = ""; // the folded lines, each with its newline
    this.off = 0; // how many lines are folded
    this.foldBar = document.createElement("button");
    this.foldBar.type = "button";
    this.foldBar.className = "fold-bar";
    this.foldBar.dataset.testid = "fold";
    this.foldBar.hidden = true;
    this.foldBar.addEventListener("click", () => (this.off ? this.unfold() : this.fold()));
    pane.prepend(this.foldBar);
    this.text.addEventListener("input", () => {
      this.errLine = 0;
      this.render();
    });
    this.text.addEventListener("scroll", () => this.sync());
    // Tab indents; Esc then Tab leaves the script (listed under the lanes),
    // so that a keyboard can go on past the editor (WCAG 2.1.2).
    let escaped = false;
    this.text.addEventListener("keydown", (e) => {
      const leave = escaped;
      escaped = e.key === "Escape";
      if (e.key === "Tab" && !leave && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        this.text.setRangeText("    ", this.text.selectionStart, this.text.selectionEnd, "end");
        this.render();
      }
    });
    this.gutter.addEventListener("click", (e) => {
      const el = e.target.closest("[data-line]");
      if (el) this.onLine?.(Number(el.dataset.line), "gutter");
    });
    // A click in the text highlights the events of the clicked line too.
    this.text.addEventListener("mouseup", () => {
      if (this.text.selectionStart !== this.text.selectionEnd) return;
      this.onLine?.(this.lineAt(this.text.selectionStart), "text");
    });
    this.render();
    this.fold();
    this.openAtMain();
  }

  // source is the whole script, folded lines included.
  get source() {
    return this.head + this.text.value;
  }

  // setSource puts a script in the editor, folded and opened at main.
  setSource(src) {
    this.head = "";
    this.off = 0;
    this.text.value = src;
    this.fold();
    this.openAtMain();
  }

  // fold hides the metadata at the top, if the script starts with any.
  fold() {
    const src = this.source;
    const lines = src.split("\n");
    let end = metadataEnd(src);
    // The blank lines after the metadata go with it: the code starts the view.
    while (end > 0 && end < lines.length - 1 && lines[end].trim() === "") end++;
    if (end <= 0 || end >= lines.length) {
      this.showBar();
      return;
    }
    const top = this.text.scrollTop;
    this.head = lines.slice(0, end).join("\n") + "\n";
    this.off = end;
    this.text.value = lines.slice(end).join("\n");
    this.text.scrollTop = Math.max(0, top - end * this.lineHeight());
    this.showBar();
    this.render();
  }

  // unfold puts the folded lines back in the textarea, the view kept.
  unfold() {
    if (!this.off) return;
    const top = this.text.scrollTop + this.off * this.lineHeight();
    const start = this.text.selectionStart + this.head.length;
    const end = this.text.selectionEnd + this.head.length;
    this.text.value = this.source;
    this.head = "";
    this.off = 0;
    this.text.setSelectionRange(start, end);
    this.text.scrollTop = top;
    this.showBar();
    this.render();
  }

  showBar() {
    const end = this.off || metadataEnd(this.source);
    this.foldBar.hidden = end <= 0;
    this.pane.classList.toggle("folded", this.off > 0);
    this.pane.dataset.folded = String(this.off);
    this.foldBar.setAttribute("aria-expanded", String(this.off === 0));
    this.foldBar.textContent = this.off
      ? `▸ Lines 1–${this.off}: docstring, params, Rust listing (folded; click to show)`
      : `▾ Lines 1–${end}: docstring, params, Rust listing (click to fold)`;
  }

  // openAtMain scrolls the script so that def main is its first line.
  openAtMain() {
    const main = mainLine(this.source) - this.off;
    if (main > 0) this.text.scrollTop = (main - 1) * this.lineHeight();
    this.sync();
  }

  // local is a script line's line in the textarea (below 1: folded).
  local(line) {
    return line - this.off;
  }

  lineAt(offset) {
    let n = 1 + this.off;
    const v = this.text.value;
    for (let i = 0; i < offset && i < v.length; i++) if (v.charCodeAt(i) === 10) n++;
    return n;
  }

  render() {
    const n = this.text.value.split("\n").length;
    this.lines = n;
    const parts = [];
    for (let k = 1; k <= n; k++) {
      const i = k + this.off;
      const cls = [];
      let title = "";
      if (i === this.errLine) {
        cls.push("err");
        title = this.errMsg;
      }
      if (i === this.marked || this.markedSet?.has(i)) cls.push("mark");
      if (i === this.hovered) cls.push("hover");
      const pick = this.picks.get(i);
      if (pick) {
        cls.push("pick");
        title = title || pick.title;
      }
      const at = this.stepLines.get(i);
      if (at) {
        cls.push("step");
        title = title || at.map((x) => `${x.name} is here`).join("; ");
      }
      const c = this.counts?.get(i);
      if (c) {
        cls.push("ev");
        title = title || `${c} event${c === 1 ? "" : "s"}: click to highlight them`;
      }
      const style = at ? ` style="--th: ${at[0].colour}"` : "";
      const ths = pick ? ` data-pick="${pick.ths.join(" ")}"` : "";
      parts.push(`<span data-line="${i}"${ths}${style}${cls.length ? ` class="${cls.join(" ")}"` : ""}${title ? ` title="${title.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)}"` : ""}>${i}</span>`);
    }
    this.gutter.innerHTML = parts.join("");
    this.sync();
  }

  sync() {
    this.gutter.scrollTop = this.text.scrollTop;
    this.place(this.band, this.marked);
    this.place(this.hoverBand, this.hovered);
    for (const b of this.stepBands) this.place(b, Number(b.dataset.line));
  }

  lineHeight() {
    return Number.parseFloat(getComputedStyle(this.text).lineHeight) || 19;
  }

  place(band, line) {
    if (!band) return;
    line = line ? this.local(line) : 0;
    if (line < 1) {
      band.hidden = true;
      return;
    }
    const pad = Number.parseFloat(getComputedStyle(this.text).paddingTop) || 0;
    band.hidden = false;
    band.style.top = `${pad + (line - 1) * this.lineHeight() - this.text.scrollTop}px`;
    band.style.height = `${this.lineHeight()}px`;
  }

  setError(line, msg = "") {
    if (line && this.local(line) < 1) this.unfold();
    this.errLine = line || 0;
    this.errMsg = msg;
    this.render();
    if (line) this.reveal(line);
  }

  // mark shows one line as the cause of the selected event: the gutter
  // number, a band behind the text, the line selected in the textarea, and
  // scrolled into view.
  mark(line, more = null) {
    if (line && this.local(line) < 1) this.unfold();
    this.marked = line || 0;
    this.markedSet = more && this.marked ? new Set(more) : null;
    if (this.marked) this.pane.dataset.markedLine = String(this.marked);
    else delete this.pane.dataset.markedLine;
    if (this.markedSet) this.pane.dataset.markedLines = [...this.markedSet].join(" ");
    else delete this.pane.dataset.markedLines;
    this.render();
    if (!this.marked) return;
    const v = this.text.value;
    let start = 0;
    for (let i = 1; i < this.local(this.marked) && start >= 0; i++) start = v.indexOf("\n", start) + 1;
    let end = v.indexOf("\n", start);
    if (end < 0) end = v.length;
    if (document.activeElement !== this.text) this.text.setSelectionRange(start, end);
    this.reveal(this.marked);
  }

  // markLines marks the lines of one finding (a race's accesses): the
  // first as mark does, the others in the gutter.
  markLines(lines) {
    this.mark(lines[0] || 0, lines);
  }

  hover(line) {
    if ((line || 0) === this.hovered) return;
    this.hovered = line || 0;
    for (const el of this.gutter.querySelectorAll(".hover")) el.classList.remove("hover");
    if (this.hovered) this.gutter.querySelector(`[data-line="${this.hovered}"]`)?.classList.add("hover");
    this.place(this.hoverBand, this.hovered);
  }

  reveal(line) {
    line = this.local(line);
    if (line < 1) return;
    const lh = this.lineHeight();
    const top = (line - 1) * lh;
    const st = this.text.scrollTop;
    const h = this.text.clientHeight;
    if (top < st || top + lh > st + h) this.text.scrollTop = Math.max(0, top - h / 3);
    this.sync();
  }

  // threadLines marks each thread's current line at a step cursor, a
  // colour per thread: at is [{th, name, colour, line}] ([] clears).
  // Threads on one line share its band, striped in their colours.
  threadLines(at) {
    this.stepLines = new Map();
    for (const x of at) {
      if (!x.line) continue;
      if (!this.stepLines.has(x.line)) this.stepLines.set(x.line, []);
      this.stepLines.get(x.line).push(x);
    }
    const code = this.band?.parentElement;
    for (const b of this.stepBands) b.remove();
    this.stepBands = [];
    for (const [line, xs] of this.stepLines) {
      if (!code) break;
      const b = document.createElement("div");
      b.className = "line-band step";
      b.dataset.line = String(line);
      b.dataset.threads = xs.map((x) => x.th).join(" ");
      const stops = xs.map((x, k) => `${x.colour} ${(k * 100) / xs.length}% ${((k + 1) * 100) / xs.length}%`).join(", ");
      b.style.setProperty("--th", xs[0].colour);
      b.style.setProperty("--ths", `linear-gradient(${stops})`);
      b.title = xs.map((x) => x.name).join(", ");
      code.insertBefore(b, this.text);
      this.stepBands.push(b);
    }
    const attr = at.filter((x) => x.line).map((x) => `${x.th}:${x.line}`).join(" ");
    if (attr) this.pane.dataset.threadLines = attr;
    else delete this.pane.dataset.threadLines;
    this.render();
  }

  // pickLines marks the lines a click on which picks a thread, at a
  // choice of You schedule: at is Map(line -> {ths, title}), ths the
  // threads whose next line it is, the one a click picks first (an
  // empty map clears them).
  pickLines(at) {
    if (!this.picks.size && !at.size) return;
    this.picks = at;
    this.render();
  }

  // setCounts marks the lines that caused events.
  setCounts(counts) {
    this.counts = counts;
    this.render();
  }
}
