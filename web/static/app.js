// Interleave's page script: runs a scenario over the WebSocket and shows
// its events live, one lane per thread. No dependencies. The modules:
//   model.js     events folded into lanes, spans and arrows
//   timeline.js  the canvas renderer and its zoom, pan, hover and click
//   glyphs.js    shapes and colours shared by the lanes and the legend
//   log.js       the event log table, the timeline's accessible twin
//   editor.js    the script with line numbers and marked lines
// What the page draws from is exposed as window.interleave for tests,
// benchmarks and curious students.

import { Trace } from "./model.js";
import { Timeline } from "./timeline.js";
import { EventLog } from "./log.js";
import { Editor } from "./editor.js";
import { fmtTime, esc, describe } from "./format.js";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// Menu toggle for narrow screens, on every page.
const menu = $('[data-testid="menu"]');
if (menu) {
  menu.addEventListener("click", () => {
    const open = document.body.classList.toggle("nav-open");
    menu.setAttribute("aria-expanded", String(open));
  });
}

const page = $('[data-testid="scenario"]');
if (page) scenarioPage(page);

function scenarioPage(root) {
  const data = JSON.parse($("#page-data").textContent);
  const runBtn = $('[data-testid="run"]', root);
  const stopBtn = $('[data-testid="stop"]', root);
  const shareBtn = $('[data-testid="share"]', root);
  const statusEl = $('[data-testid="status"]', root);
  const summaryEl = $('[data-testid="summary"]', root);
  const resultEl = $('[data-testid="result"]', root);
  const counts = $('[data-testid="counts"]', root);
  const banner = $('[data-testid="cycle-banner"]', root);
  const findings = $('[data-testid="findings"]', root);
  const selection = $('[data-testid="selection"]', root);
  const lineChip = $('[data-testid="line-chip"]', root);
  const groupBox = $('[data-testid="group-os"]', root);
  const cpuBox = $('[data-testid="show-cpu"]', root);
  const followBtn = $('[data-testid="follow"]', root);
  const wrap = $(".timeline-wrap", root);

  const trace = new Trace();
  const editor = new Editor($('[data-testid="editor-pane"]', root));
  const hooks = {
    onSelect(e, span) {
      const line = e?.line ?? span?.line ?? 0;
      editor.mark(line);
      if (e) log.reveal(e.seq);
      if (e) {
        const name = trace.threads.get(e.th)?.name ?? e.th;
        selection.textContent = `Selected: ${name} ${describe(e)}, at ${fmtTime(e.t)}${line ? `, line ${line}` : ""}.`;
      } else selection.textContent = "";
    },
    onHover(e) {
      editor.hover(e?.line ?? 0);
    },
    // After each frame: the follow button shows whether the view follows
    // the live edge of a running run.
    onDrawn() {
      const pressed = String(!!timeline.view.follow && trace.running);
      if (followBtn.getAttribute("aria-pressed") !== pressed) followBtn.setAttribute("aria-pressed", pressed);
    },
  };
  const timeline = new Timeline($('[data-testid="timeline"]', root), trace, hooks);
  const log = new EventLog($('[data-testid="event-log"]', root), trace, {
    onSelect(seq) {
      const e = timeline.eventBySeq(seq);
      if (!e) return;
      timeline.select(e, null, "log");
      timeline.reveal(e);
    },
  });
  timeline.paintLegend(root);

  editor.onLine = (n) => {
    const c = timeline.highlightLine(n);
    showLineChip(n, c);
  };
  function showLineChip(n, c) {
    if (!n) {
      lineChip.hidden = true;
      return;
    }
    lineChip.hidden = false;
    $(".chip-text", lineChip).textContent = `Line ${n}: ${c} event${c === 1 ? "" : "s"} ringed`;
  }
  $(".chip-clear", lineChip).addEventListener("click", () => {
    timeline.highlightLine(0);
    showLineChip(0);
  });
  $(".chip-log", lineChip).addEventListener("click", () => {
    log.setLine(timeline.hlLine);
    showView("log");
  });

  // ---- tabs ----
  function showTab(name) {
    $$("[data-tab]", root).forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    $$("[data-panel]", root).forEach((p) => { p.hidden = p.dataset.panel !== name; });
  }
  $$("[data-tab]", root).forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  function showView(name) {
    $$("[data-view]", root).forEach((x) => x.setAttribute("aria-selected", String(x.dataset.view === name)));
    $$("[data-view-panel]", root).forEach((p) => { p.hidden = p.dataset.viewPanel !== name; });
    wrap.dataset.view = name;
    if (name === "log") log.sync();
    else timeline.invalidate();
  }
  $$("[data-view]", root).forEach((b) => b.addEventListener("click", () => showView(b.dataset.view)));

  // ---- timeline controls ----
  const on = (id, f) => $(`[data-testid="${id}"]`, root)?.addEventListener("click", f);
  on("zoom-in", () => timeline.zoomIn());
  on("zoom-out", () => timeline.zoomOut());
  on("fit", () => timeline.fit());
  on("follow", () => timeline.followLive());
  on("fullscreen", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else wrap.requestFullscreen?.().catch(() => {});
  });
  groupBox.addEventListener("change", () => timeline.setGroup(groupBox.checked ? "os" : "thread"));
  cpuBox.addEventListener("change", () => timeline.setCPU(cpuBox.checked));
  function syncOSControls() {
    const has = trace.hasOS;
    groupBox.disabled = !has;
    cpuBox.disabled = !trace.hasCPU;
    const why = has ? "" : "Only os and green runs record OS threads and CPUs.";
    groupBox.closest("label").title = why || "One lane per OS thread: see which thread ran where (G)";
    cpuBox.closest("label").title = why || "A strip under each lane with the CPU it ran on (C)";
    if (!has && groupBox.checked) {
      groupBox.checked = false;
      timeline.setGroup("thread");
    }
  }

  // ---- settings and URL state ----
  function mode() {
    const m = $('input[name="mode"]:checked', root);
    return m ? m.value : "os";
  }
  function params() {
    const out = {};
    $$("[data-param]", root).forEach((el) => {
      const t = el.dataset.type;
      if (t === "bool") out[el.dataset.param] = el.checked;
      else if (t === "int") out[el.dataset.param] = el.value === "" ? null : Number.parseInt(el.value, 10);
      else if (t === "float") out[el.dataset.param] = el.value === "" ? null : Number.parseFloat(el.value);
      else out[el.dataset.param] = el.value;
    });
    return out;
  }
  function syncOptions() {
    const m = mode();
    $$(".opt", root).forEach((l) => { l.hidden = l.dataset.for !== m; });
  }
  function url() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params())) if (v !== null) q.set(k, String(v));
    q.set("mode", mode());
    if (mode() === "green") q.set("procs", $('[name="procs"]', root).value);
    if (mode() === "sim") q.set("seed", $('[name="seed"]', root).value);
    return `${location.pathname}?${q}`;
  }
  $(".controls", root).addEventListener("change", onSettings);
  $('[data-testid="params"]', root).addEventListener("change", onSettings);
  function onSettings() {
    syncOptions();
    history.replaceState(null, "", url());
  }
  syncOptions();
  shareBtn.addEventListener("click", async () => {
    const link = new URL(url(), location.href).href;
    let said = "Link copied";
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      said = "Copy this link: " + link;
    }
    shareBtn.dataset.link = link;
    shareBtn.textContent = "Copied";
    shareBtn.title = said;
    setTimeout(() => { shareBtn.textContent = "Share"; }, 1500);
  });

  // ---- socket ----
  let ws = null;
  let pending = null;
  function socket() {
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return ws;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/ws`);
    ws.addEventListener("open", () => {
      if (pending) { ws.send(JSON.stringify(pending)); pending = null; }
    });
    ws.addEventListener("message", (e) => onMessage(JSON.parse(e.data)));
    ws.addEventListener("close", () => {
      if (trace.running) finish({ status: "error", message: "The connection to the server was lost." });
    });
    return ws;
  }
  function send(msg) {
    const s = socket();
    if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify(msg));
    else pending = msg;
  }

  function run() {
    const m = mode();
    reset({ mode: m });
    trace.running = true;
    timeline.stats.runAt = performance.now();
    setStatus("starting");
    summaryEl.textContent = "Starting…";
    runBtn.disabled = true;
    stopBtn.disabled = false;
    const msg = { type: "run", params: params(), mode: m, scenario: data.id };
    if (editor.text.value !== data.source) msg.source = editor.text.value;
    if (msg.mode === "green") msg.procs = Number.parseInt($('[name="procs"]', root).value, 10) || 2;
    if (msg.mode === "sim") msg.seed = Number.parseInt($('[name="seed"]', root).value, 10) || 0;
    send(msg);
  }
  function stop() {
    if (trace.running) send({ type: "stop" });
  }
  runBtn.addEventListener("click", run);
  stopBtn.addEventListener("click", stop);

  function onMessage(m) {
    switch (m.type) {
      case "queued":
        setStatus("queued");
        summaryEl.textContent = `Waiting for a free slot: position ${m.position} in the queue.`;
        break;
      case "started":
        setStatus("running");
        summaryEl.textContent = "Running…";
        if (m.mode) trace.mode = m.mode;
        break;
      case "events":
        feed(m.events);
        break;
      case "end":
        finish(m.result);
        break;
      case "error":
        if (trace.running) finish({ status: "error", message: m.message });
        else summaryEl.textContent = m.message;
        break;
    }
  }

  // ---- model ----
  let countsTimer = 0;
  let shownLines = 0;
  const NUM = new Intl.NumberFormat();
  function reset(meta = {}) {
    trace.reset(meta);
    timeline.reset();
    log.reset();
    editor.setError(0);
    editor.mark(0);
    editor.setCounts(null);
    shownLines = 0;
    timeline.highlightLine(0);
    showLineChip(0);
    selection.textContent = "";
    banner.hidden = true;
    banner.textContent = "";
    findings.hidden = true;
    findings.textContent = "";
    resultEl.querySelectorAll(".detail").forEach((n) => n.remove());
    syncOSControls();
    updateCounts();
  }
  function feed(events) {
    if (!events || !events.length) return;
    const first = !timeline.stats.firstEventAt;
    if (first) timeline.stats.firstEventAt = performance.now();
    trace.addAll(events);
    // The first events are drawn at once, not at the next frame: that is
    // the moment a person waits for after pressing Run.
    if (first) timeline.drawNow();
    else timeline.invalidate();
    log.sync();
    if (!countsTimer) {
      countsTimer = setTimeout(() => {
        countsTimer = 0;
        updateCounts();
        // The gutter's dots change only when a new line causes events.
        if (trace.lines.size !== shownLines) {
          shownLines = trace.lines.size;
          editor.setCounts(trace.lines);
        }
        syncOSControls();
      }, 300);
    }
  }
  function updateCounts() {
    const n = trace.events.length;
    counts.textContent = n
      ? `${NUM.format(n)} events · ${trace.lanes.length} threads · ${fmtTime(trace.maxT)}${trace.running ? " · live" : ""}`
      : "";
  }

  function finish(res) {
    trace.finish(res);
    runBtn.disabled = false;
    runBtn.textContent = "Run again";
    stopBtn.disabled = true;
    timeline.drawNow();
    log.sync();
    updateCounts();
    editor.setCounts(trace.lines);
    syncOSControls();
    if (res.error && res.error.line) editor.setError(res.error.line, res.error.msg);
    summaryEl.textContent = explain(res);
    renderDetails(res);
    renderFindings(res);
    showTab("result");
    setStatus(res.status);
  }
  function setStatus(s) {
    statusEl.textContent = s;
    statusEl.dataset.status = s;
    resultEl.dataset.status = s;
    wrap.dataset.status = s;
  }

  // explain says in one sentence what happened.
  function explain(res) {
    if (res.status === "error" && res.error && res.error.line) {
      return `Line ${res.error.line}, column ${res.error.col}: ${res.error.msg}`;
    }
    return res.message || res.status;
  }

  // cycleWords names a wait-for cycle: "alpha waits for second, held by
  // beta, which waits for first, held by alpha".
  function cycleWords(cycle) {
    return cycle.map((w, i) => `${i ? "which" : w.thread} waits ${w.op === "lock" ? "for" : `to ${w.op}`} ${w.obj}, held by ${w.holder_name}`).join(", ");
  }

  // renderFindings puts what went wrong above the timeline, each with a
  // button that shows it.
  function renderFindings(res) {
    if (trace.cycle.length) {
      banner.hidden = false;
      banner.textContent = `⟳ Deadlock: ${cycleWords(trace.cycle)}. Neither can go on; the red arrows close the cycle.`;
    }
    const items = trace.flags.slice(0, 6);
    const cut = trace.lanes.filter((l) => l.cut && !(trace.cycle.length && l.cut.v === "deadlock"));
    if (!items.length && !cut.length) return;
    findings.hidden = false;
    findings.textContent = "";
    for (const e of items) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "finding";
      const name = trace.threads.get(e.th)?.name ?? e.th;
      b.textContent = e.k === "panic" ? `! ${name} panicked: ${e.v ?? ""}` : `✗ check failed: ${e.v ?? ""}`;
      b.title = "Show it on the timeline and in the script";
      b.addEventListener("click", () => { timeline.select(e); timeline.reveal(e); });
      findings.appendChild(b);
    }
    if (trace.flags.length > items.length) {
      const more = document.createElement("span");
      more.textContent = `and ${trace.flags.length - items.length} more`;
      findings.appendChild(more);
    }
    for (const l of cut.slice(0, 4)) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "finding cut";
      b.textContent = `✂ ${l.name} cut off (${l.cut.v ?? "main returned"})`;
      b.addEventListener("click", () => { timeline.select(l.cut); timeline.reveal(l.cut); });
      findings.appendChild(b);
    }
  }

  function renderDetails(res) {
    const add = (html) => {
      const div = document.createElement("div");
      div.className = "detail";
      div.innerHTML = html;
      resultEl.appendChild(div);
      return div;
    };
    if (res.deadlock && res.deadlock.cycle) {
      add(`<h3>Wait-for cycle</h3><ol data-testid="cycle">${res.deadlock.cycle.map((w) =>
        `<li>${esc(w.thread)} waits to ${esc(w.op)} <code>${esc(w.obj)}</code>, held by ${esc(w.holder_name)}${w.line ? ` <span class="muted">(line ${esc(w.line)})</span>` : ""}</li>`).join("")}</ol>`);
    }
    if (res.checks && res.checks.length) {
      add(`<h3>Checks</h3><ul class="checks" data-testid="checks">${res.checks.map((c) =>
        `<li class="${c.ok ? "ok" : "bad"}">${c.ok ? "✓ held" : "✗ failed"}: ${esc(c.msg)}${c.line ? ` <span class="muted">(line ${c.line})</span>` : ""}</li>`).join("")}</ul>`);
    }
    if (res.cells && res.cells.length) {
      add(`<h3>Final values</h3><ul data-testid="cells">${res.cells.map((c) =>
        `<li data-cell="${esc(c.name)}"><code>${esc(c.name)}</code> = <strong>${esc(String(c.value))}</strong></li>`).join("")}</ul>`);
    }
    if (res.threads && res.threads.length) {
      add(`<h3>Threads</h3><ul>${res.threads.map((t) =>
        `<li>${esc(t.name)}: ${esc(t.state)}${t.panic ? ` (${esc(t.panic)})` : ""}, ${t.events} events</li>`).join("")}</ul>`);
    }
    if (res.output) add(`<h3>Output</h3><pre data-testid="output">${esc(res.output)}</pre>`);
    if (res.stats) {
      const s = res.stats;
      add(`<p class="muted">${s.events} events${s.dropped ? ` (${s.dropped} dropped)` : ""}, ${fmtTime(s.wall_ns)} wall, ${fmtTime(s.cpu_ns)} CPU${res.schedule ? `, schedule <code>${esc(res.schedule.length > 80 ? res.schedule.slice(0, 80) + "…" : res.schedule)}</code>` : ""}</p>`);
    }
  }

  // ---- keyboard ----
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
      return;
    }
    const t = e.target;
    const typing = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (e.key === "Escape") {
      if (trace.running) stop();
      else if (!typing) {
        timeline.select(null);
        timeline.highlightLine(0);
        showLineChip(0);
      }
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const w = timeline.W || 600;
    const act = {
      "+": () => timeline.zoomIn(),
      "=": () => timeline.zoomIn(),
      "-": () => timeline.zoomOut(),
      "_": () => timeline.zoomOut(),
      "0": () => timeline.fit(),
      ArrowLeft: () => timeline.panBy(-w * (e.shiftKey ? 0.6 : 0.2)),
      ArrowRight: () => timeline.panBy(w * (e.shiftKey ? 0.6 : 0.2)),
      a: () => timeline.panBy(-w * 0.2),
      d: () => timeline.panBy(w * 0.2),
      w: () => timeline.zoomIn(),
      s: () => timeline.zoomOut(),
      f: () => timeline.followLive(),
      g: () => { if (!groupBox.disabled) { groupBox.checked = !groupBox.checked; groupBox.dispatchEvent(new Event("change")); } },
      c: () => { if (!cpuBox.disabled) { cpuBox.checked = !cpuBox.checked; cpuBox.dispatchEvent(new Event("change")); } },
      l: () => showView($('[data-view="log"]', root).getAttribute("aria-selected") === "true" ? "timeline" : "log"),
    }[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  });

  // ---- hooks for tests and benchmarks ----
  window.interleave = {
    model: trace,
    timeline: timeline.api(),
    log: {
      get rows() { return log.rows.length; },
      get rendered() { return Number(log.root.dataset.rendered || 0); },
    },
    run,
    stop,
    // feed and finish drive the page without a socket: a test or a
    // benchmark hands it events and a result as the server would.
    reset: (meta) => { reset(meta); trace.running = true; timeline.stats.runAt = performance.now(); },
    feed,
    finish,
    showView,
  };
}
