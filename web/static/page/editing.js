// The glue between the script editor and the timeline: a selected event
// marks its line (and its row in the log), a hovered one hints it, a
// clicked line rings its events with a chip that says how many.

import { fmtTime, describe } from "../format.js";

// timelineHooks are the hooks the Timeline calls; they reach the page's
// parts through p, which is filled in before any of them is called.
export function timelineHooks(p) {
  return {
    onSelect(e, span) {
      const line = e?.line ?? span?.line ?? 0;
      p.editor.mark(line);
      if (e) p.log.reveal(e.seq);
      if (e) {
        const name = p.trace.threads.get(e.th)?.name ?? e.th;
        p.el.selection.textContent = `Selected: ${name} ${describe(e)}, at ${fmtTime(e.t)}${line ? `, line ${line}` : ""}.`;
      } else p.el.selection.textContent = "";
    },
    onHover(e) {
      p.editor.hover(e?.line ?? 0);
    },
    // After each frame: the follow button shows whether the view follows
    // the live edge of a running run.
    onDrawn() {
      const pressed = String(!!p.timeline.view.follow && p.trace.running);
      if (p.el.followBtn.getAttribute("aria-pressed") !== pressed) p.el.followBtn.setAttribute("aria-pressed", pressed);
    },
  };
}

// chipText says how many events a line caused.
export function chipText(n, c) {
  return `Line ${n}: ${c} event${c === 1 ? "" : "s"} ringed`;
}

// setupEditing wires the editor's lines to the timeline; it gives the
// page showLineChip and clearSelection.
export function setupEditing(p) {
  const { $, el, editor, timeline, log } = p;
  const chip = el.lineChip;
  function showLineChip(n, c) {
    if (!n) {
      chip.hidden = true;
      return;
    }
    chip.hidden = false;
    $(".chip-text", chip).textContent = chipText(n, c);
  }
  editor.onLine = (n) => {
    const c = timeline.highlightLine(n);
    showLineChip(n, c);
  };
  $(".chip-clear", chip).addEventListener("click", () => {
    const had = chip.contains(document.activeElement);
    timeline.highlightLine(0);
    showLineChip(0);
    if (had) timeline.root.focus(); // not the body: the chip is gone
  });
  $(".chip-log", chip).addEventListener("click", () => {
    log.setLine(timeline.hlLine);
    p.showView("log");
  });
  // clearSelection forgets the selected event and the ringed line.
  function clearSelection() {
    timeline.select(null);
    timeline.highlightLine(0);
    showLineChip(0);
  }
  return { showLineChip, clearSelection };
}
