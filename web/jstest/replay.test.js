// The replay's pace: by event order, bent by time, bounded both ways.

import { test } from "node:test";
import assert from "node:assert/strict";
import { schedule, rateFor, NORMAL_RATE, MIN_SECONDS, MAX_SECONDS } from "../static/replay.js";

const last = (at) => at[at.length - 1];

test("a sim run of microseconds plays over seconds, each event after the one before", () => {
  // 40 events in 33 µs of virtual time.
  const times = Array.from({ length: 40 }, (_, i) => Math.round((i * 33000) / 39));
  const at = schedule(times);
  assert.ok(last(at) >= 1000, `last event at ${last(at)} ms, want at least a second`);
  for (let i = 1; i < at.length; i++) assert.ok(at[i] > at[i - 1], `event ${i} at ${at[i]} ms, not after ${at[i - 1]} ms`);
});

test("a long sleep is a short pause, not seconds of nothing", () => {
  // 14 events in 0.4 s, then 3.5 s of sleep, then 3 more: an os run.
  const times = [];
  for (let i = 0; i < 14; i++) times.push(i * 30e6);
  for (let i = 0; i < 3; i++) times.push(3.9e9 + i * 1e6);
  const at = schedule(times);
  const base = 1000 / rateFor(times.length);
  let longest = 0;
  for (let i = 1; i < at.length; i++) longest = Math.max(longest, at[i] - at[i - 1]);
  assert.ok(longest <= 4 * base + 1e-9, `longest gap ${longest} ms, want at most ${4 * base} ms`);
  assert.ok(at[14] - at[13] > at[13] - at[12], "the sleep still shows as a longer pause than its neighbours");
});

test("events at one time are paced by their order", () => {
  const at = schedule([5, 5, 5, 5]);
  assert.deepEqual([...at].map((x) => x > 0), [false, true, true, true]);
  assert.ok(at[3] > at[2] && at[2] > at[1]);
});

test("speed scales the whole playback", () => {
  const times = Array.from({ length: 100 }, (_, i) => i * 1000);
  const one = last(schedule(times, 1));
  const four = last(schedule(times, 4));
  assert.ok(Math.abs(one / four - 4) < 1e-9, `1x lasts ${one} ms, 4x ${four} ms, want a quarter`);
});

test("rateFor bounds a playback between its shortest and longest", () => {
  const cases = [
    [5, 5 / MIN_SECONDS],
    [100, NORMAL_RATE],
    [100000, 100000 / MAX_SECONDS],
  ];
  for (const [n, want] of cases) assert.equal(rateFor(n), want, `rateFor(${n})`);
});

test("schedule of no event or one is empty or at zero", () => {
  assert.equal(schedule([]).length, 0);
  assert.deepEqual([...schedule([7])], [0]);
});
