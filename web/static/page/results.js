// The result panel: the run's status, its one-line summary, what went
// wrong above the timeline (the deadlock banner, findings) and the
// details (the wait-for cycle, checks, final values, threads, output).

import { fmtTime, esc } from "../format.js";
import { countSentences, raceLines, raceLabel } from "../timeline/race.js";
import { threadSummary } from "../timeline/words.js";

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

// stuckWords says that the threads of a cycle of n can never go on.
export function stuckWords(n) {
  if (n === 1) return "It waits for itself and can never go on";
  if (n === 2) return "Neither can go on";
  return `None of the ${n} threads can go on`;
}

// bannerText is the sentence above the timeline for a deadlock.
export function bannerText(cycle, message) {
  // Every thread blocked (on channels, say) is not a cycle of holders:
  // the engine's own sentence says it best.
  if (cycle.some((c) => c.holder < 0)) return `⟳ ${capitalize(message || "Deadlock: every thread is blocked.")}`;
  return `⟳ Deadlock: ${cycleWords(cycle)}. ${stuckWords(cycle.length)}; the red arrows close the cycle.`;
}

// countsText is the line under the timeline: events, threads, duration.
export function countsText(trace) {
  const n = trace.events.length;
  if (!n) return "";
  const th = trace.lanes.length;
  return `${NUM.format(n)} ${n === 1 ? "event" : "events"} · ${th} ${th === 1 ? "thread" : "threads"} · ${fmtTime(trace.maxT)}${trace.running ? " · live" : ""}`;
}

// osThreadsText says how many OS threads ran a run's threads, in the
// modes that use real threads: "21 threads ran on 4 OS threads (M:N)."
export function osThreadsText(res) {
  const n = res.stats?.os_threads;
  if (!n || (res.mode !== "os" && res.mode !== "green")) return "";
  const t = (res.threads || []).length;
  const how = res.mode === "os" ? "1:1, one OS thread per thread" : `M:N, multiplexed by the runtime${res.procs ? ` over ${res.procs} procs` : ""}`;
  return `${NUM.format(t)} ${t === 1 ? "thread" : "threads"} ran on ${NUM.format(n)} OS ${n === 1 ? "thread" : "threads"} (${how}).`;
}

// raceStep is the finding after (dir 1) or before (dir -1) finding i of
// n, wrapping around; -1 when there are none.
export function raceStep(i, n, dir) {
  if (!n) return -1;
  if (i < 0) return dir < 0 ? n - 1 : 0;
  return (((i + dir) % n) + n) % n;
}


// announcement is what the page's one status line says when the run's
// status becomes s: queued and running, a playback, and the final status
// with its summary; nothing for the short steps in between.
export function announcement(s, summary) {
  switch (s) {
    case "starting":
    case "loading":
    case "idle": return "";
    case "queued": return `Queued. ${summary}`;
    case "running": return "Running.";
    case "replaying": return summary;
  }
  return `Finished, ${s}: ${summary}`;
}

// setupResults gives the page setStatus, updateCounts, clearResults,
// showResult, showRace and stepRace.
export function setupResults(p) {
  const { el, trace, timeline } = p;
  const announceEl = p.$('[data-testid="announce"]', p.root);
  const words = p.$(".tl-words", p.root);
  function setStatus(s) {
    el.statusEl.textContent = s;
    el.statusEl.dataset.status = s;
    el.resultEl.dataset.status = s;
    el.wrap.dataset.status = s;
    const say = announcement(s, el.summaryEl.textContent);
    if (say && announceEl) announceEl.textContent = say;
  }
  // describeThreads writes the timeline's text alternative: a sentence
  // per thread (the event log has every event).
  function describeThreads() {
    if (!words) return;
    const items = trace.lanes.map((l) => {
      const li = document.createElement("li");
      li.textContent = threadSummary(trace, l);
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.textContent = "No events.";
      items.push(li);
    }
    words.replaceChildren(...items);
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
    if (words) words.replaceChildren(Object.assign(document.createElement("li"), { textContent: "The run has not ended yet." }));
  }
  // finding is a button under the lanes that shows an event (or, without
  // one, the race finding on show).
  function finding(cls, text, e, title) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    if (title) b.title = title;
    b.addEventListener("click", () => {
      if (!e) {
        showRace(Math.max(0, timeline.raceIndex));
        return;
      }
      timeline.select(e);
      timeline.reveal(e);
    });
    el.findings.appendChild(b);
    return b;
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
    const races = trace.races.length;
    if (!items.length && !cut.length && !races) return;
    el.findings.hidden = false;
    el.findings.textContent = "";
    if (races) {
      const total = res.race_summary?.total || races;
      const b = finding("finding race", `⚠ ${raceLabel(trace.races[0])}${total > 1 ? ` (${NUM.format(total)} findings)` : ""}`, null, "Zoom onto it; the result panel lists them all");
      b.dataset.testid = "race-finding";
    }
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
    const add = (html, cls = "") => {
      const div = document.createElement("div");
      div.className = `detail${cls ? ` ${cls}` : ""}`;
      div.innerHTML = html;
      el.resultEl.appendChild(div);
      return div;
    };
    const luck = res.race_summary?.luck;
    if (luck) add(`<p class="luck" data-testid="luck" role="note">⚠ ${esc(luck)}</p>`);
    if (trace.races.length || res.race_summary?.total) renderRaces(add, res);
    const os = osThreadsText(res);
    if (os) add(`<p class="os-threads" data-testid="os-threads">${esc(os)}</p>`);
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
  // renderRaces lists the analysis's findings: the counts per kind and
  // object, a line per finding (a click shows it), previous and next.
  function renderRaces(add, res) {
    const counts = countSentences(res.race_summary, res.races);
    const items = trace.races.map((r, i) =>
      `<li><button type="button" class="race-item" data-race="${i}" title="Show it on the timeline and in the script">${esc(r.text || `${r.kind} on ${r.obj}`)}</button></li>`).join("");
    const box = add(`<h3>Races</h3>${counts.length ? `<ul class="race-counts" data-testid="race-counts">${counts.map((c) => `<li>${esc(c)}</li>`).join("")}</ul>` : ""}
      ${trace.races.length > 1 ? `<p class="race-nav"><button type="button" data-testid="race-prev" title="The previous finding (P)">← Previous</button> <span data-testid="race-pos" aria-live="polite"></span> <button type="button" data-testid="race-next" title="The next finding (N)">Next →</button></p>` : ""}
      <ol class="race-list" data-testid="race-list">${items}</ol>`, "races");
    box.addEventListener("click", (ev) => {
      const b = ev.target.closest("button");
      if (!b) return;
      if (b.dataset.race !== undefined) showRace(Number(b.dataset.race));
      else if (b.dataset.testid === "race-next") stepRace(1);
      else if (b.dataset.testid === "race-prev") stepRace(-1);
    });
    syncRaceList();
  }
  function syncRaceList() {
    const i = timeline.raceIndex;
    el.resultEl.querySelectorAll(".race-item").forEach((b) => {
      if (Number(b.dataset.race) === i) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    });
    const pos = el.resultEl.querySelector('[data-testid="race-pos"]');
    if (pos) pos.textContent = i >= 0 ? `${i + 1} of ${trace.races.length}` : `${trace.races.length} listed`;
  }
  // showRace draws finding i over the lanes, zooms onto its events and
  // marks its lines in the script.
  function showRace(i) {
    if (p.el.groupBox.checked) {
      p.el.groupBox.checked = false;
      p.el.groupBox.dispatchEvent(new Event("change"));
    }
    const r = timeline.showRace(i, true);
    syncRaceList();
    if (!r) return;
    const lines = raceLines(r);
    p.editor.markLines(lines);
    el.selection.textContent = `Finding ${i + 1} of ${trace.races.length}: ${r.text}`;
  }
  function stepRace(dir) {
    const i = raceStep(timeline.raceIndex, trace.races.length, dir);
    if (i >= 0) showRace(i);
  }
  // showResult fills the panel for a finished run; a run with races
  // draws its first finding, without moving the view.
  function showResult(res, recorded) {
    el.summaryEl.textContent = recorded ? `Recorded run: ${explain(res)}` : explain(res);
    if (trace.races.length) timeline.showRace(0, false);
    renderDetails(res);
    renderFindings(res);
    describeThreads();
  }
  return { setStatus, updateCounts, clearResults, showResult, showRace, stepRace };
}
