// The page's tabs and views, the timeline's buttons and toggles, and the
// keyboard shortcuts (listed under the lanes).

import { bindKeys } from "../timeline/input.js";

// setupControls gives the page showTab, showView and syncOSControls.
export function setupControls(p) {
  const { root, $, $$, el, trace, timeline, log } = p;
  function showTab(name) {
    $$("[data-tab]", root).forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    $$("[data-panel]", root).forEach((x) => { x.hidden = x.dataset.panel !== name; });
  }
  $$("[data-tab]", root).forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  function showView(name) {
    $$("[data-view]", root).forEach((x) => x.setAttribute("aria-selected", String(x.dataset.view === name)));
    $$("[data-view-panel]", root).forEach((x) => { x.hidden = x.dataset.viewPanel !== name; });
    el.wrap.dataset.view = name;
    if (name === "log") log.sync();
    else timeline.invalidate();
  }
  $$("[data-view]", root).forEach((b) => b.addEventListener("click", () => showView(b.dataset.view)));

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
  bindKeys({
    "ctrl+Enter": () => p.run(),
    Escape: (e, typing) => {
      if (trace.running) p.stop();
      else if (!typing) p.clearSelection();
    },
    "+": () => timeline.zoomIn(),
    "=": () => timeline.zoomIn(),
    "-": () => timeline.zoomOut(),
    _: () => timeline.zoomOut(),
    0: () => timeline.fit(),
    ArrowLeft: (e) => timeline.panBy(-w() * (e.shiftKey ? 0.6 : 0.2)),
    ArrowRight: (e) => timeline.panBy(w() * (e.shiftKey ? 0.6 : 0.2)),
    a: () => timeline.panBy(-w() * 0.2),
    d: () => timeline.panBy(w() * 0.2),
    w: () => timeline.zoomIn(),
    s: () => timeline.zoomOut(),
    f: () => timeline.followLive(),
    g: () => toggle(groupBox),
    c: () => toggle(cpuBox),
    n: () => p.stepRace?.(1),
    p: () => p.stepRace?.(-1),
    l: () => showView($('[data-view="log"]', root).getAttribute("aria-selected") === "true" ? "timeline" : "log"),
  });
  return { showTab, showView, syncOSControls };
}
