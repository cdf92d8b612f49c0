// The script editor: a textarea with a gutter of line numbers that marks
// errors, the line of the selected event, the line of the hovered one and
// the lines that caused events. A band behind the text shows the marked
// line, since a textarea cannot colour one of its lines. Tab indents;
// Esc then Tab moves on.

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
  }

  lineAt(offset) {
    let n = 1;
    const v = this.text.value;
    for (let i = 0; i < offset && i < v.length; i++) if (v.charCodeAt(i) === 10) n++;
    return n;
  }

  render() {
    const n = this.text.value.split("\n").length;
    this.lines = n;
    const parts = [];
    for (let i = 1; i <= n; i++) {
      const cls = [];
      let title = "";
      if (i === this.errLine) {
        cls.push("err");
        title = this.errMsg;
      }
      if (i === this.marked || this.markedSet?.has(i)) cls.push("mark");
      if (i === this.hovered) cls.push("hover");
      const c = this.counts?.get(i);
      if (c) {
        cls.push("ev");
        title = title || `${c} event${c === 1 ? "" : "s"}: click to highlight them`;
      }
      parts.push(`<span data-line="${i}"${cls.length ? ` class="${cls.join(" ")}"` : ""}${title ? ` title="${title.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)}"` : ""}>${i}</span>`);
    }
    this.gutter.innerHTML = parts.join("");
    this.sync();
  }

  sync() {
    this.gutter.scrollTop = this.text.scrollTop;
    this.place(this.band, this.marked);
    this.place(this.hoverBand, this.hovered);
  }

  lineHeight() {
    return Number.parseFloat(getComputedStyle(this.text).lineHeight) || 19;
  }

  place(band, line) {
    if (!band) return;
    if (!line) {
      band.hidden = true;
      return;
    }
    const pad = Number.parseFloat(getComputedStyle(this.text).paddingTop) || 0;
    band.hidden = false;
    band.style.top = `${pad + (line - 1) * this.lineHeight() - this.text.scrollTop}px`;
    band.style.height = `${this.lineHeight()}px`;
  }

  setError(line, msg = "") {
    this.errLine = line || 0;
    this.errMsg = msg;
    this.render();
    if (line) this.reveal(line);
  }

  // mark shows one line as the cause of the selected event: the gutter
  // number, a band behind the text, the line selected in the textarea, and
  // scrolled into view.
  mark(line, more = null) {
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
    for (let i = 1; i < this.marked && start >= 0; i++) start = v.indexOf("\n", start) + 1;
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
    const lh = this.lineHeight();
    const top = (line - 1) * lh;
    const st = this.text.scrollTop;
    const h = this.text.clientHeight;
    if (top < st || top + lh > st + h) this.text.scrollTop = Math.max(0, top - h / 3);
    this.sync();
  }

  // setCounts marks the lines that caused events.
  setCounts(counts) {
    this.counts = counts;
    this.render();
  }
}
