// The event log: the timeline's accessible twin, an HTML table of every
// event, filterable by thread, kind and script line. Only the rows in
// view exist in the DOM (the table is virtualized), so a run of hundreds
// of thousands of events scrolls as easily as one of ten. The rows are
// one Tab stop (a roving tabindex): the arrow keys, Page Up and Down, Home
// and End move between them, and a redraw keeps the focus on its row.

import { fmtTime, fmtValue, KIND_GROUPS, KINDS, isProblem } from "./format.js";

const ROW_H = 26; // must match .log td height in style.css
const NUM = new Intl.NumberFormat();
const OVERSCAN = 8;

// A text symbol per kind, matching the shape drawn on the timeline.
const SYMBOL = {
  get: "○", set: "■", add: "▲", cas: "◆", swap: "▼", print: "¶", spawn: "+", start: "⊢", end: "⊣",
  cutoff: "✂", panic: "!", close: "⊘", trylock: "□", yield: "ˇ",
  lock: "⋯", join: "⋯", send: "⋯", recv: "⋯", sleep: "⋯", work: "⋯",
  acquired: "▶", joined: "▶", sent: "▶", received: "▶", wake: "▶", worked: "▶", unlock: "◀",
};

export class EventLog {
  constructor(root, trace, hooks = {}) {
    this.root = root;
    this.trace = trace;
    this.hooks = hooks;
    this.scroller = root.querySelector(".log");
    this.table = root.querySelector("table");
    this.tbody = root.querySelector("tbody");
    this.threadSel = root.querySelector('[data-testid="log-thread"]');
    this.kindSel = root.querySelector('[data-testid="log-kind"]');
    this.lineIn = root.querySelector('[data-testid="log-line"]');
    this.countEl = root.querySelector('[data-testid="log-count"]');
    this.rows = [];
    this.scanned = 0;
    this.threadsShown = -1;
    this.filter = { th: null, kinds: null, problems: false, line: 0 };
    this.selectedSeq = null;
    this.cursor = null; // the seq of the row that is the Tab stop
    this.tail = true;
    this.queued = false;
    this.fillKinds();
    const refilter = () => {
      this.readFilter();
      this.refilter();
    };
    this.threadSel.addEventListener("change", refilter);
    this.kindSel.addEventListener("change", refilter);
    this.lineIn.addEventListener("input", refilter);
    this.scroller.addEventListener("scroll", () => {
      const s = this.scroller;
      this.tail = s.scrollTop + s.clientHeight >= s.scrollHeight - ROW_H;
      this.invalidate();
    }, { passive: true });
    this.tbody.addEventListener("click", (e) => {
      const tr = e.target.closest("tr[data-seq]");
      if (tr) this.hooks.onSelect?.(Number(tr.dataset.seq));
    });
    this.tbody.addEventListener("focusin", (e) => {
      const tr = e.target.closest("tr[data-seq]");
      if (tr) this.cursor = Number(tr.dataset.seq);
    });
    this.tbody.addEventListener("keydown", (e) => {
      const tr = e.target.closest("tr[data-seq]");
      if (!tr || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.hooks.onSelect?.(Number(tr.dataset.seq));
        return;
      }
      const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_H) - 2);
      const by = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity }[e.key];
      if (by === undefined) return;
      e.preventDefault();
      this.moveTo(this.indexOf(Number(tr.dataset.seq)) + by);
    });
  }

  // moveTo makes row i (clamped) the Tab stop, scrolls to it and focuses it.
  moveTo(i) {
    const n = this.rows.length;
    if (!n) return;
    i = Math.max(0, Math.min(n - 1, i));
    this.cursor = this.trace.events.at(this.rows[i]).seq;
    this.tail = false;
    const s = this.scroller;
    const y = i * ROW_H;
    const head = ROW_H; // the sticky header row
    if (y < s.scrollTop) s.scrollTop = y;
    else if (y + ROW_H + head > s.scrollTop + s.clientHeight) s.scrollTop = y + ROW_H + head - s.clientHeight;
    this.render();
    this.focus();
  }

  // focus puts the focus on the rows' Tab stop, or on the table's scroller
  // while there are no rows: never on the page's body.
  focus() {
    if (!this.root.hidden) this.render();
    const tr = this.tbody.querySelector('tr[tabindex="0"]');
    (tr || this.scroller).focus({ preventScroll: true });
  }

  // indexOf is the index among the shown rows of the event seq, or of
  // the first one after it.
  indexOf(seq) {
    const ev = this.trace.events;
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqAt(ev, this.rows[mid]) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  fillKinds() {
    const sel = this.kindSel;
    sel.textContent = "";
    sel.add(new Option("all kinds", ""));
    const groups = document.createElement("optgroup");
    groups.label = "Groups";
    groups.appendChild(new Option("problems (failed checks, panics, cut-offs)", "problems"));
    for (const g of KIND_GROUPS) groups.appendChild(new Option(g.label, `group:${g.id}`));
    sel.appendChild(groups);
    const kinds = document.createElement("optgroup");
    kinds.label = "Kinds";
    for (const k of KINDS) kinds.appendChild(new Option(k, `kind:${k}`));
    sel.appendChild(kinds);
  }

  readFilter() {
    const th = this.threadSel.value;
    const kind = this.kindSel.value;
    const f = { th: th === "" ? null : Number(th), kinds: null, problems: false, line: Number(this.lineIn.value) || 0 };
    if (kind === "problems") f.problems = true;
    else if (kind.startsWith("group:")) f.kinds = new Set(KIND_GROUPS.find((g) => g.id === kind.slice(6))?.kinds || []);
    else if (kind.startsWith("kind:")) f.kinds = new Set([kind.slice(5)]);
    this.filter = f;
  }

  // setLine filters the log to one script line (0 for any), as a click on
  // the script's gutter does.
  setLine(n) {
    this.lineIn.value = n ? String(n) : "";
    this.readFilter();
    this.refilter();
  }

  matches(e) {
    const f = this.filter;
    if (f.th !== null && e.th !== f.th) return false;
    if (f.kinds && !f.kinds.has(e.k)) return false;
    if (f.problems && !(isProblem(e) || e.k === "cutoff")) return false;
    if (f.line && e.line !== f.line) return false;
    return true;
  }

  reset() {
    this.rows = [];
    this.scanned = 0;
    this.selectedSeq = null;
    this.cursor = null;
    this.tail = true;
    this.threadsShown = -1;
    this.scroller.scrollTop = 0;
    this.invalidate();
  }

  refilter() {
    this.rows = [];
    this.scanned = 0;
    this.sync();
  }

  // sync takes the events that arrived since the last call.
  sync() {
    const ev = this.trace.events;
    const f = this.filter;
    const all = f.th === null && !f.kinds && !f.problems && !f.line;
    // Unfiltered, every event is a row: no need to look at them.
    for (let i = this.scanned; i < ev.length; i++) if (all || this.matches(ev.at(i))) this.rows.push(i);
    this.scanned = ev.length;
    if (this.threadsShown !== this.trace.lanes.length || this.trace.result) this.fillThreads();
    this.invalidate();
  }

  fillThreads() {
    const sel = this.threadSel;
    const keep = sel.value;
    sel.textContent = "";
    sel.add(new Option("all threads", ""));
    for (const l of this.trace.lanes) sel.add(new Option(`${l.name} (#${l.id})`, String(l.id)));
    sel.value = keep;
    if (sel.value !== keep) sel.value = "";
    this.threadsShown = this.trace.lanes.length;
  }

  invalidate() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  render() {
    const total = this.trace.events.length;
    const n = this.rows.length;
    this.root.dataset.rows = String(n);
    if (this.root.hidden) return;
    const count = n === total ? `${NUM.format(n)} events` : `${NUM.format(n)} of ${NUM.format(total)} events`;
    if (this.countEl.textContent !== count) this.countEl.textContent = count;
    this.table.setAttribute("aria-rowcount", String(n + 1));
    const s = this.scroller;
    const view = Math.max(ROW_H * 4, s.clientHeight);
    if (this.tail && this.trace.running) s.scrollTop = Math.max(0, n * ROW_H - view + ROW_H);
    const first = Math.max(0, Math.floor(s.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(n, Math.ceil((s.scrollTop + view) / ROW_H) + OVERSCAN);
    const body = this.tbody;
    const frag = document.createDocumentFragment();
    const pad = (h) => {
      const tr = document.createElement("tr");
      tr.className = "spacer";
      tr.setAttribute("aria-hidden", "true");
      tr.style.height = `${h}px`;
      return tr;
    };
    frag.appendChild(pad(first * ROW_H));
    const ev = this.trace.events;
    // The Tab stop: the cursor's row if it is drawn, else the first drawn.
    const at = this.cursor === null ? -1 : this.indexOf(this.cursor);
    const stop = at >= first && at < last && seqAt(ev, this.rows[at]) === this.cursor ? at : first;
    for (let i = first; i < last; i++) frag.appendChild(this.row(ev.at(this.rows[i]), i, i === stop));
    frag.appendChild(pad((n - last) * ROW_H));
    const focused = body.contains(document.activeElement);
    body.replaceChildren(frag);
    if (focused) (body.querySelector('tr[tabindex="0"]') || this.scroller).focus({ preventScroll: true });
    this.root.dataset.rendered = String(last - first);
  }

  row(e, i, stop) {
    const tr = document.createElement("tr");
    tr.dataset.seq = e.seq;
    tr.dataset.kind = e.k;
    tr.dataset.thread = e.th;
    tr.tabIndex = stop ? 0 : -1;
    tr.setAttribute("aria-rowindex", String(i + 2));
    if (e.seq === this.selectedSeq) tr.setAttribute("aria-selected", "true");
    const bad = isProblem(e) || e.k === "cutoff";
    if (bad) tr.className = "bad";
    const name = this.trace.threads.get(e.th)?.name ?? e.th;
    let sym = SYMBOL[e.k] || "";
    if (e.k === "check") sym = e.obj === "failed" ? "✗" : "✓";
    const kind = sym ? `${sym} ${e.k}` : e.k;
    let value = e.v === undefined ? "" : fmtValue(e.v);
    if (e.k === "check") value = `${e.obj === "failed" ? "failed" : "held"}: ${e.v ?? ""}`;
    const obj = e.k === "check" ? "" : e.obj ?? "";
    for (const v of [e.seq, fmtTime(e.t), name, kind, obj, value, e.line ?? ""]) {
      tr.insertCell().textContent = v;
    }
    return tr;
  }

  // reveal scrolls to an event's row and marks it selected.
  reveal(seq) {
    this.selectedSeq = seq;
    this.cursor = seq;
    const ev = this.trace.events;
    const lo = this.indexOf(seq);
    if (lo < this.rows.length && seqAt(ev, this.rows[lo]) === seq) {
      const s = this.scroller;
      const y = lo * ROW_H;
      if (y < s.scrollTop || y > s.scrollTop + s.clientHeight - 2 * ROW_H) s.scrollTop = Math.max(0, y - s.clientHeight / 3);
      this.tail = false;
    }
    this.invalidate();
  }
}

// seqAt is the seq of event i of the run's events: a column of the
// timeline's EventStore, or a field of an array's object.
function seqAt(ev, i) {
  return ev.cols ? ev.seq[i] : ev[i].seq;
}
