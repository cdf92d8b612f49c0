// The page's accessibility in pure parts: the timeline's keyboard
// navigation, its text alternative per thread, and the status line.

import { test } from "node:test";
import assert from "node:assert/strict";
import { stepEvent, edgeEvent, inView, crossLane, problems, stepProblem } from "../static/timeline/nav.js";
import { threadSummary } from "../static/timeline/words.js";
import { announcement } from "../static/page/results.js";
import { fold } from "../static/timeline/shape.js";
import { readFixture } from "./fixtures.js";

const twoLocks = () => fold(structuredClone(readFixture("deadlock-two-locks").events));
const seqs = (list) => list.map((e) => e && e.seq);

test("stepEvent walks one thread's events in order, and stops at its ends", () => {
  const tr = twoLocks();
  const beta = tr.events.filter((e) => e.th === 2);
  const walked = [beta[0]];
  for (let e = stepEvent(tr, beta[0], 1); e; e = stepEvent(tr, e, 1)) walked.push(e);
  assert.deepEqual(seqs(walked), seqs(beta));
  assert.equal(stepEvent(tr, beta[0], -1), null);
  assert.deepEqual(stepEvent(tr, beta.at(-1), -1), beta.at(-2));
});

test("edgeEvent is a thread's first or last event", () => {
  const tr = twoLocks();
  const alpha = tr.events.filter((e) => e.th === 1);
  assert.deepEqual(edgeEvent(tr, 1, -1), alpha[0]);
  assert.deepEqual(edgeEvent(tr, 1, 1), alpha.at(-1));
  assert.equal(edgeEvent(tr, 9, 1), null);
});

test("inView starts at the view's first event going right, its last going left", () => {
  const tr = twoLocks();
  assert.equal(inView(tr, { t0: 4500, t1: 7500 }, 1).t, 5000);
  assert.equal(inView(tr, { t0: 4500, t1: 7500 }, -1).t, 7000);
  assert.deepEqual(inView(tr, { t0: 1e12, t1: 2e12 }, 1), tr.events.at(-1));
  assert.equal(inView(fold([]), { t0: 0, t1: 1 }, 1), null);
});

test("crossLane goes to the nearest event in time on the next lane", () => {
  const tr = twoLocks();
  const spawn = tr.events.find((e) => e.th === 0 && e.k === "spawn");
  const below = crossLane(tr, tr.lanes, spawn, 1);
  assert.equal(below.th, 1);
  const alpha = tr.events.filter((e) => e.th === 1);
  const nearest = alpha.reduce((a, b) => (Math.abs(b.t - spawn.t) < Math.abs(a.t - spawn.t) ? b : a));
  assert.deepEqual(below, nearest);
  assert.equal(crossLane(tr, tr.lanes, spawn, -1), null);
  assert.equal(crossLane(tr, tr.lanes, below, 1).th, 2);
});

test("problems are the cut-offs and flags in order, and N and P wrap around", () => {
  const tr = twoLocks();
  const list = problems(tr);
  assert.deepEqual(list.map((e) => e.k), ["cutoff", "cutoff", "cutoff"]);
  assert.deepEqual(new Set(list.map((e) => e.th)), new Set([0, 1, 2]));
  assert.ok(list.every((e, i) => i === 0 || list[i - 1].seq < e.seq), "problems in seq order");
  assert.equal(stepProblem(tr, null, 1), list[0]);
  assert.equal(stepProblem(tr, null, -1), list.at(-1));
  assert.equal(stepProblem(tr, list[0], 1), list[1]);
  assert.equal(stepProblem(tr, list.at(-1), 1), list[0]);
  assert.equal(stepProblem(tr, list[0], -1), list.at(-1));
  assert.equal(stepProblem(fold(structuredClone(readFixture("lost-update").events)), null, 1), null);
});

test("threadSummary says what each thread did in a sentence", () => {
  const tr = twoLocks();
  const [main, alpha, beta] = tr.lanes.map((l) => threadSummary(tr, l));
  assert.match(main, /^main: cut off, 5 events, 2 spawns, waits in join once/);
  assert.equal(alpha, "alpha: cut off, 6 events, holds lock first once, 3.00 µs in all, waits for a lock once, never finished.");
  assert.match(beta, /holds lock second once/);
  const lu = fold(structuredClone(readFixture("lost-update").events));
  assert.match(threadSummary(lu, lu.lanes[1]), /^worker-0: ended, 6 events, \d+ reads?, \d+ writes?/);
});

test("announcement says queued, running and the end with its summary", () => {
  const cases = [
    ["starting", "Starting…", ""],
    ["queued", "Waiting for a free slot: position 2 in the queue.", "Queued. Waiting for a free slot: position 2 in the queue."],
    ["running", "Running…", "Running."],
    ["failed", "counter is 3, want 4", "Finished, failed: counter is 3, want 4"],
    ["deadlock", "Deadlock: alpha waits for second.", "Finished, deadlock: Deadlock: alpha waits for second."],
  ];
  for (const [s, summary, want] of cases) {
    assert.equal(announcement(s, summary), want, `announcement(${JSON.stringify(s)})`);
  }
});
