// Interleave's page script: runs a scenario over the WebSocket and shows
// its events live, one lane per thread. No dependencies. The timeline is
// in timeline/ (its modules listed in timeline/timeline.js); the page's
// controller is in page/, one part each, all sharing one page object:
//   page/settings.js  params, mode, seed and the URL that carries them
//   page/run.js       the socket and the run on it, reset/feed/finish, replay
//   page/editing.js   the editor's lines and the timeline's selection
//   page/results.js   the result panel, the deadlock banner, findings
//   page/sharing.js   share links, the trace file, PNG and SVG
//   page/controls.js  tabs, views, timeline buttons and keyboard shortcuts
//   step/panel.js     the step cursor and the state at it (step/state.js)
//   page/explore.js   the explore panel and its outcome histogram
//   page/schedule.js  "You schedule": the person picks the threads
// and beside them log.js (the event log), editor.js (the script),
// share.js (the server's sharing API), replay.js (playback) and
// format.js. What the page draws from is exposed as window.interleave for
// tests, benchmarks and curious students.

import { Trace } from "./timeline/model.js";
import { Timeline } from "./timeline/timeline.js";
import { EventLog } from "./log.js";
import { Editor } from "./editor.js";
import { LinkBox } from "./share.js";
import { timelineHooks, setupEditing } from "./page/editing.js";
import { setupSettings } from "./page/settings.js";
import { setupResults } from "./page/results.js";
import { setupControls } from "./page/controls.js";
import { setupSharing } from "./page/sharing.js";
import { setupRun } from "./page/run.js";
import { setupStep } from "./step/panel.js";
import { setupDrafts } from "./page/drafts.js";
import { setupExplore } from "./page/explore.js";
import { setupSchedule } from "./page/schedule.js";

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

// elements finds the page's parts by their test ids.
function elements(root) {
  const t = (id) => $(`[data-testid="${id}"]`, root);
  return {
    runBtn: t("run"), stopBtn: t("stop"), shareBtn: t("share"), statusEl: t("status"), summaryEl: t("summary"),
    resultEl: t("result"), counts: t("counts"), banner: t("cycle-banner"), findings: t("findings"),
    selection: t("selection"), lineChip: t("line-chip"), groupBox: t("group-os"), cpuBox: t("show-cpu"),
    followBtn: t("follow"), wrap: $(".timeline-wrap", root), exactBox: t("exact"), shareRunBtn: t("share-run"),
    exportMenu: t("export"), replayBar: t("replay-bar"), playBtn: t("replay"), speedSel: t("replay-speed"),
    playProgress: t("replay-progress"), fullLink: t("full-page"), exploreBtn: t("explore"), failureBtn: t("find-failure"),
  };
}

function scenarioPage(root) {
  // p is the page: its elements, its model and views, and the functions
  // each part gives the others. current is the run on show: its result and
  // script (its events are the model's), and its /r/ link once shared.
  const p = { root, $, $$, data: JSON.parse($("#page-data").textContent), el: elements(root), current: null };
  p.shareBox = new LinkBox($('[data-testid="share-out"]', root));
  p.runBox = new LinkBox($('[data-testid="share-run-out"]', root));
  p.trace = new Trace();
  p.editor = new Editor($('[data-testid="editor-pane"]', root));
  p.timeline = new Timeline($('[data-testid="timeline"]', root), p.trace, timelineHooks(p));
  p.log = new EventLog($('[data-testid="event-log"]', root), p.trace, {
    onSelect(seq) {
      const e = p.timeline.eventBySeq(seq);
      if (!e) return;
      p.timeline.select(e, null, "log");
      p.timeline.reveal(e);
    },
  });
  p.timeline.paintLegend(root);
  Object.assign(p, setupDrafts(p));
  Object.assign(p, setupEditing(p));
  Object.assign(p, setupControls(p));
  Object.assign(p, setupSettings(p));
  Object.assign(p, setupSharing(p));
  Object.assign(p, setupResults(p));
  Object.assign(p, setupExplore(p));
  Object.assign(p, setupRun(p));
  Object.assign(p, setupStep(p));
  Object.assign(p, setupSchedule(p));
  if (p.data.replay) p.loadRecording();

  // ---- hooks for tests and benchmarks ----
  const { trace, timeline, log } = p;
  window.interleave = {
    model: trace,
    timeline: timeline.api(),
    log: {
      get rows() { return log.rows.length; },
      get rendered() { return Number(log.root.dataset.rendered || 0); },
    },
    run: p.run,
    stop: p.stop,
    explore: p.explore,
    // youSchedule starts an interactive run (page/schedule.js); picks is
    // its state (step/picks.js).
    youSchedule: p.youSchedule,
    get picks() { return p.picks?.(); },
    // feed and finish drive the page without a socket: a test or a
    // benchmark hands it events and a result as the server would.
    reset: p.start,
    feed: p.feed,
    finish: p.finish,
    showView: p.showView,
    // step is the step cursor (step/panel.js): cursor, moveTo, step(kind,
    // dir), state() at the cursor.
    step: p.step,
    // The whole script in the editor, its folded metadata too.
    get source() { return p.editor.source; },
    // Sharing and export, for tests: how many runs this page asked the
    // server for, the trace file the Download button saves, the SVG.
    get runs() { return p.runs(); },
    get replayed() { return p.replayed(); },
    traceFile: () => p.traceFile(),
    svg: () => timeline.toSVG({ title: p.svgTitle() }),
  };
}
