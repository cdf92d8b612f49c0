// The race overlay's pure parts: a finding's events by seq, its words,
// the count sentences, the window that shows it, and stepping.

import { test } from "node:test";
import assert from "node:assert/strict";
import { raceLabel, kindPlural, countSentences, accessWord, raceLines, raceWindow } from "../static/timeline/race.js";
import { placeRaces, raceAccesses } from "../static/timeline/model.js";
import { osThreadsText, raceStep } from "../static/page/results.js";
import { fold } from "../static/timeline/shape.js";
import { readFixture } from "./fixtures.js";

const LOST = {
  kind: "lost update", obj: "counter",
  a: { th: 2, seq: 5, k: "get", line: 58, v: 0, ver: 0 },
  b: { th: 1, seq: 12, k: "set", line: 59, v: 3, ver: 3 },
  c: { th: 2, seq: 6, k: "set", line: 59, v: 1, ver: 4 },
  text: "worker-1 read counter = 0 (line 58); ...",
};
const DATA = {
  kind: "data race", obj: "next ticket",
  a: { th: 1, seq: 11, k: "set", line: 65, v: 2 },
  b: { th: 2, seq: 999, k: "get", line: 64, v: 2 },
  text: "a data race",
};

test("placeRaces finds a finding's events by seq, in the order of its accesses", () => {
  const tr = fold(structuredClone(readFixture("lost-update").events));
  const [lost, data] = placeRaces(tr.events, [LOST, DATA]);
  assert.deepEqual(lost.events.map((e) => [e.seq, e.th, e.k]), [[5, 2, "get"], [12, 1, "set"], [6, 2, "set"]]);
  assert.deepEqual(lost.accesses.map((a) => a.seq), [5, 12, 6]);
  // An event the page never got (dropped) is left out; the finding stays.
  assert.deepEqual(data.events.map((e) => e.seq), [11]);
  assert.equal(data.accesses.length, 2);
  assert.deepEqual(placeRaces(tr.events, undefined), []);
});

test("finish keeps the result's races on the model, and reset forgets them", () => {
  const tr = fold(structuredClone(readFixture("lost-update").events));
  tr.finish({ threads: [], races: [LOST] });
  assert.equal(tr.races.length, 1);
  assert.equal(tr.races[0].events.length, 3);
  tr.reset();
  assert.deepEqual(tr.races, []);
});

test("raceAccesses skips the missing third access", () => {
  assert.equal(raceAccesses(DATA).length, 2);
  assert.equal(raceAccesses(LOST).length, 3);
  assert.equal(raceAccesses({ a: null, b: { seq: 0 } }).length, 1);
});

test("labels and tags", () => {
  const cases = [
    [raceLabel(LOST), "lost update on counter"],
    [raceLabel(DATA), "data race on next ticket"],
    [accessWord(LOST.a, 0), "1 read 0"],
    [accessWord(LOST.b, 1), "2 wrote 3"],
    [accessWord({ k: "add", v: 5 }, 2), "3 added 5"],
    [accessWord({ k: "check", v: "balance never negative" }, 2), "3 checked"],
    [kindPlural("lost update", 1), "1 lost update"],
    [kindPlural("stale read", 1175), "1,175 stale reads"],
  ];
  for (const [got, want] of cases) assert.equal(got, want);
  assert.deepEqual(raceLines(LOST), [58, 59]);
  assert.deepEqual(raceLines({ a: { line: 0 }, b: { line: 7 } }), [7]);
});

test("countSentences counts per kind and object and says how many are listed", () => {
  const races = [...Array(20)].map(() => LOST).concat([DATA, DATA]);
  const summary = {
    total: 9199, limit: 20,
    counts: [
      { kind: "lost update", obj: "counter", count: 1175 },
      { kind: "data race", obj: "next ticket", count: 8024 },
      { kind: "stale read", obj: "balance", count: 1 },
    ],
  };
  assert.deepEqual(countSentences(summary, races), [
    "1,175 lost updates on counter; showing the first 20",
    "8,024 data races on next ticket; showing 2, one per pair of places in the script",
    "1 stale read on balance; none of them listed",
  ]);
  assert.deepEqual(countSentences({ counts: [{ kind: "data race", obj: "x", count: 2 }] }, [
    { kind: "data race", obj: "x" }, { kind: "data race", obj: "x" }]), ["2 data races on x"]);
  assert.deepEqual(countSentences(null, []), []);
});

test("raceWindow shows every event of a finding with room around them", () => {
  const w = raceWindow([{ t: 9000 }, { t: 6000 }, { t: 12000 }]);
  assert.deepEqual(w, { t0: 4000, t1: 14000 });
  assert.deepEqual(raceWindow([{ t: 100 }, { t: 100 }]), { t0: 50, t1: 150 });
  assert.equal(raceWindow([]), null);
});

test("raceStep steps through the findings, wrapping around", () => {
  const cases = [[-1, 5, 1, 0], [-1, 5, -1, 4], [0, 5, 1, 1], [4, 5, 1, 0], [0, 5, -1, 4], [2, 0, 1, -1]];
  for (const [i, n, dir, want] of cases) assert.equal(raceStep(i, n, dir), want, `raceStep(${i}, ${n}, ${dir})`);
});

test("osThreadsText says how many OS threads ran the threads, in os and green", () => {
  const threads = [...Array(21)].map((_, i) => ({ id: i }));
  const cases = [
    [{ mode: "os", threads, stats: { os_threads: 21 } }, "21 threads ran on 21 OS threads (1:1, one OS thread per thread)."],
    [{ mode: "green", procs: 2, threads, stats: { os_threads: 4 } }, "21 threads ran on 4 OS threads (M:N, multiplexed by the runtime over 2 procs)."],
    [{ mode: "sim", threads, stats: { os_threads: 1 } }, ""],
    [{ mode: "os", threads, stats: {} }, ""],
  ];
  for (const [res, want] of cases) assert.equal(osThreadsText(res), want, `osThreadsText(${res.mode})`);
});
