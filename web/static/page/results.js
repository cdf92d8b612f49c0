// The result panel: the run's status, its one-line summary, what went
// wrong above the timeline (the deadlock banner, findings) and the
// details (the wait-for cycle, checks, final values, threads, output).

import { fmtTime, esc } from "../format.js";

const NUM = new Intl.NumberFormat();

// explain says in one sentence what happened.
export function explain(res) {
  if (res.status === "error" && res.error && res.error.line) {
    return `Line ${res.error.line}, column ${res.error.col}: ${res.error.msg}`;
  }
  return res.message || res.status;
}

// waitWords says what one thread of a deadlock waits for.
export function waitWords(w) {
  if (w.op === "join") return `waits to join ${w.obj}`;
  if (w.holder < 0) return `waits to ${w.op === "recv" ? "receive from" : "send on"} channel "${w.obj}", which no thread can use any more`;
  return `waits ${w.op === "lock" ? "for" : `to ${w.op}`} ${w.obj}, held by ${w.holder_name}`;
}

// cycleWords names a wait-for cycle: "alpha waits for second, held by
// beta, which waits for first, held by alpha".
export function cycleWords(cycle) {
  return cycle.map((w, i) => `${i ? "which" : w.thread} ${waitWords(w)}`).join(", ");
}

export function capitalize(t) {
  return t ? t[0].toUpperCase() + t.slice(1) : t;
}

// bannerText is the sentence above the timeline for a deadlock.
export function bannerText(cycle, message) {
  // Every thread blocked (on channels, say) is not a cycle of holders:
  // the engine's own sentence says it best.
  if (cycle.some((c) => c.holder < 0)) return `⟳ ${capitalize(message || "Deadlock: every thread is blocked.")}`;
  return `⟳ Deadlock: ${cycleWords(cycle)}. Neither can go on; the red arrows close the cycle.`;
}

// countsText is the line under the timeline: events, threads, duration.
export function countsText(trace) {
  const n = trace.events.length;
  if (!n) return "";
  const th = trace.lanes.length;
  return `${NUM.format(n)} ${n === 1 ? "event" : "events"} · ${th} ${th === 1 ? "thread" : "threads"} · ${fmtTime(trace.maxT)}${trace.running ? " · live" : ""}`;
}

// setupResults gives the page setStatus, updateCounts, clearResults and
// showResult.
export function setupResults(p) {
  const { el, trace, timeline } = p;
  function setStatus(s) {
    el.statusEl.textContent = s;
    el.statusEl.dataset.status = s;
    el.resultEl.dataset.status = s;
    el.wrap.dataset.status = s;
  }
  function updateCounts() {
    el.counts.textContent = countsText(trace);
  }
  function clearResults() {
    el.banner.hidden = true;
    el.banner.textContent = "";
    el.findings.hidden = true;
    el.findings.textContent = "";
    el.resultEl.querySelectorAll(".detail").forEach((n) => n.remove());
  }
  // finding is a button under the lanes that shows an event.
  function finding(cls, text, e, title) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    if (title) b.title = title;
    b.addEventListener("click", () => { timeline.select(e); timeline.reveal(e); });
    el.findings.appendChild(b);
  }
  // renderFindings puts what went wrong above the timeline, each with a
  // button that shows it.
  function renderFindings(res) {
    if (trace.cycle.length) {
      el.banner.hidden = false;
      el.banner.textContent = bannerText(trace.cycle, res.message);
    }
    const items = trace.flags.slice(0, 6);
    const cut = trace.lanes.filter((l) => l.cut && !(trace.cycle.length && l.cut.v === "deadlock"));
    if (!items.length && !cut.length) return;
    el.findings.hidden = false;
    el.findings.textContent = "";
    for (const e of items) {
      const name = trace.threads.get(e.th)?.name ?? e.th;
      const text = e.k === "panic" ? `! ${name} panicked: ${e.v ?? ""}` : `✗ check failed: ${e.v ?? ""}`;
      finding("finding", text, e, "Show it on the timeline and in the script");
    }
    if (trace.flags.length > items.length) {
      const more = document.createElement("span");
      more.textContent = `and ${trace.flags.length - items.length} more`;
      el.findings.appendChild(more);
    }
    for (const l of cut.slice(0, 4)) finding("finding cut", `✂ ${l.name} cut off (${l.cut.v ?? "main returned"})`, l.cut, "");
  }
  function renderDetails(res) {
    const add = (html) => {
      const div = document.createElement("div");
      div.className = "detail";
      div.innerHTML = html;
      el.resultEl.appendChild(div);
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
  // showResult fills the panel for a finished run.
  function showResult(res, recorded) {
    el.summaryEl.textContent = recorded ? `Recorded run: ${explain(res)}` : explain(res);
    renderDetails(res);
    renderFindings(res);
  }
  return { setStatus, updateCounts, clearResults, showResult };
}
