// Interleave's page script: runs a scenario over the WebSocket and draws
// its events, one lane per thread. No dependencies; the model it draws
// from is exposed as window.interleave for tests and curious students.

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
  const editor = $('[data-testid="editor"]', root);
  const gutter = $(".gutter", root);
  const timeline = $('[data-testid="timeline"]', root);
  const logBody = $('[data-testid="event-log"] tbody', root);
  const counts = $('[data-testid="counts"]', root);

  const LOG_ROWS = 5000;
  const model = {
    running: false,
    events: [],
    threads: new Map(), // id -> {id, name, parent, events: []}
    maxT: 0,
    result: null,
    error: null,
    messages: 0,
  };
  window.interleave = { model, run, stop };

  // ---- editor: line numbers and error marks ----
  function renderGutter(errLine) {
    const n = editor.value.split("\n").length;
    let html = "";
    for (let i = 1; i <= n; i++) {
      html += i === errLine ? `<span class="err" title="error">${i}</span>\n` : `${i}\n`;
    }
    gutter.innerHTML = html;
    gutter.scrollTop = editor.scrollTop;
  }
  editor.addEventListener("input", () => renderGutter(0));
  editor.addEventListener("scroll", () => { gutter.scrollTop = editor.scrollTop; });
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      editor.setRangeText("    ", editor.selectionStart, editor.selectionEnd, "end");
    }
  });
  renderGutter(0);

  // ---- tabs ----
  function showTab(name) {
    $$("[data-tab]", root).forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    $$("[data-panel]", root).forEach((p) => { p.hidden = p.dataset.panel !== name; });
  }
  $$("[data-tab]", root).forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $$("[data-view]", root).forEach((b) => b.addEventListener("click", () => {
    $$("[data-view]", root).forEach((x) => x.setAttribute("aria-selected", String(x === b)));
    $$("[data-view-panel]", root).forEach((p) => { p.hidden = p.dataset.viewPanel !== b.dataset.view; });
  }));

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
  root.addEventListener("change", () => {
    syncOptions();
    history.replaceState(null, "", url());
  });
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
      if (model.running) finish({ status: "error", message: "The connection to the server was lost." });
    });
    return ws;
  }
  function send(msg) {
    const s = socket();
    if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify(msg));
    else pending = msg;
  }

  function run() {
    reset();
    model.running = true;
    setStatus("starting");
    summaryEl.textContent = "Starting…";
    runBtn.disabled = true;
    stopBtn.disabled = false;
    const msg = { type: "run", params: params(), mode: mode() };
    if (editor.value !== data.source) {
      msg.source = editor.value;
      msg.scenario = data.id;
    } else {
      msg.scenario = data.id;
    }
    if (msg.mode === "green") msg.procs = Number.parseInt($('[name="procs"]', root).value, 10) || 2;
    if (msg.mode === "sim") msg.seed = Number.parseInt($('[name="seed"]', root).value, 10) || 0;
    send(msg);
  }
  function stop() {
    if (model.running) send({ type: "stop" });
  }
  runBtn.addEventListener("click", run);
  stopBtn.addEventListener("click", stop);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
    if (e.key === "Escape") stop();
  });

  function onMessage(m) {
    model.messages++;
    switch (m.type) {
      case "queued":
        setStatus("queued");
        summaryEl.textContent = `Waiting for a free slot: position ${m.position} in the queue.`;
        break;
      case "started":
        setStatus("running");
        summaryEl.textContent = "Running…";
        break;
      case "events":
        for (const e of m.events) addEvent(e);
        scheduleDraw();
        break;
      case "end":
        finish(m.result);
        break;
      case "error":
        if (model.running) finish({ status: "error", message: m.message });
        else summaryEl.textContent = m.message;
        break;
    }
  }

  // ---- model ----
  function reset() {
    model.events = [];
    model.threads = new Map();
    model.maxT = 0;
    model.result = null;
    model.error = null;
    thread(0, "main", -1);
    logBody.textContent = "";
    renderGutter(0);
    resultEl.querySelectorAll(".detail").forEach((n) => n.remove());
    timeline.textContent = "";
    lanes.clear();
    scheduleDraw();
  }
  function thread(id, name, parent) {
    let t = model.threads.get(id);
    if (!t) {
      t = { id, name: name || `thread-${id}`, parent, events: [], state: "running" };
      model.threads.set(id, t);
    } else if (name) {
      t.name = name;
    }
    return t;
  }
  function addEvent(e) {
    model.events.push(e);
    if (e.k === "spawn" && typeof e.v === "number") thread(e.v, e.obj, e.th);
    const t = thread(e.th);
    t.events.push(e);
    if (e.k === "end" || e.k === "panic" || e.k === "cutoff") t.state = e.k;
    if (e.t > model.maxT) model.maxT = e.t;
    appendLog(e);
  }
  function appendLog(e) {
    if (logBody.rows.length >= LOG_ROWS) logBody.deleteRow(0);
    const tr = logBody.insertRow();
    tr.dataset.kind = e.k;
    tr.dataset.thread = e.th;
    const name = model.threads.get(e.th)?.name ?? e.th;
    for (const v of [e.seq, fmtTime(e.t), name, e.k, e.obj ?? "", e.v === undefined ? "" : String(e.v), e.line ?? ""]) {
      tr.insertCell().textContent = v;
    }
  }

  function finish(res) {
    model.running = false;
    model.result = res;
    runBtn.disabled = false;
    runBtn.textContent = "Run again";
    stopBtn.disabled = true;
    setStatus(res.status);
    summaryEl.textContent = explain(res);
    if (res.error && res.error.line) renderGutter(res.error.line);
    for (const th of res.threads || []) {
      const t = thread(th.id, th.name, th.parent);
      t.state = th.state;
    }
    renderDetails(res);
    showTab("result");
    scheduleDraw();
  }
  function setStatus(s) {
    statusEl.textContent = s;
    statusEl.dataset.status = s;
    resultEl.dataset.status = s;
  }

  // explain says in one sentence what happened.
  function explain(res) {
    if (res.status === "error" && res.error && res.error.line) {
      return `Line ${res.error.line}, column ${res.error.col}: ${res.error.msg}`;
    }
    return res.message || res.status;
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
        `<li>${esc(w.thread)} waits to ${esc(w.op)} <code>${esc(w.obj)}</code>, held by ${esc(w.holder_name)}</li>`).join("")}</ol>`);
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

  // ---- lanes ----
  const lanes = new Map(); // thread id -> {el, canvas, drawn}
  let drawQueued = false;
  function scheduleDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; draw(); });
  }
  function lane(t) {
    let l = lanes.get(t.id);
    if (!l) {
      const el = document.createElement("div");
      el.className = "lane";
      el.dataset.testid = "lane";
      el.setAttribute("data-testid", "lane");
      el.dataset.thread = t.id;
      const label = document.createElement("span");
      label.className = "lane-name";
      const canvas = document.createElement("canvas");
      canvas.height = 28;
      el.append(label, canvas);
      timeline.appendChild(el);
      l = { el, label, canvas, drawn: 0 };
      lanes.set(t.id, l);
    }
    l.label.textContent = t.name;
    l.el.dataset.name = t.name;
    l.el.dataset.state = t.state;
    return l;
  }
  const colors = {
    get: "#3b82f6", set: "#f97316", add: "#10b981", cas: "#8b5cf6", swap: "#8b5cf6",
    lock: "#ef4444", acquired: "#b91c1c", unlock: "#fca5a5", trylock: "#ef4444",
    send: "#0ea5e9", sent: "#0284c7", recv: "#14b8a6", received: "#0f766e", close: "#64748b",
    spawn: "#a855f7", start: "#22c55e", end: "#16a34a", join: "#eab308", joined: "#ca8a04",
    panic: "#dc2626", cutoff: "#dc2626", print: "#6b7280", check: "#111827",
    sleep: "#94a3b8", wake: "#94a3b8", work: "#f59e0b", worked: "#d97706",
  };
  function draw() {
    const span = Math.max(model.maxT, 1);
    counts.textContent = `${model.events.length} events, ${model.threads.size} threads, ${fmtTime(model.maxT)}`;
    for (const t of model.threads.values()) {
      const l = lane(t);
      const c = l.canvas;
      const w = Math.max(100, c.clientWidth || timeline.clientWidth - 140);
      if (c.width !== w) c.width = w;
      const g = c.getContext("2d");
      g.clearRect(0, 0, c.width, c.height);
      // Lock holds as bars under the ticks, so contention is visible.
      const held = new Map();
      for (const e of t.events) {
        if (e.k === "acquired") held.set(e.obj, e.t);
        else if (e.k === "unlock" && held.has(e.obj)) {
          const x0 = (held.get(e.obj) / span) * (w - 2);
          const x1 = (e.t / span) * (w - 2);
          g.fillStyle = "rgba(239,68,68,0.25)";
          g.fillRect(x0, 18, Math.max(1, x1 - x0), 8);
          held.delete(e.obj);
        }
      }
      for (const e of t.events) {
        const x = Math.round((e.t / span) * (w - 2));
        g.fillStyle = colors[e.k] || "#334155";
        const tall = e.k === "start" || e.k === "end" || e.k === "panic" || e.k === "cutoff" || e.k === "spawn";
        g.fillRect(x, tall ? 0 : 4, tall ? 2 : 1, tall ? 28 : 14);
      }
      l.drawn = t.events.length;
      l.el.dataset.drawn = String(l.drawn);
    }
  }
  new ResizeObserver(() => scheduleDraw()).observe(timeline);

  function fmtTime(ns) {
    if (ns === undefined || ns === null) return "";
    if (ns < 1e3) return `${ns} ns`;
    if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
    if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
    return `${(ns / 1e9).toFixed(2)} s`;
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
}
