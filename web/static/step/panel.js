// The step panel: a cursor on the timeline that moves by one event, by
// one event of a chosen thread, to the next event on a chosen object or
// to the next finding, or anywhere with the scrubber; at the cursor, the
// event in a sentence, each thread's state and line (ringed in the
// script in its colour) and every object's state. It works on any run
// whose events are all in the page: a live one once it ended, a recorded
// one (/r/ID). The state comes from state.js; the panel only shows it.
//
// Keys, only while the timeline has the focus: . and , step by one event,
// > and < by one event of the chosen thread, ] and [ to the chosen
// object, } and { to a finding, Home and End to the ends.

import { Stepper } from "./state.js";
import { stepWhere, findingIndexes, nextFinding, objectsOf, indexBySeq } from "./nav.js";
import { threadStateText, cellText, lockText, chanText, eventSentence, capacities, nameOf } from "./words.js";
import { esc } from "../format.js";

const MAX_OBJECTS = 200; // objects offered in the object chooser
const MAX_LISTED = 300; // objects listed with their state

const HTML = `
<div class="step-bar" role="toolbar" aria-label="Step through the run">
  <strong>Step</strong>
  <button type="button" data-testid="step-first" title="First event (Home)" aria-label="First event">|◀</button>
  <button type="button" data-testid="step-prev" title="Previous event (,)" aria-label="Previous event">◀</button>
  <button type="button" data-testid="step-next" title="Next event (.)" aria-label="Next event">▶</button>
  <button type="button" data-testid="step-last" title="Last event (End)" aria-label="Last event">▶|</button>
  <input type="range" class="step-scrub" data-testid="step-scrub" min="-1" max="0" value="-1" aria-label="Cursor: event number">
  <span class="step-pos" data-testid="step-pos"></span>
</div>
<div class="step-by">
  <span class="grp"><label>thread <select data-testid="step-thread"></select></label>
    <button type="button" data-testid="step-thread-prev" title="Previous event of this thread (&lt;)" aria-label="Previous event of this thread">◀</button>
    <button type="button" data-testid="step-thread-next" title="Next event of this thread (&gt;)" aria-label="Next event of this thread">▶</button></span>
  <span class="grp"><label>object <select data-testid="step-object"></select></label>
    <button type="button" data-testid="step-object-prev" title="Previous event on this object ([)" aria-label="Previous event on this object">◀</button>
    <button type="button" data-testid="step-object-next" title="Next event on this object (])" aria-label="Next event on this object">▶</button></span>
  <span class="grp">finding
    <button type="button" data-testid="step-finding-prev" title="Previous finding: a race's access or a deadlock's wait ({)" aria-label="Previous finding">◀</button>
    <button type="button" data-testid="step-finding-next" title="Next finding: a race's access or a deadlock's wait (})" aria-label="Next finding">▶</button></span>
</div>
<p class="step-event" data-testid="step-event" aria-live="polite"></p>
<div class="step-state">
  <div><h3>Threads</h3><ul data-testid="step-threads"></ul></div>
  <div><h3>Objects</h3><ul data-testid="step-objects"></ul></div>
</div>
<p class="keys muted">Keys, with the timeline focused: <kbd>.</kbd> <kbd>,</kbd> next, previous event ·
<kbd>&gt;</kbd> <kbd>&lt;</kbd> of the thread · <kbd>]</kbd> <kbd>[</kbd> on the object · <kbd>}</kbd> <kbd>{</kbd> finding ·
<kbd>Home</kbd> <kbd>End</kbd> · click an event to put the cursor on it</p>`;

// setupStep builds the panel under the lanes and gives the page
// stepReset (a new run), stepReady (its events are all in), stepAtEnd
// (the events so far, at a choice of a You schedule run) and step (the
// panel's API, for tests).
export function setupStep(p) {
  const { root, $, trace, timeline, editor } = p;
  const panel = document.createElement("section");
  panel.className = "step-panel";
  panel.dataset.testid = "step";
  panel.hidden = true;
  panel.setAttribute("aria-label", "Step through the run");
  panel.innerHTML = HTML;
  // Under the lanes: above them it would push the timeline off a phone's
  // first screen.
  const anchor = $('[data-testid="timeline"]', root);
  if (!anchor) return {};
  anchor.after(panel);
  const q = (id) => $(`[data-testid="${id}"]`, panel);
  const scrub = q("step-scrub");
  const threadSel = q("step-thread");
  const objectSel = q("step-object");

  let st = null; // the Stepper of the run on show, once it is ready
  let cur = -1;
  let found = [];
  let caps = new Map();
  let shown = null; // the state shown

  function stepReset() {
    st = null;
    cur = -1;
    shown = null;
    panel.hidden = true;
    timeline.cursor = null;
    editor.threadLines([]);
    delete panel.dataset.cursor;
  }

  // stepReady readies stepping over the events in the page: the
  // checkpoints are built once, here, so every step after is quick.
  function stepReady() {
    const events = trace.events;
    const mine = (st = new Stepper(events));
    // The checkpoints are built after the frame that shows the result, in
    // tasks of about 10 ms so that the page stays responsive; a step
    // before then builds what it needs.
    const slice = () => {
      if (st === mine && !mine.buildFor(10)) setTimeout(slice, 0);
    };
    setTimeout(slice, 0);
    found = findingIndexes(events, trace.result?.races || [], trace.cycle || []);
    caps = capacities(editor.text.value, trace.result?.params || {});
    threadSel.innerHTML = [...trace.threads.values()]
      .map((l) => `<option value="${l.id}">${esc(l.name)}</option>`).join("");
    objectSel.innerHTML = objectsOf(events, MAX_OBJECTS)
      .map((o) => `<option value="${esc(o.name)}">${esc(o.name)} (${o.kind})</option>`).join("");
    scrub.max = String(events.length - 1);
    panel.hidden = events.length === 0;
    panel.dataset.events = String(events.length);
    panel.dataset.findings = String(found.length);
    moveTo(-1, false);
  }

  // stepAtEnd readies stepping over the events so far and puts the
  // cursor on the last: at a You schedule choice, the state panel says
  // who holds what and who waits, which the lanes cannot show while
  // virtual time stands still.
  function stepAtEnd() {
    stepReady();
    if (st) moveTo(st.length - 1, false);
  }

  // moveTo puts the cursor on event i (-1: before the first) and shows
  // the state there; reveal brings the event into view on the timeline.
  function moveTo(i, reveal = true) {
    if (!st) return;
    cur = Math.max(-1, Math.min(i, st.length - 1));
    shown = st.stateAt(cur);
    const e = cur >= 0 ? st.events.at(cur) : null;
    timeline.cursor = e;
    if (e && reveal) timeline.reveal(e);
    timeline.invalidate();
    scrub.value = String(cur);
    panel.dataset.cursor = String(cur);
    panel.dataset.seq = e ? String(e.seq) : "";
    q("step-pos").textContent = `event ${cur + 1} of ${st.length}`;
    const sentence = eventSentence(shown, e, st.length);
    q("step-event").textContent = sentence;
    scrub.setAttribute("aria-valuetext", `event ${cur + 1} of ${st.length}: ${sentence}`);
    if (e) threadSel.value = String(e.th);
    if (e && e.obj !== undefined && objectSel.querySelector(`option[value="${CSS.escape(String(e.obj))}"]`)) objectSel.value = String(e.obj);
    showState(shown, e);
    if (e?.line) editor.reveal(e.line);
  }

  function showState(s, e) {
    const colour = (th) => timeline.theme.colourOf(th);
    const threads = [...s.threads.values()].sort((a, b) => a.th - b.th);
    q("step-threads").innerHTML = threads.map((t) => {
      const line = t.line ? `, line ${t.line}` : "";
      return `<li data-thread="${t.th}" data-state="${t.state}" data-line="${t.line}" style="--th: ${colour(t.th)}"${e && e.th === t.th ? ' class="changed"' : ""}>${esc(t.name)}: ${esc(threadStateText(s, t))}${line}</li>`;
    }).join("");
    const items = [];
    const obj = e?.obj;
    for (const c of s.cells.values()) {
      items.push(`<li data-obj="${esc(c.name)}" data-kind="cell" data-value="${c.known ? esc(JSON.stringify(c.value)) : ""}"${obj === c.name ? ' class="changed"' : ""}>${esc(cellText(s, c))}</li>`);
    }
    for (const l of s.locks.values()) {
      items.push(`<li data-obj="${esc(l.name)}" data-kind="lock" data-holder="${l.holder >= 0 ? esc(nameOf(s, l.holder)) : ""}" data-waiters="${esc(l.waiters.map((th) => nameOf(s, th)).join(","))}"${obj === l.name ? ' class="changed"' : ""}>${esc(lockText(s, l))}</li>`);
    }
    for (const c of s.chans.values()) {
      const held = st.contents(s, c.name);
      items.push(`<li data-obj="${esc(c.name)}" data-kind="channel" data-count="${held.length}"${obj === c.name ? ' class="changed"' : ""}>${esc(chanText(c, held, caps.get(c.name)))}</li>`);
    }
    // A run with thousands of objects lists the first ones and the one
    // the event at the cursor touched.
    if (items.length > MAX_LISTED) {
      const touched = items.slice(MAX_LISTED).find((h) => h.includes(' class="changed"'));
      const more = items.length - MAX_LISTED - (touched ? 1 : 0);
      items.length = MAX_LISTED;
      if (touched) items.push(touched);
      items.push(`<li class="muted">… and ${more} more objects</li>`);
    }
    q("step-objects").innerHTML = items.join("") || '<li class="muted">No objects touched yet.</li>';
    editor.threadLines(threads.filter((t) => t.line && !TERMINAL.has(t.state))
      .map((t) => ({ th: t.th, name: t.name, colour: colour(t.th), line: t.line })));
  }

  const by = {
    event: (dir) => stepWhere(st.events, cur, dir),
    thread: (dir) => {
      const th = Number(threadSel.value);
      return stepWhere(st.events, cur, dir, (e) => e.th === th);
    },
    object: (dir) => {
      const o = objectSel.value;
      return stepWhere(st.events, cur, dir, (e) => e.obj === o);
    },
    finding: (dir) => nextFinding(found, cur, dir),
  };
  function step(kind, dir) {
    if (!st) return;
    moveTo(by[kind](dir));
  }

  const on = (id, f) => q(id).addEventListener("click", f);
  on("step-first", () => moveTo(-1));
  on("step-last", () => st && moveTo(st.length - 1));
  on("step-prev", () => step("event", -1));
  on("step-next", () => step("event", 1));
  on("step-thread-prev", () => step("thread", -1));
  on("step-thread-next", () => step("thread", 1));
  on("step-object-prev", () => step("object", -1));
  on("step-object-next", () => step("object", 1));
  on("step-finding-prev", () => step("finding", -1));
  on("step-finding-next", () => step("finding", 1));
  scrub.addEventListener("input", () => moveTo(Number(scrub.value)));

  // Keys act only while the timeline has the focus, so they never take
  // a key from the script, a field or another part of the page.
  const KEYS = {
    ".": () => step("event", 1), ",": () => step("event", -1),
    ">": () => step("thread", 1), "<": () => step("thread", -1),
    "]": () => step("object", 1), "[": () => step("object", -1),
    "}": () => step("finding", 1), "{": () => step("finding", -1),
    Home: () => moveTo(-1), End: () => st && moveTo(st.length - 1),
  };
  timeline.root.addEventListener("keydown", (ev) => {
    if (!st || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const act = KEYS[ev.key];
    if (!act) return;
    ev.preventDefault();
    ev.stopPropagation();
    act();
  });

  // A click on an event (on the lanes or in the log) puts the cursor
  // on it.
  const onSelect = timeline.hooks.onSelect;
  timeline.hooks.onSelect = (e, span, from) => {
    onSelect?.(e, span, from);
    if (st && e && from) {
      const i = indexBySeq(st.events, e.seq);
      if (i >= 0 && i !== cur) moveTo(i, false);
    }
  };

  const api = {
    get cursor() { return cur; },
    get ready() { return !!st; },
    get findings() { return found.slice(); },
    moveTo,
    step,
    // state is the state at the cursor as plain data.
    state() {
      if (!shown) return null;
      return {
        at: shown.at,
        threads: [...shown.threads.values()].map((t) => ({ ...t, text: threadStateText(shown, t) })),
        cells: [...shown.cells.values()].map((c) => ({ ...c, text: cellText(shown, c) })),
        locks: [...shown.locks.values()].map((l) => ({ ...l, holderName: l.holder >= 0 ? nameOf(shown, l.holder) : "", text: lockText(shown, l) })),
        chans: [...shown.chans.values()].map((c) => ({ ...c, items: st.contents(shown, c.name).map((m) => m.v) })),
      };
    },
  };
  return { stepReset, stepReady, stepAtEnd, step: api };
}

const TERMINAL = new Set(["ended", "panicked", "cutoff"]);
