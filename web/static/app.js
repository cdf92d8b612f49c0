// Interleave's page script: runs a scenario over the WebSocket and shows
// its events live, one lane per thread. No dependencies. The modules:
//   model.js     events folded into lanes, spans and arrows
//   timeline.js  the canvas renderer and its zoom, pan, hover and click
//   glyphs.js    shapes and colours shared by the lanes and the legend
//   log.js       the event log table, the timeline's accessible twin
//   editor.js    the script with line numbers and marked lines
//   share.js     links, the server's sharing API, downloads, Perfetto
//   replay.js    playback of a recorded run at the pace it happened
//   svg.js       the timeline as SVG, for slides
// What the page draws from is exposed as window.interleave for tests,
// benchmarks and curious students.

import { Trace } from "./model.js";
import { Timeline } from "./timeline.js";
import { EventLog } from "./log.js";
import { Editor } from "./editor.js";
import { fmtTime, esc, describe } from "./format.js";
import { ApiError, LinkBox, post, postJSON, get, runBody, saveBlob, fileName, openPerfetto } from "./share.js";
import { Player, SPEEDS, defaultSpeed } from "./replay.js";

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
  const exactBox = $('[data-testid="exact"]', root);
  const shareRunBtn = $('[data-testid="share-run"]', root);
  const exportMenu = $('[data-testid="export"]', root);
  const exportBtns = $$(".export-menu button", root);
  const replayBar = $('[data-testid="replay-bar"]', root);
  const playBtn = $('[data-testid="replay"]', root);
  const speedSel = $('[data-testid="replay-speed"]', root);
  const playProgress = $('[data-testid="replay-progress"]', root);
  const fullLink = $('[data-testid="full-page"]', root);
  const shareBox = new LinkBox($('[data-testid="share-out"]', root));
  const runBox = new LinkBox($('[data-testid="share-run-out"]', root));
  const home = root.dataset.home || "";
  const search = new URLSearchParams(location.search);
  const embedded = search.get("embed") === "1";

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
  // The page's URL always says how to get this page back: params, mode,
  // procs (green), seed (sim) and, when "exact interleaving" is ticked, the
  // last sim run's schedule. The server applies all but the schedule; the
  // schedule is read here and sent with the next run.
  let schedule = "";
  const MAX_SCHEDULE = 16000; // characters of a schedule that a link may carry
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
  function exact() {
    return mode() === "sim" && exactBox.checked && !!schedule;
  }
  // query is the settings as a link's query, without the page's own
  // flags (embed).
  function query() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params())) if (v !== null) q.set(k, String(v));
    q.set("mode", mode());
    if (mode() === "green") q.set("procs", $('[name="procs"]', root).value);
    if (mode() === "sim") q.set("seed", $('[name="seed"]', root).value);
    if (exact()) q.set("schedule", schedule);
    return q;
  }
  function url() {
    const q = query();
    if (embedded) q.set("embed", "1");
    return `${location.pathname}?${q}`;
  }
  function syncURL() {
    const u = url();
    if (u !== location.pathname + location.search) history.replaceState(null, "", u);
    if (fullLink) fullLink.href = `${location.pathname}?${query()}`;
  }
  // setSchedule keeps the last sim run's schedule for "exact interleaving".
  function setSchedule(s) {
    schedule = s && s.length <= MAX_SCHEDULE ? s : "";
    exactBox.disabled = !schedule;
    if (!schedule) exactBox.checked = false;
    const label = exactBox.closest("label");
    label.title = schedule
      ? `Put this schedule (${schedule.length} characters) in the link and the next run, so it replays exactly this interleaving, not only its seed`
      : s ? "This run's schedule is too long for a link; its seed still reproduces it."
        : "Run in sim mode first: then the link can carry that run's exact schedule.";
  }
  if (search.get("schedule") && mode() === "sim") {
    setSchedule(search.get("schedule"));
    exactBox.checked = !!schedule;
  } else setSchedule("");
  $(".controls", root).addEventListener("change", onSettings);
  $('[data-testid="params"]', root).addEventListener("change", onSettings);
  function onSettings(ev) {
    // A schedule belongs to the run that made it: new params or a new
    // seed make it a different run.
    const t = ev?.target;
    if (t && (t.name === "seed" || t.dataset?.param)) setSchedule("");
    syncOptions();
    syncURL();
    shareBox.hide();
  }
  syncOptions();
  if (fullLink) fullLink.href = `${location.pathname}?${query()}`;
  editor.text.addEventListener("input", () => shareBox.hide(), { passive: true });

  // Share: a link to this script with these settings. A catalogue
  // scenario as shipped links to its page; anything else (an edited
  // script, a shared one) is stored first and linked as /p/ID.
  shareBtn?.addEventListener("click", async () => {
    delete shareBtn.dataset.link;
    shareBtn.disabled = true;
    try {
      const src = editor.text.value;
      let path;
      if (src === data.source && home) path = home;
      else if (src === data.source && data.snippet) path = `/p/${data.snippet}`;
      else {
        shareBox.busy("Saving the script…");
        path = (await postJSON("/api/snippets", { source: src })).url;
      }
      const link = new URL(`${path}?${query()}`, location.href).href;
      shareBtn.dataset.link = link;
      await shareBox.offer(link, "Link");
    } catch (err) {
      shareBox.error(err instanceof ApiError ? err.message : "The link could not be made.");
    } finally {
      shareBtn.disabled = false;
    }
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
      superseded = 0;
      if (live) finish({ status: "error", message: "The connection to the server was lost." });
    });
    return ws;
  }
  function send(msg) {
    const s = socket();
    if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify(msg));
    else pending = msg;
  }

  // current is the run on show: its result and script (its events are the
  // model's), and its /r/ link once shared.
  let current = null;
  let runSource = "";
  let runs = 0;
  // live: a run on the socket is under way. superseded: runs replaced
  // (by a new run or a playback) whose end has not come yet; the server
  // ends a socket's run before it starts the next, so what arrives before
  // their ends is theirs.
  let live = false;
  let superseded = 0;
  function run() {
    player.cancel();
    supersede();
    live = true;
    const m = mode();
    reset({ mode: m });
    trace.running = true;
    timeline.stats.runAt = performance.now();
    setStatus("starting");
    summaryEl.textContent = "Starting…";
    runBtn.disabled = true;
    stopBtn.disabled = false;
    const src = editor.text.value;
    // A catalogue scenario runs by its id; a shared, recorded or edited
    // script is sent along (named, so its result says what it was).
    const msg = { type: "run", params: params(), mode: m };
    if (data.id) msg.scenario = data.id;
    else if (data.snippet) msg.scenario = `p-${data.snippet}`;
    if (data.snippet || data.run || src !== data.source) msg.source = src;
    if (msg.mode === "green") msg.procs = Number.parseInt($('[name="procs"]', root).value, 10) || 2;
    if (msg.mode === "sim") {
      msg.seed = Number.parseInt($('[name="seed"]', root).value, 10) || 0;
      if (exact()) msg.schedule = schedule;
    }
    runSource = src;
    runs++;
    send(msg);
  }
  function stop() {
    if (player.playing) player.finish();
    else if (live && pending) {
      pending = null;
      finish({ status: "stopped", message: "Stopped before it started." });
    } else if (live) send({ type: "stop" });
  }
  // supersede forgets the live run for a new run or a playback: a run not
  // sent yet is dropped, a run under way is stopped by the server (which
  // ends it before it starts another) or by a stop.
  function supersede(sendStop = false) {
    if (!live) return;
    if (pending) pending = null;
    else {
      if (sendStop) send({ type: "stop" });
      superseded++;
    }
    live = false;
  }
  runBtn.addEventListener("click", run);
  stopBtn.addEventListener("click", stop);

  function onMessage(m) {
    if (superseded > 0) {
      if (m.type === "end" || m.type === "error") superseded--;
      return;
    }
    if (!live && m.type !== "error") return;
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
        if (live) finish({ status: "error", message: m.message });
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
    current = null;
    syncRunActions();
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
      ? `${NUM.format(n)} ${n === 1 ? "event" : "events"} · ${trace.lanes.length} ${trace.lanes.length === 1 ? "thread" : "threads"} · ${fmtTime(trace.maxT)}${trace.running ? " · live" : ""}`
      : "";
  }

  // finish shows a run's end: a live run's, or a recorded one's
  // (recorded is then {link, source}).
  function finish(res, recorded = null) {
    trace.finish(res);
    runBtn.disabled = false;
    if (!recorded) runBtn.textContent = "Run again";
    stopBtn.disabled = true;
    current = { result: res, source: recorded ? recorded.source : runSource, link: recorded ? recorded.link : "" };
    if (!recorded) {
      live = false;
      runBox.hide();
      if (res.mode === "sim" || trace.mode === "sim") setSchedule(res.schedule || "");
      syncURL();
    }
    syncRunActions();
    timeline.drawNow();
    log.sync();
    updateCounts();
    editor.setCounts(trace.lines);
    syncOSControls();
    if (res.error && res.error.line) editor.setError(res.error.line, res.error.msg);
    summaryEl.textContent = recorded ? `Recorded run: ${explain(res)}` : explain(res);
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
    return cycle.map((w, i) => `${i ? "which" : w.thread} ${waitWords(w)}`).join(", ");
  }

  // stuckWords says that the threads of a cycle of n can never go on.
  function stuckWords(n) {
    if (n === 1) return "It waits for itself and can never go on";
    if (n === 2) return "Neither can go on";
    return `None of the ${n} threads can go on`;
  }

  function capitalize(t) {
    return t ? t[0].toUpperCase() + t.slice(1) : t;
  }

  // waitWords says what one thread of a deadlock waits for.
  function waitWords(w) {
    if (w.op === "join") return `waits to join ${w.obj}`;
    if (w.holder < 0) return `waits to ${w.op === "recv" ? "receive from" : "send on"} channel "${w.obj}", which no thread can use any more`;
    return `waits ${w.op === "lock" ? "for" : `to ${w.op}`} ${w.obj}, held by ${w.holder_name}`;
  }

  // renderFindings puts what went wrong above the timeline, each with a
  // button that shows it.
  function renderFindings(res) {
    if (trace.cycle.length) {
      banner.hidden = false;
      // Every thread blocked (on channels, say) is not a cycle of holders:
      // the engine's own sentence says it best.
      const openEnded = trace.cycle.some((c) => c.holder < 0);
      banner.textContent = openEnded
        ? `⟳ ${capitalize(res.message || "Deadlock: every thread is blocked.")}`
        : `⟳ Deadlock: ${cycleWords(trace.cycle)}. ${stuckWords(trace.cycle.length)}; the red arrows close the cycle.`;
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
        `<li>${esc(w.thread)} ${esc(waitWords(w))}${w.line ? ` <span class="muted">(line ${esc(w.line)})</span>` : ""}</li>`).join("")}</ol>`);
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

  // ---- share this run, export ----
  function syncRunActions() {
    const has = !!current && !trace.running && trace.events.length > 0;
    if (shareRunBtn) shareRunBtn.disabled = !current || trace.running;
    for (const b of exportBtns) b.disabled = !has;
  }
  function body() {
    return runBody(current.result, trace.events, current.source);
  }
  function runName() {
    const r = current?.result;
    return (r?.scenario || data.id || (data.snippet ? `p-${data.snippet}` : "run")).replace(/[^A-Za-z0-9_-]/g, "-");
  }
  function svgTitle() {
    const r = current?.result;
    const h1 = $(".title h1", root)?.textContent || "";
    if (!r) return h1;
    return `${h1} · ${r.mode}${r.mode === "sim" ? ` seed ${r.seed}` : ""} · ${r.status}`;
  }
  shareRunBtn?.addEventListener("click", async () => {
    if (!current) return;
    delete shareRunBtn.dataset.link;
    shareRunBtn.disabled = true;
    try {
      if (!current.link) {
        runBox.busy(`Saving the run (${NUM.format(trace.events.length)} events)…`);
        current.link = (await postJSON("/api/runs", body())).url;
      }
      const link = new URL(current.link, location.href).href;
      shareRunBtn.dataset.link = link;
      await runBox.offer(link, "Link to this run");
    } catch (err) {
      runBox.error(err instanceof ApiError ? err.message : "The run could not be shared.");
    } finally {
      syncRunActions();
    }
  });
  // traceFile is the run as Chrome Trace Event JSON: the stored one for
  // a shared run, else converted by the server from this page's events.
  async function traceFile() {
    const resp = current.link ? await get(`${current.link}.trace.json`) : await post("/api/trace", body());
    return { blob: await resp.blob(), name: fileName(resp, `${runName()}.trace.json`) };
  }
  function exportAction(id, f) {
    const b = $(`[data-testid="${id}"]`, root);
    b?.addEventListener("click", async () => {
      if (!current) return;
      if (exportMenu) exportMenu.open = false;
      b.disabled = true;
      try {
        await f(b);
      } catch (err) {
        runBox.error(err instanceof ApiError ? err.message : `${b.textContent.trim()} failed.`);
      } finally {
        syncRunActions();
      }
    });
  }
  exportAction("download-trace", async (b) => {
    const { blob, name } = await traceFile();
    b.dataset.file = name;
    b.dataset.bytes = String(blob.size);
    saveBlob(blob, name);
  });
  exportAction("open-perfetto", async () => {
    // The window opens now, in the click; the trace follows when the
    // Perfetto UI answers.
    const file = traceFile();
    const win = openPerfetto(file.then((f) => f.blob.arrayBuffer()), svgTitle(), `${runName()}.trace.json`);
    if (!win) {
      runBox.error("The browser blocked the new window: allow pop-ups for this site, or use Download trace and open the file at ui.perfetto.dev.");
      return;
    }
    try {
      await file;
    } catch (err) {
      win.close();
      throw err;
    }
  });
  exportAction("download-png", async () => {
    showView("timeline");
    saveBlob(await timeline.toPNG(), `${runName()}.png`);
  });
  exportAction("download-svg", async () => {
    showView("timeline");
    saveBlob(new Blob([timeline.toSVG({ title: svgTitle() })], { type: "image/svg+xml" }), `${runName()}.svg`);
  });
  document.addEventListener("click", (e) => {
    if (exportMenu?.open && !exportMenu.contains(e.target)) exportMenu.open = false;
  });

  // ---- recorded runs ----
  // /r/ID pages draw the recorded run at once, without running anything,
  // and can play it back at the pace it happened.
  let recording = null;
  const player = new Player({
    reset(meta) {
      reset(meta);
      trace.running = true;
      timeline.stats.runAt = performance.now();
      setStatus("replaying");
      summaryEl.textContent = "Playing the recorded run back…";
      runBtn.disabled = false;
      stopBtn.disabled = false;
      playBtn.textContent = "⏭ Skip to end";
    },
    feed,
    finish(res) {
      finish(res, { link: `/r/${data.run}`, source: recording.source || data.source });
      playBtn.textContent = "▶ Play";
    },
    progress(done, total) {
      playProgress.textContent = `${NUM.format(done)} of ${NUM.format(total)} events`;
    },
  });
  if (data.replay) loadRecording();
  async function loadRecording() {
    replayBar.hidden = false;
    playBtn.disabled = true;
    setStatus("loading");
    summaryEl.textContent = "Loading the recorded run…";
    try {
      const rec = await (await get(data.replay)).json();
      rec.events = rec.events || [];
      recording = rec;
      const ev = rec.events;
      const dur = ev.length ? Math.max(...ev.slice(-200).map((e) => e.t)) - Math.min(0, ev[0].t) : 0;
      speedSel.value = String(defaultSpeed(dur));
      playBtn.disabled = false;
      // Drawn at once: the same path as a playback at "instant".
      player.play(rec, Infinity);
      playProgress.textContent = `${NUM.format(ev.length)} events, ${fmtTime(dur)}`;
    } catch (err) {
      setStatus("error");
      summaryEl.textContent = err instanceof ApiError ? err.message : "The recorded run could not be read.";
      showTab("result");
    }
  }
  playBtn?.addEventListener("click", () => {
    if (!recording) return;
    if (player.playing) {
      player.finish();
      return;
    }
    supersede(true);
    const v = speedSel.value;
    player.play(recording, v === "inf" ? Infinity : Number(v) || SPEEDS[3]);
  });

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
    // Sharing and export, for tests: how many runs this page asked the
    // server for, the trace file the Download button saves, the SVG.
    get runs() { return runs; },
    get replayed() { return recording ? recording.events.length : null; },
    traceFile: () => traceFile(),
    svg: () => timeline.toSVG({ title: svgTitle() }),
  };
}
