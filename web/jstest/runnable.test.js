// A work span's share of time runnable but not running: the data the
// timeline draws its hatched band from, and the words of its tooltip.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ranShare, waitWords } from "../static/timeline/model.js";
import { tipLines, threadSummary } from "../static/timeline/words.js";
import { fold } from "../static/timeline/shape.js";

// run is main doing two work spans: the first ran 3.1 ms of 8 ms, the
// second all of its 2 ms; v is what the engine puts on worked.
function run(mode) {
  const tr = fold([
    { seq: 0, t: 0, th: 0, k: "start" },
    { seq: 1, t: 1000, th: 0, k: "work", v: 8000, line: 3 },
    { seq: 2, t: 8_001_000, th: 0, k: "worked", v: 3_100_000, line: 3 },
    { seq: 3, t: 9_000_000, th: 0, k: "work", v: 2000, line: 4 },
    { seq: 4, t: 11_000_000, th: 0, k: "worked", v: 2_000_000, line: 4 },
    { seq: 5, t: 12_000_000, th: 0, k: "end" },
  ]);
  tr.mode = mode;
  return tr;
}

test("ranShare is the share of a work span its thread ran", () => {
  const [a, b] = run("os").allSpans();
  assert.equal(ranShare(a), 3.1 / 8);
  assert.equal(ranShare(b), 1);
});

test("ranShare is null where nothing was measured", () => {
  const sim = fold([
    { seq: 0, t: 0, th: 0, k: "work", v: 500 },
    { seq: 1, t: 500_000, th: 0, k: "worked" },
    { seq: 2, t: 600_000, th: 0, k: "sleep", v: 1 },
    { seq: 3, t: 1_600_000, th: 0, k: "wake" },
    { seq: 4, t: 1_700_000, th: 0, k: "work", v: 500 },
  ]);
  assert.deepEqual(sim.allSpans().map(ranShare), [null, null, null]);
});

test("ranShare stays within 0 and 1", () => {
  const tr = fold([
    { seq: 0, t: 0, th: 0, k: "work", v: 1000 },
    { seq: 1, t: 1_000_000, th: 0, k: "worked", v: 1_000_400 },
  ]);
  assert.equal(ranShare(tr.allSpans()[0]), 1);
});

test("a work span's tooltip says how long it ran and what it waited for", () => {
  for (const [mode, words] of [["os", "waits for a core"], ["green", "waits for an OS thread"]]) {
    const tr = run(mode);
    const span = tr.allSpans()[0];
    const lines = tipLines(tr, { span, L: { lane: tr.lanes[0] } });
    assert.ok(lines.includes(`ran 3.10 ms of 8.00 ms; the other 4.90 ms it ${words}`), `${mode}: ${lines.join(" | ")}`);
    assert.equal(waitWords(mode), words);
    assert.match(threadSummary(tr, tr.lanes[0]), new RegExp(`ran 5.10 ms of that; the other 4.90 ms it ${words}`));
  }
});

// waitsRun is a work span of 10 ms in which the thread was set aside
// twice: runnable events say when each wait ended and how long it was.
function waitsRun() {
  return fold([
    { seq: 0, t: 0, th: 0, k: "start" },
    { seq: 1, t: 1_000_000, th: 0, k: "work", v: 4000, line: 3 },
    { seq: 2, t: 3_000_000, th: 0, k: "runnable", v: 1_500_000, line: 3 },
    // a microsecond of clock conversion puts it before the last: held after
    { seq: 3, t: 8_000_000, th: 0, k: "runnable", v: 5_000_500, line: 3 },
    { seq: 4, t: 11_000_000, th: 0, k: "worked", v: 3_500_000, line: 3 },
    { seq: 5, t: 11_500_000, th: 0, k: "runnable", v: 100_000 }, // outside a work span: ignored
    { seq: 6, t: 12_000_000, th: 0, k: "end" },
  ]);
}

test("runnable events place a work span's waits at their times", () => {
  const tr = waitsRun();
  const [s] = tr.allSpans();
  assert.deepEqual(s.waits, [[1_500_000, 3_000_000], [3_000_000, 8_000_000]]);
  assert.equal(tr.timedWaits, true);
  assert.equal(run("os").timedWaits, false);
});

test("a work span's tooltip counts the times it waited", () => {
  const tr = waitsRun();
  tr.mode = "os";
  const span = tr.allSpans()[0];
  const lines = tipLines(tr, { span, L: { lane: tr.lanes[0] } });
  assert.ok(lines.includes("waited to run 2 times (hatched)"), lines.join(" | "));
});
