// "You schedule": the person picks which thread runs at each choice of a
// sim run. The panel (web/scenario.templ's schedPanel) gets one button
// per runnable thread, labelled with the server's sentence for what that
// thread will do, and one that runs it until it blocks; a click on a
// thread's name beside its lane picks it too, and so does a click on its
// next line in the script (where several threads would run that line
// next, the first of them in lane order: the line's title says which).
// Undo goes back one choice
// (the server replays the rest), redo makes an undone pick again. The
// page's URL carries the schedule so far with you=1, so that the link
// resumes the run there, or replays a solution. The state between the
// server's messages is step/picks.js's.

import { Picks, reached, stepsText, solvedText, endedText, fixHeldText, choicesIn, pickLines, pickLineTitle } from "../step/picks.js";
import { esc } from "../format.js";

// setupSchedule wires the panel and gives the page youSchedule (start an
// interactive run from a prefix) and the run's hooks: schedChoice,
// schedRestart, schedError and schedFinish.
export function setupSchedule(p) {
  const { root, $ } = p;
  const t = (id) => $(`[data-testid="${id}"]`, root);
  const panel = t("sched-panel");
  const youBtn = t("you-schedule");
  if (!panel || !youBtn) return {};
  const list = t("sched-picks");
  const steps = t("sched-steps");
  const msg = t("sched-msg");
  const undoBtn = t("sched-undo");
  const redoBtn = t("sched-redo");
  const hintBtn = t("sched-hint");
  const solved = t("sched-solved");
  const prompt = t("sched-prompt");
  const labels = $(".tl-labels", root);
  const goal = panel.dataset.goal || "";
  const shortest = Number(panel.dataset.shortest) || 0;
  const fixesGoal = panel.dataset.fixesGoal || ""; // on a fix's page
  const picks = new Picks();
  let active = false; // the panel belongs to the run on show
  let reveal = false; // scroll the panel into view at the next choice
  // refocus: the control that had the focus when a pick, an undo or You
  // schedule went out; the focus goes back to it (or the first pick)
  // when the next choice comes, so the keyboard never falls to the body.
  let refocus = "";
  function noteFocus() {
    const a = document.activeElement;
    refocus = a && (panel.contains(a) || a === youBtn || labels?.contains(a)) ? a.dataset.testid || "lane" : "";
  }
  function restoreFocus() {
    if (!refocus) return;
    const back = refocus === "you-schedule" || refocus === "lane" ? null : t(refocus);
    refocus = "";
    const target = back && !back.disabled && back.isConnected ? back : list.querySelector("button") || undoBtn;
    if (!target.disabled) target.focus({ preventScroll: true });
    else youBtn.focus({ preventScroll: true });
  }

  // youSchedule starts an interactive run that replays prefix first.
  function youSchedule(prefix = "", keepRedo = false) {
    const sim = $('input[name="mode"][value="sim"]', root);
    if (!sim) return;
    if (!sim.checked) {
      sim.checked = true;
      sim.dispatchEvent(new Event("change", { bubbles: true }));
    }
    active = true;
    reveal = !keepRedo;
    noteFocus();
    picks.start(prefix, keepRedo);
    panel.hidden = false;
    if (prompt) prompt.hidden = true;
    solved.hidden = true;
    say(prefix ? "Replaying the picks so far…" : "Starting: the first choice comes when two threads could run.");
    list.replaceChildren();
    p.setYou(true);
    p.setSchedule(prefix);
    p.runInteractive(prefix);
    sync();
  }
  function say(text) {
    if (msg.textContent !== text) msg.textContent = text;
  }
  // sync shows the step count and what undo and redo can do now.
  function sync() {
    steps.textContent = stepsText(picks.steps);
    undoBtn.disabled = !picks.canUndo;
    redoBtn.disabled = !picks.canRedo;
    for (const el of labels?.querySelectorAll('[data-testid="lane"]') || []) {
      el.classList.toggle("pickable", picks.runnable(Number(el.dataset.thread)));
    }
    // The lines a click picks a thread at, while a choice waits.
    const lines = new Map();
    if (active && picks.choice) {
      for (const [line, xs] of pickLines(picks.choice.runnable)) lines.set(line, { ths: xs.map((x) => x.th), title: pickLineTitle(xs) });
    }
    p.editor.pickLines(lines);
  }
  // A pick's buttons: the thread's sentence, and "until it blocks".
  function pickItem(r, current) {
    const li = document.createElement("li");
    if (r.th === current) li.className = "current";
    // The server's sentence says whether the thread would wait; the
    // page adds which thread ran last and could go on.
    const tag = r.th === current ? ' <span class="sched-tag">running now</span>' : "";
    li.innerHTML = `<button type="button" class="sched-pick" data-testid="pick-${r.th}" data-th="${r.th}">${esc(r.text)}${tag}</button>`
      + `<button type="button" class="sched-until" data-testid="pick-until-${r.th}" data-th="${r.th}" data-until="blocks"`
      + ` aria-label="Run ${esc(r.name)} until it blocks" title="Keep picking ${esc(r.name)} until it would wait or ends">until it blocks</button>`;
    li.style.setProperty("--th", p.timeline.theme.colourOf(r.th));
    return li;
  }
  function schedChoice(m) {
    if (!active) return;
    if (list.contains(document.activeElement)) noteFocus();
    picks.onChoice(m);
    list.replaceChildren(...m.runnable.map((r) => pickItem(r, m.current)));
    p.setSchedule(m.schedule || "");
    p.el.exactBox.checked = !!m.schedule;
    p.syncURL();
    const n = m.runnable.length;
    p.el.summaryEl.textContent = `Your pick: ${n} threads can run next.`;
    p.setStatus("picking");
    say("");
    if (prompt) prompt.hidden = false;
    p.stepAtEnd?.();
    sync();
    restoreFocus();
    revealOnce();
  }
  // revealOnce brings the panel into view at a run's first choice (or
  // its end, for a link that replays a whole solution): on a laptop it
  // starts below the first screen. Not at every pick.
  function revealOnce() {
    if (!reveal) return;
    reveal = false;
    const r = panel.getBoundingClientRect();
    if (r.bottom > innerHeight || r.top < 0) panel.scrollIntoView({ block: "nearest" });
  }
  function send(m) {
    if (!m) return;
    if (m.restart !== undefined) {
      youSchedule(m.restart, true);
      return;
    }
    // Not disabled, which would drop the focus: picks ignores a second
    // pick until the next choice.
    noteFocus();
    list.querySelectorAll("button").forEach((b) => b.setAttribute("aria-disabled", "true"));
    p.sendPick(m);
    sync();
  }
  list.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-th]");
    if (b) send(picks.pick(Number(b.dataset.th), b.dataset.until || ""));
  });
  labels?.addEventListener("click", (ev) => {
    const lane = ev.target.closest('[data-testid="lane"]');
    if (active && lane && picks.runnable(Number(lane.dataset.thread))) send(picks.pick(Number(lane.dataset.thread)));
  });
  // A click on a line in the script (its number or its text) that a
  // runnable thread runs next picks that thread, while a choice waits;
  // any other click on a line rings its events, as ever.
  const onLine = p.editor.onLine;
  p.editor.onLine = (n, from) => {
    const th = active ? picks.atLine(n) : -1;
    if (th >= 0) send(picks.pick(th));
    else onLine?.(n, from);
  };
  undoBtn.addEventListener("click", () => {
    const m = picks.undo();
    if (m && !m.restart) say("Going back one step…");
    send(m);
  });
  redoBtn.addEventListener("click", () => send(picks.redo()));
  youBtn.addEventListener("click", () => youSchedule(""));
  // A plain run or an exploration leaves the panel: its picks belong to
  // the interactive run.
  for (const b of [p.el.runBtn, p.el.exploreBtn, p.el.failureBtn]) {
    b?.addEventListener("click", () => leave());
  }
  function leave() {
    if (!active) return;
    active = false;
    p.setYou(false);
    list.replaceChildren();
    if (prompt) prompt.hidden = true;
    say("");
    sync();
  }
  function schedRestart(m) {
    if (!active) return;
    picks.onRestart(m);
    list.replaceChildren();
    if (prompt) prompt.hidden = true;
    sync();
  }
  function schedError(text) {
    if (!active) return;
    // The run and its choice stay as they were: pick again.
    picks.onRefused();
    list.querySelectorAll("button").forEach((b) => b.removeAttribute("aria-disabled"));
    say(text);
    sync();
    restoreFocus();
  }
  function schedFinish(res) {
    if (!active) return;
    picks.onEnd(res);
    list.replaceChildren();
    if (prompt) prompt.hidden = true;
    // The link replays the whole run: a solution, or where it went wrong.
    p.el.exactBox.checked = !!p.schedule();
    p.syncURL();
    if (goal && reached(goal, res.status)) {
      solved.querySelector(".sched-solved-text").textContent = solvedText(choicesIn(res.schedule || ""), shortest);
      solved.hidden = false;
      say("");
    } else if (!goal && fixesGoal && res.status !== "error" && res.status !== "stopped") {
      say(fixHeldText(fixesGoal, res.status));
    } else if (res.status !== "error") {
      say(endedText(goal, res.status, res.message));
    } else say(res.message || "The run could not start.");
    sync();
    restoreFocus();
    revealOnce();
  }
  // Hints, one at a time.
  hintBtn?.addEventListener("click", () => {
    const items = Array.from(root.querySelectorAll("#sched-hints li"));
    const next = items.findIndex((li) => li.hidden);
    if (next < 0) return;
    items[next].hidden = false;
    const left = items.length - next - 1;
    hintBtn.textContent = left ? `Show another hint (${next + 2} of ${items.length})` : "No more hints";
    hintBtn.disabled = !left;
  });
  // A link with you=1 resumes the interactive run at its schedule.
  const search = new URLSearchParams(location.search);
  if (search.get("you") === "1") queueMicrotask(() => youSchedule(search.get("schedule") || ""));
  return { youSchedule, schedChoice, schedRestart, schedError, schedFinish, picks: () => picks };
}
