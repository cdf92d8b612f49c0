// The page controller's pure parts: settings and the URL, the result
// panel's sentences, the line chip, file names.

import { test } from "node:test";
import assert from "node:assert/strict";
import { paramValue, settingsQuery, keptSchedule, scheduleTitle, MAX_SCHEDULE } from "../static/page/settings.js";
import { explain, waitWords, cycleWords, bannerText, countsText, capitalize } from "../static/page/results.js";
import { chipText } from "../static/page/editing.js";
import { fileStem } from "../static/page/sharing.js";
import { closeSentence, TOO_BIG } from "../static/page/run.js";
import { fold } from "../static/timeline/shape.js";
import { readFixture } from "./fixtures.js";

test("paramValue reads an input by its param's type", () => {
  const cases = [
    ["bool", { checked: true, value: "on" }, true],
    ["int", { value: "42" }, "42"],
    ["int", { value: " 9007199254740993" }, "9007199254740993"],
    ["int", { value: "" }, null],
    ["float", { value: "2.5" }, 2.5],
    ["float", { value: "" }, null],
    ["string", { value: "" }, ""],
    ["choice", { value: "fast" }, "fast"],
  ];
  for (const [type, input, want] of cases) assert.equal(paramValue(type, input), want, `paramValue(${type}, ${JSON.stringify(input)})`);
});

test("settingsQuery writes what the mode needs, in a fixed order", () => {
  const params = { threads: 4, fast: false, name: "x y", left: null };
  const cases = [
    [{ mode: "os" }, "threads=4&fast=false&name=x+y&mode=os"],
    [{ mode: "green", procs: "3" }, "threads=4&fast=false&name=x+y&mode=green&procs=3"],
    [{ mode: "sim", seed: "7" }, "threads=4&fast=false&name=x+y&mode=sim&seed=7"],
    [{ mode: "sim", seed: "7", schedule: "0*4.2" }, "threads=4&fast=false&name=x+y&mode=sim&seed=7&schedule=0*4.2"],
  ];
  for (const [s, want] of cases) assert.equal(settingsQuery({ params, procs: "2", seed: "0", ...s }).toString(), want, JSON.stringify(s));
});

test("a link carries a schedule only if it is short enough", () => {
  assert.equal(keptSchedule("0*4"), "0*4");
  assert.equal(keptSchedule("x".repeat(MAX_SCHEDULE)), "x".repeat(MAX_SCHEDULE));
  assert.equal(keptSchedule("x".repeat(MAX_SCHEDULE + 1)), "");
  assert.equal(keptSchedule(undefined), "");
  assert.match(scheduleTitle("0*4", true), /\(3 characters\)/);
  assert.match(scheduleTitle("", true), /too long/);
  assert.match(scheduleTitle("", false), /Run in sim mode first/);
});

test("explain says what happened in one sentence", () => {
  assert.equal(explain({ status: "error", error: { line: 3, col: 7, msg: "undefined: x" } }), "Line 3, column 7: undefined: x");
  assert.equal(explain({ status: "failed", message: "check failed: lost" }), "check failed: lost");
  assert.equal(explain({ status: "ok" }), "ok");
});

test("a deadlock in words", () => {
  const cycle = [
    { th: 1, thread: "alpha", op: "lock", obj: "second", holder: 2, holder_name: "beta" },
    { th: 2, thread: "beta", op: "lock", obj: "first", holder: 1, holder_name: "alpha" },
  ];
  assert.equal(cycleWords(cycle), "alpha waits for second, held by beta, which waits for first, held by alpha");
  assert.equal(bannerText(cycle, ""), "⟳ Deadlock: alpha waits for second, held by beta, which waits for first, held by alpha. Neither can go on; the red arrows close the cycle.");
  const chan = [{ th: 0, thread: "main", op: "recv", obj: "ch", holder: -1 }];
  assert.equal(waitWords(chan[0]), 'waits to receive from channel "ch", which no thread can use any more');
  assert.equal(bannerText([cycle[0]], ""), "⟳ Deadlock: alpha waits for second, held by beta. It waits for itself and can never go on; the red arrows close the cycle.");
  assert.equal(bannerText([...cycle, cycle[0], cycle[1], cycle[0]], "").endsWith("None of the 5 threads can go on; the red arrows close the cycle."), true);
  assert.equal(bannerText(chan, "deadlock: all threads are blocked"), "⟳ Deadlock: all threads are blocked");
  assert.equal(bannerText(chan, ""), "⟳ Deadlock: every thread is blocked.");
  assert.equal(waitWords({ op: "join", obj: "w1", holder: 1 }), "waits to join w1");
  assert.equal(waitWords({ op: "send", obj: "c", holder: 2, holder_name: "b" }), "waits to send c, held by b");
  assert.equal(capitalize(""), "");
});

test("countsText counts events and threads", () => {
  assert.equal(countsText(fold([])), "");
  const tr = fold(structuredClone(readFixture("deadlock-two-locks").events));
  assert.equal(countsText(tr), "17 events · 3 threads · 11.0 µs");
  tr.running = true;
  assert.match(countsText(tr), / · live$/);
});

test("chipText and fileStem", () => {
  assert.equal(chipText(12, 1), "Line 12: 1 event ringed");
  assert.equal(chipText(12, 3), "Line 12: 3 events ringed");
  assert.equal(fileStem("p-ab/c d"), "p-ab-c-d");
});

test("closeSentence says why the socket closed under a run", () => {
  const cases = [
    [TOO_BIG, "", 700000, "The script is 700000 bytes, more than the script size limit allows: the server refused it and closed the connection. Shorten it and run again."],
    [TOO_BIG, "", 0, "The script is more than the script size limit allows: the server refused it and closed the connection. Shorten it and run again."],
    [1001, "The server is shutting down.", 10, "The server is shutting down."],
    [1006, "", 10, "The connection to the server was lost."],
  ];
  for (const [code, reason, bytes, want] of cases) {
    assert.equal(closeSentence(code, reason, bytes), want, `closeSentence(${code}, ${JSON.stringify(reason)}, ${bytes})`);
  }
});
