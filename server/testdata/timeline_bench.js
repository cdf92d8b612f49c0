// The timeline benchmark, run in the scenario page by
// TestTimelineBenchmark: it feeds synthetic events straight into the page
// (bypassing the socket, as window.interleave.feed allows), then zooms and
// pans through the same handlers a mouse uses, and counts frames with
// requestAnimationFrame timestamps.
(async (N, THREADS) => {
  const il = window.interleave;
  const tl = il.timeline;
  const canvas = document.querySelector(".tl-lanes");

  // ---- synthetic run: THREADS workers locking, reading, writing,
  // sending, sleeping and working, interleaved at random ----
  let seed = 12345;
  const rnd = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const events = [];
  let seq = 0;
  let t = 0;
  const push = (th, k, extra) => {
    t += 40 + rnd(400);
    events.push({ seq: seq++, t, th, k, line: 10 + (k.length % 7), tid: 5000 + (th % 6), cpu: th % 2, ...extra });
  };
  push(0, "start", { obj: "main" });
  for (let i = 1; i <= THREADS; i++) push(0, "spawn", { obj: `worker-${i}`, v: i });
  push(0, "join", { obj: "worker-1" });
  const step = new Array(THREADS + 1).fill(-1);
  const script = [
    ["start", (i) => ({ obj: `worker-${i}` })],
    ["lock", (i) => ({ obj: `m${i % 4}` })],
    ["acquired", (i) => ({ obj: `m${i % 4}` })],
    ["get", () => ({ obj: "counter", v: rnd(1000) })],
    ["set", () => ({ obj: "counter", v: rnd(1000) })],
    ["unlock", (i) => ({ obj: `m${i % 4}` })],
    ["add", () => ({ obj: "hits", v: rnd(1000) })],
    ["send", () => ({ obj: "jobs", v: rnd(100) })],
    ["sent", () => ({ obj: "jobs", v: rnd(100) })],
    ["recv", () => ({ obj: "jobs" })],
    ["received", () => ({ obj: "jobs", v: rnd(100) })],
    ["sleep", () => ({ v: 1 })],
    ["wake", () => ({})],
    ["work", () => ({ v: 5 })],
    ["worked", () => ({})],
    ["print", () => ({ v: "tick" })],
  ];
  while (events.length < N - 2 * THREADS - 3) {
    const th = 1 + rnd(THREADS);
    step[th] = step[th] + 1 >= script.length ? 1 : step[th] + 1;
    const [k, extra] = script[step[th]];
    push(th, k, extra(th));
  }
  for (let i = 1; i <= THREADS; i++) push(i, "end", {});
  push(0, "joined", { obj: "worker-1" });
  push(0, "check", { obj: "ok", v: "synthetic" });
  push(0, "end", {});

  // ---- feed it as the socket would, in batches ----
  il.reset({ mode: "green" });
  const fed0 = performance.now();
  il.feed(events.slice(0, 2000)); // the first batch is drawn at once
  const firstBatchMs = performance.now() - fed0;
  for (let i = 2000; i < events.length; i += 2000) il.feed(events.slice(i, i + 2000));
  const feedMs = performance.now() - fed0;
  tl.drawNow();
  const allDrawnMs = performance.now() - fed0;
  const threads = [];
  for (let i = 0; i <= THREADS; i++) threads.push({ id: i, name: i ? `worker-${i}` : "main", parent: 0, state: "ended", events: 0 });
  il.finish({ status: "ok", message: "synthetic run", checks: [], threads, stats: { events: events.length, dropped: 0, wall_ns: t, cpu_ns: t } });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

  // ---- measure frames while the view moves ----
  const rect = canvas.getBoundingClientRect();
  const cx = rect.left + rect.width / 2;
  const cy = rect.top + Math.min(rect.height, 200) / 2;
  const frames = (count, onFrame) => new Promise((resolve) => {
    const ts = [];
    const draws = [];
    let n = 0;
    const tick = (now) => {
      ts.push(now);
      if (n > 0) draws.push(tl.stats.lastMs);
      if (n >= count) {
        resolve({ ts, draws });
        return;
      }
      onFrame(n++);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const summary = (name, { ts, draws }) => {
    const s = [...draws].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    const secs = (ts[ts.length - 1] - ts[0]) / 1000;
    return { name, frames: ts.length - 1, fps: +((ts.length - 1) / secs).toFixed(1), drawP50: +q(0.5).toFixed(2), drawP95: +q(0.95).toFixed(2), drawMax: +s[s.length - 1].toFixed(2) };
  };
  const wheel = (dy) => canvas.dispatchEvent(new WheelEvent("wheel", { deltaY: dy, clientX: cx, clientY: cy, bubbles: true, cancelable: true }));
  const pointer = (type, x) => canvas.dispatchEvent(new PointerEvent(type, { pointerId: 7, isPrimary: true, clientX: x, clientY: cy, buttons: type === "pointerup" ? 0 : 1, bubbles: true }));
  const results = [];
  tl.fit();
  results.push(summary("whole run in view, redrawn each frame", await frames(120, (n) => tl.pan(n % 2 ? 1 : -1))));
  results.push(summary("wheel zoom in, 120 frames (x0.1)", await frames(120, () => wheel(-10.6))));
  pointer("pointerdown", cx);
  results.push(summary("drag pan, 120 frames", await frames(120, (n) => pointer("pointermove", cx - 6 * (n + 1)))));
  pointer("pointerup", cx - 6 * 121);
  results.push(summary("wheel zoom out, 120 frames (x10)", await frames(120, () => wheel(10.6))));
  tl.fit();
  const laneCount = tl.lanes.length;
  return {
    events: tl.events,
    lanes: laneCount,
    spans: tl.spans.length,
    arrows: tl.arrows.length,
    firstBatchMs: +firstBatchMs.toFixed(1),
    feedMs: +feedMs.toFixed(1),
    allDrawnMs: +allDrawnMs.toFixed(1),
    dpr: window.devicePixelRatio,
    canvas: `${Math.round(rect.width)}x${Math.round(rect.height)}`,
    // Coarse unless Chromium runs with precise memory info; -1 elsewhere.
    heapMB: performance.memory ? +(performance.memory.usedJSHeapSize / 1048576).toFixed(0) : -1,
    results,
  };
})
