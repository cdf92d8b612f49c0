// The page's tabs and views, the timeline's buttons and toggles, and the
// keyboard: the tabs' arrow keys, the timeline's keys (listed under the
// lanes; letters only while it has the focus, and switchable off).

import { bindKeys } from "../timeline/input.js";
import { stepEvent, edgeEvent, inView, crossLane, stepProblem } from "../timeline/nav.js";

const LETTERS_KEY = "interleave.shortcuts";

// tablist makes a row of tabs work the ARIA way: the selected tab is the
// row's one Tab stop, and the arrow keys, Home and End select and focus
// the others.
function tablist(tabs, select) {
  tabs.forEach((b, i) => b.addEventListener("keydown", (e) => {
    const n = tabs.length;
    const j = { ArrowRight: (i + 1) % n, ArrowLeft: (i + n - 1) % n, Home: 0, End: n - 1 }[e.key];
    if (j === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    select(tabs[j]);
    tabs[j].focus();
  }));
}

// markTabs shows which tab is selected, to the eye and to assistive
// technology, and makes it the row's Tab stop.
function markTabs(tabs, selected) {
  for (const b of tabs) {
    const on = selected(b);
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
  }
}

// refocus moves the focus to next when hiding a panel took it away, so
// that it never falls back to the page's body.
function refocus(from, next) {
  if (!from || from === document.body) return;
  const gone = from.closest("[hidden]") || (from.checkVisibility ? !from.checkVisibility() : false);
  if (gone) next?.focus({ preventScroll: true });
}

// setupControls gives the page showTab, showView and syncOSControls.
export function setupControls(p) {
  const { root, $, $$, el, trace, timeline, log } = p;
  const tabs = $$("[data-tab]", root);
  function showTab(name) {
    const from = document.activeElement;
    markTabs(tabs, (b) => b.dataset.tab === name);
    $$("[data-panel]", root).forEach((x) => { x.hidden = x.dataset.panel !== name; });
    refocus(from, $(`[data-panel="${name}"]`, root));
  }
  tabs.forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  tablist(tabs, (b) => showTab(b.dataset.tab));
  const views = $$("[data-view]", root);
  function showView(name) {
    const from = document.activeElement;
    markTabs(views, (x) => x.dataset.view === name);
    $$("[data-view-panel]", root).forEach((x) => { x.hidden = x.dataset.viewPanel !== name; });
    el.wrap.dataset.view = name;
    if (name === "log") log.sync();
    else timeline.invalidate();
    refocus(from, name === "log" ? log : timeline.root);
  }
  views.forEach((b) => b.addEventListener("click", () => showView(b.dataset.view)));
  tablist(views, (b) => showView(b.dataset.view));

  const on = (id, f) => $(`[data-testid="${id}"]`, root)?.addEventListener("click", f);
  on("zoom-in", () => timeline.zoomIn());
  on("zoom-out", () => timeline.zoomOut());
  on("fit", () => timeline.fit());
  on("follow", () => timeline.followLive());
  on("fullscreen", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else el.wrap.requestFullscreen?.().catch(() => {});
  });
  const { groupBox, cpuBox } = el;
  groupBox.addEventListener("change", () => timeline.setGroup(groupBox.checked ? "os" : "thread"));
  cpuBox.addEventListener("change", () => timeline.setCPU(cpuBox.checked));
  // syncOSControls offers OS-thread lanes and CPUs only for runs that
  // recorded them.
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
  const toggle = (box) => {
    if (box.disabled) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change"));
  };
  const w = () => timeline.W || 600;
  // The letters switch, kept in the browser: on unless switched off.
  const lettersBox = $('[data-testid="shortcuts-on"]', root);
  if (lettersBox) {
    try {
      lettersBox.checked = localStorage.getItem(LETTERS_KEY) !== "off";
    } catch {
      // storage blocked: the switch works for this page only
    }
    lettersBox.addEventListener("change", () => {
      try {
        localStorage.setItem(LETTERS_KEY, lettersBox.checked ? "on" : "off");
      } catch {
        // as above
      }
    });
  }
  // go selects an event from the keyboard and brings it into view; the
  // selection line under the toolbar says what it is.
  const go = (e) => {
    if (!e) return;
    timeline.select(e, null, "keys");
    timeline.reveal(e);
  };
  const sel = () => timeline.selected;
  const step = (dir) => go(sel() ? stepEvent(trace, sel(), dir) : inView(trace, timeline.view, dir));
  bindKeys({
    "ctrl+Enter": () => p.run(),
    Escape: (e, typing) => {
      if (trace.running) p.stop();
      else if (!typing) p.clearSelection();
    },
    ArrowLeft: (e) => (e.shiftKey ? timeline.panBy(-w() * 0.6) : step(-1)),
    ArrowRight: (e) => (e.shiftKey ? timeline.panBy(w() * 0.6) : step(1)),
    ArrowUp: () => go(sel() ? crossLane(trace, trace.lanes, sel(), -1) : inView(trace, timeline.view, 1)),
    ArrowDown: () => go(sel() ? crossLane(trace, trace.lanes, sel(), 1) : inView(trace, timeline.view, 1)),
    Home: () => go(sel() ? edgeEvent(trace, sel().th, -1) : trace.events.at(0)),
    End: () => go(sel() ? edgeEvent(trace, sel().th, 1) : trace.events.at(-1)),
    "+": () => timeline.zoomIn(),
    "=": () => timeline.zoomIn(),
    "-": () => timeline.zoomOut(),
    _: () => timeline.zoomOut(),
    0: () => timeline.fit(),
    a: () => timeline.panBy(-w() * 0.2),
    d: () => timeline.panBy(w() * 0.2),
    w: () => timeline.zoomIn(),
    s: () => timeline.zoomOut(),
    f: () => timeline.followLive(),
    g: () => toggle(groupBox),
    c: () => toggle(cpuBox),
    n: () => (trace.races?.length ? p.stepRace?.(1) : go(stepProblem(trace, sel(), 1))),
    p: () => (trace.races?.length ? p.stepRace?.(-1) : go(stepProblem(trace, sel(), -1))),
    l: () => showView($('[data-view="log"]', root).getAttribute("aria-selected") === "true" ? "timeline" : "log"),
  }, { scope: timeline.root, letters: () => !lettersBox || lettersBox.checked });
  return { showTab, showView, syncOSControls };
}
