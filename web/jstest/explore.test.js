// The explore panel's words: a bar's label, the verdict, the progress line.

import { test } from "node:test";
import assert from "node:assert/strict";
import { outcomeLabel, percent, verdict, verdictText, progressText, doneText } from "../static/page/explore.js";

test("outcomeLabel says the final values, how it ended and how often", () => {
  const cases = [
    [{ count: 41, status: "failed", cells: [{ name: "counter", value: 3 }], output: "" }, 100, "counter = 3 · check failed · 41%"],
    [{ count: 1, status: "ok", cells: [{ name: "counter", value: 4 }] }, 3, "counter = 4 · ok · 33%"],
    [{ count: 5, status: "deadlock", cells: [] }, 5, "deadlock · 100%"],
    [{ count: 1, status: "failed", cells: [{ name: "config", value: null }, { name: "name", value: "a b" }, { name: "done", value: true }] }, 2,
      'config = None · name = "a b" · done = True · check failed · 50%'],
    [{ count: 2, status: "ok", cells: [], output: "a\nb\n" }, 2, "ok · printed a ⏎ b · 100%"],
    [{ count: 1, status: "panic", cells: [] }, 400, "panic · 0.25%"],
  ];
  for (const [o, all, want] of cases) assert.equal(outcomeLabel(o, all), want, `outcomeLabel(${JSON.stringify(o)}, ${all})`);
});

test("outcomeLabel cuts long output", () => {
  const got = outcomeLabel({ count: 1, status: "ok", cells: [], output: "x".repeat(100) }, 1);
  assert.equal(got, `ok · printed ${"x".repeat(59)}… · 100%`);
});

test("percent rounds, and never calls a rare outcome 0%", () => {
  const cases = [[0, 10, "0%"], [1, 3, "33%"], [2, 3, "67%"], [1, 1000, "0.1%"], [1, 0, "0%"], [999, 1000, "100%"]];
  for (const [n, all, want] of cases) assert.equal(percent(n, all), want, `percent(${n}, ${all})`);
});

test("verdict is a proof only when dfs was complete", () => {
  const ok = { status: "ok", count: 4 };
  const bad = { status: "failed", count: 2 };
  const cases = [
    [{ strategy: "dfs", complete: true, schedules: 4, outcomes: [ok] }, "Verified: all 4 distinct executions end ok."],
    [{ strategy: "dfs", complete: true, schedules: 6, outcomes: [ok, bad, bad] }, "Complete: every execution was covered (6 distinct executions); 2 of 3 outcomes fail."],
    [{ strategy: "dfs", complete: false, stopped: "failure", schedules: 2, outcomes: [ok, bad] }, "Found a failure after 2 executions."],
    [{ strategy: "dfs", complete: false, stopped: "stop", schedules: 1200, outcomes: [ok] }, "Stopped after 1,200 executions: what was found so far."],
    [{ strategy: "dfs", complete: false, stopped: "", bound: 2, schedules: 5, outcomes: [ok] }, "Not complete after 5 executions: interleavings needing more than 2 preemptions were not tried."],
    [{ strategy: "pct", complete: false, stopped: "budget", schedules: 1, outcomes: [ok] }, "The budget ran out after 1 execution: a sample, not a proof."],
    [{ strategy: "repeat", mode: "os", complete: false, stopped: "budget", schedules: 1000, outcomes: [ok, bad] }, "1,000 real runs in os mode: how often each ending happened on real threads, not a proof."],
    [{ strategy: "repeat", mode: "green", complete: false, stopped: "time", schedules: 10, outcomes: [ok] }, "The time limit ran out after 10 executions: a sample, not a proof."],
  ];
  for (const [rep, want] of cases) assert.equal(verdict(rep), want, `verdict(${JSON.stringify(rep)})`);
});

test("progressText counts what was found so far", () => {
  assert.equal(progressText({ schedules: 5120, runs: 5121, outcomes: 1, elapsed_ns: 1.25e9 }), "Exploring… 5,121 executions, 1 outcome so far (1.3 s).");
  assert.equal(progressText({ schedules: 83, runs: 1300, outcomes: 12, elapsed_ns: 2e9 }), "Exploring… 1,300 executions, 12 outcomes so far (2.0 s).");
});

test("doneText says how many ran when dfs counted fewer", () => {
  const outcomes = [{ status: "ok", count: 1 }];
  assert.equal(doneText({ schedules: 4, runs: 4, elapsed_ns: 5e6, outcomes }), "4 executions in 0.01 s, 1 outcome.");
  assert.equal(doneText({ schedules: 78650, runs: 100000, elapsed_ns: 9.1e9, outcomes }), "78,650 executions (100,000 run) in 9.10 s, 1 outcome.");
});

test("verdictText adds pct's guarantee and a limit, once", () => {
  const g = "Each execution finds a given bug of depth 3 with probability at least 1/(n·k^(d-1)) = 0.00103, for n = 3 threads and k = 18 choices";
  const pct = { strategy: "pct", stopped: "budget", schedules: 200, outcomes: [{ status: "ok", count: 200 }], guarantee: g };
  assert.equal(verdictText(pct), `The budget ran out after 200 executions: a sample, not a proof. ${g}.`);
  const lim = { strategy: "dfs", stopped: "limit", schedules: 1, outcomes: [{ status: "limit", count: 1 }], limit: "The run went over the step limit of 100 steps." };
  assert.equal(verdictText(lim), "A limit stopped it after 1 execution. The run went over the step limit of 100 steps.");
});
