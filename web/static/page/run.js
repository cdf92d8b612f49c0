// Running: the WebSocket and the run it carries (run, explore, stop, the
// server's messages), the page's reset, feed and finish around the model,
// and the playback of a recorded run (/r/ID pages).

import { fmtTime, failingLine } from "../format.js";
import { ApiError, get } from "../share.js";
import { Player } from "../replay.js";
import { verdict } from "./explore.js";
import { RestError, fetchRest, restored } from "./rest.js";

const NUM = new Intl.NumberFormat();

// TOO_BIG is the close code (1009) a WebSocket peer sends when a message
// is over its read limit; the server's limit fits any script within the
// script size limit, so it is the script that is too large.
export const TOO_BIG = 1009;

// closeSentence says why the socket closed under a run: the server's own
// sentence if it gave one (it is shutting down), a script over the size
// limit if the message was too big (the page does not know the limit:
// the server refuses before reading the whole message), else a lost
// connection.
export function closeSentence(code, reason, scriptBytes) {
  if (reason) return reason;
  if (code === TOO_BIG) {
    const size = scriptBytes > 0 ? `${scriptBytes} bytes, ` : "";
    return `The script is ${size}more than the script size limit allows: the server refused it and closed the connection. Shorten it and run again.`;
  }
  return "The connection to the server was lost.";
}

// setupRun gives the page run, stop, reset, feed, finish and runs.
export function setupRun(p) {
  const { data, el, trace, timeline, log, editor } = p;
  let ws = null;
  let pending = null;
  // live: a run on the socket is under way. superseded: runs replaced
  // (by a new run or a playback) whose end has not come yet; the server
  // ends a socket's run before it starts the next, so what arrives before
  // their ends is theirs.
  let live = false;
  let exploring = false;
  let superseded = 0;
  let runSource = "";
  let runs = 0;
  function socket() {
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) return ws;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(`${proto}//${location.host}/ws`);
    ws.addEventListener("open", () => {
      if (pending) { ws.send(JSON.stringify(pending)); pending = null; }
    });
    ws.addEventListener("message", (e) => onMessage(JSON.parse(e.data)));
    ws.addEventListener("close", (e) => {
      superseded = 0;
      if (live) finish({ status: "error", message: closeSentence(e.code, e.reason, new TextEncoder().encode(runSource).length) });
      exploring = false;
    });
    return ws;
  }
  function send(msg) {
    const s = socket();
    if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify(msg));
    else pending = msg;
  }
  function run() {
    cancelRest();
    player.cancel();
    supersede();
    live = true;
    const m = p.mode();
    start({ mode: m });
    p.setStatus("starting");
    el.summaryEl.textContent = "Starting…";
    handOver(el.runBtn, el.stopBtn);
    const msg = request("run", m);
    // Without a number of procs the engine takes its default.
    const procs = Number.parseInt(p.procs(), 10);
    if (msg.mode === "green" && procs > 0) msg.procs = procs;
    if (msg.mode === "sim") {
      msg.seed = Number.parseInt(p.seed(), 10) || 0;
      if (p.exact()) msg.schedule = p.schedule();
    }
    runs++;
    send(msg);
  }
  // runInteractive starts a sim run whose choices the person makes (see
  // schedule.js), replaying prefix first.
  function runInteractive(prefix) {
    cancelRest();
    player.cancel();
    supersede(true);
    live = true;
    start({ mode: "sim" });
    p.setStatus("starting");
    el.summaryEl.textContent = "Starting… you pick the threads.";
    handOver(el.runBtn, el.stopBtn);
    const msg = request("run", "sim");
    msg.interactive = true;
    msg.seed = Number.parseInt(p.seed(), 10) || 0;
    if (prefix) msg.schedule = prefix;
    runs++;
    send(msg);
  }
  // request is a run or explore message for the script in the editor.
  function request(type, mode) {
    const src = editor.source; // the whole script, its folded metadata too
    // A catalogue scenario runs by its id; a shared, recorded or edited
    // script is sent along (named, so its result says what it was).
    const msg = { type, params: p.params(), mode };
    if (data.id) msg.scenario = data.id;
    else if (data.snippet) msg.scenario = `p-${data.snippet}`;
    if (data.snippet || data.run || src !== data.source) msg.source = src;
    runSource = src;
    return msg;
  }
  // explore starts an exploration in sim mode (real threads for repeat);
  // untilFailure stops it at the first failing execution.
  function explore(untilFailure = false) {
    const opts = p.exploreOptions(untilFailure);
    if (!opts) return;
    player.cancel();
    supersede();
    live = true;
    exploring = true;
    p.clearExplored();
    p.setStatus("starting");
    el.summaryEl.textContent = untilFailure ? "Searching for a failing interleaving…" : "Exploring the interleavings…";
    handOver(el.runBtn, el.stopBtn);
    setExploreButtons(true);
    const m = opts.strategy === "repeat" ? (p.mode() === "sim" ? "os" : p.mode()) : "sim";
    send({ ...request("explore", m), ...opts });
  }
  // explored shows an exploration's report; the page's run and timeline
  // keep what they showed.
  function explored(rep) {
    live = false;
    exploring = false;
    handOver(el.stopBtn, el.runBtn);
    setExploreButtons(false);
    p.showExplored(rep);
    el.summaryEl.textContent = verdict(rep);
    p.setStatus("explored");
    // Find a failure shows the one it found.
    const failing = rep.stopped === "failure" && rep.outcomes.find((o) => o.status !== "ok" && o.schedule);
    if (failing) replaySchedule(failing.schedule);
  }
  function setExploreButtons(busy) {
    for (const b of [el.exploreBtn, el.failureBtn]) if (b) b.disabled = busy;
  }
  // replaySchedule runs one schedule in sim mode, with the schedule in the
  // link: an outcome of an exploration, on the timeline.
  function replaySchedule(s) {
    const sim = p.$('input[name="mode"][value="sim"]', p.root);
    if (!sim || !s) return;
    if (!sim.checked) {
      sim.checked = true;
      // The settings follow the mode: sim's seed and exact box show.
      sim.dispatchEvent(new Event("change", { bubbles: true }));
    }
    p.setSchedule(s);
    el.exactBox.checked = true;
    p.syncURL();
    run();
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
    if (exploring) {
      exploring = false;
      setExploreButtons(false);
    }
  }
  // handOver disables a button and enables the other; a focused button
  // hands its focus over, so that it never falls to the page's body.
  function handOver(off, on) {
    const had = document.activeElement === off;
    on.disabled = false;
    off.disabled = true;
    // Without scrolling: on a phone the page has moved to the timeline.
    if (had) on.focus({ preventScroll: true });
  }
  el.runBtn.addEventListener("click", run);
  el.stopBtn.addEventListener("click", stop);
  el.exploreBtn?.addEventListener("click", () => explore(false));
  el.failureBtn?.addEventListener("click", () => explore(true));

  function onMessage(m) {
    if (superseded > 0) {
      if (m.type === "end" || m.type === "error" || m.type === "explored") superseded--;
      return;
    }
    if (!live && m.type !== "error") return;
    switch (m.type) {
      case "queued":
        el.summaryEl.textContent = `Waiting for a free slot: position ${m.position} in the queue.`;
        p.setStatus("queued");
        break;
      case "started":
        p.setStatus(exploring ? "exploring" : "running");
        if (exploring) break;
        el.summaryEl.textContent = "Running…";
        if (m.mode) trace.mode = m.mode;
        break;
      case "progress":
        p.showProgress(m);
        break;
      case "explored":
        explored(m);
        break;
      case "events":
        feed(m.events);
        break;
      case "choice":
        p.schedChoice?.(m);
        break;
      case "restart":
        // After an undo the run starts again: its events come from 0.
        start({ mode: "sim" });
        p.schedRestart?.(m);
        break;
      case "end":
        finish(m.result);
        if (m.rest) loadRest(m.rest, m.result);
        break;
      case "error":
        if (live && m.code === "pick") {
          // A refused pick: the run and its choice stay as they were.
          p.schedError?.(m.message);
        } else if (live && exploring) {
          // An exploration refused or failed: say why where a result goes.
          live = false;
          exploring = false;
          handOver(el.stopBtn, el.runBtn);
          setExploreButtons(false);
          el.summaryEl.textContent = m.message;
          p.setStatus("error");
        } else if (live) finish({ status: "error", message: m.message });
        else el.summaryEl.textContent = m.message;
        break;
    }
  }

  let countsTimer = 0;
  let shownLines = 0;
  function reset(meta = {}) {
    trace.reset(meta);
    timeline.reset();
    log.reset();
    editor.setError(0);
    editor.mark(0);
    editor.setCounts(null);
    shownLines = 0;
    timeline.highlightLine(0);
    p.showLineChip(0);
    el.selection.textContent = "";
    p.clearResults();
    p.current = null;
    p.syncRunActions();
    p.syncOSControls();
    p.updateCounts();
    p.stepReset?.();
  }
  // start readies the page for a run's events: reset, running, timed.
  function start(meta) {
    reset(meta);
    trace.running = true;
    timeline.stats.runAt = performance.now();
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
    if (first && live) bringTimelineIntoView();
    log.sync();
    if (!countsTimer) {
      countsTimer = setTimeout(() => {
        countsTimer = 0;
        p.updateCounts();
        // The gutter's dots change only when a new line causes events.
        if (trace.lines.size !== shownLines) {
          shownLines = trace.lines.size;
          editor.setCounts(trace.lines);
        }
        p.syncOSControls();
      }, 300);
    }
  }
  // bringTimelineIntoView scrolls a phone's page to the timeline when a
  // run starts below the first screen: the script and notes above it
  // fill a phone's screen, and the run is what Run was pressed for.
  function bringTimelineIntoView() {
    if (!matchMedia("(max-width: 800px)").matches) return;
    const top = el.wrap.getBoundingClientRect().top;
    if (top > innerHeight * 0.5) el.wrap.scrollIntoView({ block: "start" });
  }
  // finish shows a run's end: a live run's, or a recorded one's
  // (recorded is then {link, source}).
  function finish(res, recorded = null) {
    if (exploring) {
      // A refused exploration ends as a run would: its result says why.
      exploring = false;
      setExploreButtons(false);
    }
    trace.finish(res);
    handOver(el.stopBtn, el.runBtn);
    if (!recorded) el.runBtn.textContent = "Run again";
    p.current = { result: res, source: recorded ? recorded.source : runSource, link: recorded ? recorded.link : "" };
    if (!recorded) {
      live = false;
      p.runBox.hide();
      if (res.mode === "sim" || trace.mode === "sim") p.setSchedule(res.schedule || "");
      p.syncURL();
    }
    p.syncRunActions();
    timeline.drawNow();
    log.sync();
    p.updateCounts();
    editor.setCounts(trace.lines);
    p.syncOSControls();
    const failed = failingLine(res, trace.flags);
    if (failed.line) editor.setError(failed.line, failed.msg);
    p.showResult(res, recorded);
    if (!recorded) p.schedFinish?.(res);
    p.stepReady?.();
    p.setStatus(res.status);
  }

  // loadRest fetches a run's events that were shed while it streamed and
  // draws the run again whole, saying meanwhile how far the download is.
  let restAbort = null;
  function cancelRest() {
    restAbort?.abort();
    restAbort = null;
  }
  async function loadRest(offer, res) {
    const ctl = new AbortController();
    restAbort = ctl;
    const mode = trace.mode;
    const had = trace.events.length;
    const say = (done, total) => {
      el.summaryEl.textContent = `Loading the rest: ${NUM.format(done)} of ${NUM.format(total)} events…`;
    };
    say(0, offer.events);
    p.setStatus("loading");
    try {
      const events = await fetchRest(offer, say, ctl.signal);
      if (restAbort !== ctl) return;
      restAbort = null;
      start({ mode });
      trace.mode = mode;
      feed(events);
      finish(restored(res, Math.max(0, events.length - had)));
    } catch (err) {
      if (restAbort !== ctl) return;
      restAbort = null;
      p.setStatus(res.status);
      el.summaryEl.textContent = err instanceof RestError ? err.message : "The rest of the run's events could not be read.";
    }
  }

  // A recorded run (/r/ID) is drawn at once, without running anything,
  // and can be played back event by event at a pace a person can follow.
  let recording = null;
  const player = new Player({
    reset(meta) {
      start(meta);
      el.summaryEl.textContent = "Playing the recorded run back…";
      p.setStatus("replaying");
      el.runBtn.disabled = false;
      el.stopBtn.disabled = false;
      el.playBtn.textContent = "⏭ Skip to end";
    },
    feed,
    finish(res) {
      finish(res, { link: `/r/${data.run}`, source: recording.source || data.source });
      el.playBtn.textContent = "▶ Play";
    },
    progress(done, total) {
      el.playProgress.textContent = `${NUM.format(done)} of ${NUM.format(total)} events`;
    },
  });
  async function loadRecording() {
    el.replayBar.hidden = false;
    el.playBtn.disabled = true;
    p.setStatus("loading");
    el.summaryEl.textContent = "Loading the recorded run…";
    try {
      const rec = await (await get(data.replay)).json();
      rec.events = rec.events || [];
      recording = rec;
      const ev = rec.events;
      const dur = ev.length ? Math.max(...ev.slice(-200).map((e) => e.t)) - Math.min(0, ev[0].t) : 0;
      el.playBtn.disabled = false;
      // Drawn at once: the same path as a playback at "instant".
      player.play(rec, Infinity);
      el.playProgress.textContent = `${NUM.format(ev.length)} events, ${fmtTime(dur)}`;
    } catch (err) {
      el.summaryEl.textContent = err instanceof ApiError ? err.message : "The recorded run could not be read.";
      p.setStatus("error");
    }
  }
  el.playBtn?.addEventListener("click", () => {
    if (!recording) return;
    if (player.playing) {
      player.finish();
      return;
    }
    supersede(true);
    cancelRest();
    const v = el.speedSel.value;
    player.play(recording, v === "inf" ? Infinity : Number(v) || 1);
  });
  return {
    run, stop, reset, start, feed, finish, loadRecording, explore, replaySchedule, runInteractive,
    sendPick: send,
    runs: () => runs,
    replayed: () => (recording ? recording.events.length : null),
    loadingRest: () => restAbort !== null,
  };
}
