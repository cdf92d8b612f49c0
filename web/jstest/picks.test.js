// "You schedule" without the page: schedules as step counts, the picks
// panel's state through picks, undo and redo, and its words.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  scheduleEntries, scheduleString, choicesIn, lastPick, dropLast, reached,
  stepsText, solvedText, endedText, fixHeldText, youQuery, Picks,
  pickLines, threadAtLine, pickLineTitle,
} from "../static/step/picks.js";

test("schedules read, count and shorten as the engine writes them", () => {
  const cases = [
    // schedule, entries, choices, last pick, less its last choice
    ["", [], 0, -1, ""],
    ["0*3", [{ th: 0, n: 3 }], 3, 0, "0*2"],
    ["0*2.1*6.0*2", [{ th: 0, n: 2 }, { th: 1, n: 6 }, { th: 0, n: 2 }], 10, 0, "0*2.1*6.0"],
    ["0*2.1", [{ th: 0, n: 2 }, { th: 1, n: 1 }], 3, 1, "0*2"],
    ["12", [{ th: 12, n: 1 }], 1, 12, ""],
  ];
  for (const [s, entries, n, last, shorter] of cases) {
    assert.deepEqual(scheduleEntries(s), entries, `scheduleEntries(${JSON.stringify(s)})`);
    assert.equal(scheduleString(entries), s, `scheduleString(${JSON.stringify(entries)})`);
    assert.equal(choicesIn(s), n, `choicesIn(${JSON.stringify(s)})`);
    assert.equal(lastPick(s), last, `lastPick(${JSON.stringify(s)})`);
    assert.equal(dropLast(s), shorter, `dropLast(${JSON.stringify(s)})`);
  }
  for (const bad of ["x", "1*", "1*0", "1..2", "-1"]) {
    assert.equal(scheduleEntries(bad), null, `scheduleEntries(${JSON.stringify(bad)})`);
    assert.equal(choicesIn(bad), 0, `choicesIn(${JSON.stringify(bad)})`);
  }
});

test("goals match the statuses that show them", () => {
  assert.ok(reached("deadlock", "deadlock"));
  assert.ok(reached("fail", "failed"));
  assert.ok(!reached("fail", "deadlock"));
  assert.ok(!reached("deadlock", "ok"));
  assert.ok(!reached("", "deadlock"), "a scenario without a goal is never solved");
});

test("the panel's words", () => {
  assert.equal(stepsText(1), "1 step so far");
  assert.equal(stepsText(7), "7 steps so far");
  assert.equal(solvedText(7, 5), "Solved in 7 steps; the shortest known solution takes 5.");
  assert.equal(solvedText(1, 0), "Solved in 1 step.");
  assert.match(solvedText(4, 5), /shorter still/);
  assert.match(endedText("deadlock", "ok"), /ended normally, without a deadlock\. Undo/);
  assert.match(endedText("fail", "deadlock"), /ended with status deadlock, without a failed check/);
  assert.match(endedText("", "ok"), /press You schedule/);
  assert.equal(endedText("deadlock", "stopped", "stopped: no pick for 10m0s; the run waited for you and was ended."),
    "stopped: no pick for 10m0s; the run waited for you and was ended. Undo to go on from one step back, or press You schedule to start again.");
  // On a fix's page the challenge's goal is out of reach: the end says so.
  assert.equal(fixHeldText("deadlock", "ok"), "The run ended normally, without a deadlock: the fix held. Undo to go back a step and try another pick.");
  assert.equal(fixHeldText("fail", "deadlock"), "The run ended with status deadlock, without a failed check: the fix held. Undo to go back a step and try another pick.");
  assert.match(fixHeldText("fail", "failed"), /the fix did not keep a failed check out/);
  const q = youQuery(new URLSearchParams("mode=sim&seed=0"), "0*2.1");
  assert.equal(q.toString(), "mode=sim&seed=0&schedule=0*2.1&you=1");
  assert.equal(youQuery(new URLSearchParams("schedule=1"), "").toString(), "you=1");
});

// choice is a choice message as the server sends it.
function choice(n, schedule, ths, current = -1) {
  return { type: "choice", n, current, schedule, runnable: ths.map((th) => ({ th, name: `t${th}`, blocks: false, next: { k: "lock", obj: "m", line: 3 }, text: `t${th} will lock m (line 3)` })) };
}

test("picks: one message per choice, only of a runnable thread", () => {
  const p = new Picks();
  p.start();
  assert.equal(p.pick(0), null, "no choice yet: nothing to send");
  p.onChoice(choice(0, "", [0, 1]));
  assert.equal(p.steps, 0);
  assert.equal(p.canUndo, false, "nothing to undo at choice 0");
  assert.equal(p.undo(), null);
  assert.equal(p.pick(5), null, "thread 5 is not runnable");
  assert.deepEqual(p.pick(1), { type: "pick", th: 1 });
  assert.equal(p.pick(0), null, "a second pick before the next choice is not sent");
  p.onChoice(choice(1, "1", [0, 1], 1));
  assert.deepEqual(p.pick(0, "blocks"), { type: "pick", th: 0, until: "blocks" });
  p.onChoice(choice(4, "1.0*3", [1]));
  assert.equal(p.steps, 4);
});

test("undo and redo: redo sends the undone picks again, in order", () => {
  const p = new Picks();
  p.start();
  p.onChoice(choice(2, "0.1", [0, 1]));
  assert.deepEqual(p.undo(), { type: "undo" });
  assert.equal(p.undo(), null, "one undo at a time");
  p.onRestart({ schedule: "0" });
  p.onChoice(choice(1, "0", [0, 1]));
  assert.deepEqual(p.undo(), { type: "undo" });
  p.onRestart({ schedule: "" });
  p.onChoice(choice(0, "", [0, 1]));
  assert.equal(p.canRedo, true);
  assert.deepEqual(p.redo(), { type: "pick", th: 0 }, "redo picks the last undone first");
  p.onChoice(choice(1, "0", [0, 1]));
  assert.deepEqual(p.redo(), { type: "pick", th: 1 });
  p.onChoice(choice(2, "0.1", [0, 1]));
  assert.equal(p.canRedo, false, "everything undone is redone");
  // A pick of another thread forgets what was undone.
  p.undo();
  p.onRestart({ schedule: "0" });
  p.onChoice(choice(1, "0", [0, 1]));
  assert.equal(p.canRedo, true);
  p.pick(0);
  p.onChoice(choice(2, "0*2", [0, 1]));
  assert.equal(p.canRedo, false);
});

test("after the end, undo starts again from the schedule less its last choice", () => {
  const p = new Picks();
  p.start("0*2.1");
  p.onEnd({ status: "deadlock", schedule: "0*2.1*2.2" });
  assert.equal(p.steps, 5, "the steps are the result's choices");
  assert.equal(p.canUndo, true);
  assert.deepEqual(p.undo(), { restart: "0*2.1*2" });
  p.start("0*2.1*2", true);
  assert.equal(p.canRedo, false, "nothing to redo until the choice comes");
  p.onChoice(choice(6, "0*2.1*2", [1, 2]));
  assert.deepEqual(p.redo(), { type: "pick", th: 2 });
  const q = new Picks();
  q.start();
  q.onEnd({ status: "ok", schedule: "" });
  assert.equal(q.canUndo, false, "a run that ended before any choice has nothing to undo");
});

test("a refused pick or undo leaves the choice and the undone picks as they were", () => {
  const p = new Picks();
  p.start();
  p.onChoice(choice(1, "0", [0, 1]));
  p.undo();
  p.onRestart({ schedule: "" });
  p.onChoice(choice(0, "", [0, 1]));
  assert.deepEqual(p.pick(1), { type: "pick", th: 1 });
  assert.equal(p.choice, null);
  p.onRefused();
  assert.equal(p.choice.n, 0, "the choice is back");
  assert.equal(p.canRedo, true, "the undone pick is still there to redo");
  assert.deepEqual(p.redo(), { type: "pick", th: 0 });
});

test("a click on a line picks the first thread, in lane order, that runs it next", () => {
  const r = (th, line, name = `t${th}`) => ({ th, name, blocks: false, next: { k: "lock", obj: "m", line }, text: "" });
  // The server's order is not the lanes': the lanes go by thread id.
  const runnable = [r(2, 62, "beta"), r(0, 69, "main"), r(1, 62, "alpha"), { th: 3, name: "t3", next: { k: "end", line: 0 } }];
  assert.equal(threadAtLine(runnable, 62), 1, "alpha and beta wait at 62: alpha's lane comes first");
  assert.equal(threadAtLine(runnable, 69), 0);
  assert.equal(threadAtLine(runnable, 63), -1, "no thread runs 63 next");
  assert.equal(threadAtLine(runnable, 0), -1, "a thread with no line is picked by its button only");
  assert.equal(threadAtLine([], 62), -1);
  const lines = pickLines(runnable);
  assert.deepEqual([...lines.keys()].sort(), [62, 69]);
  assert.deepEqual(lines.get(62), [{ th: 1, name: "alpha" }, { th: 2, name: "beta" }]);
  assert.equal(pickLineTitle(lines.get(69)), "main runs this line next: click to pick main");
  assert.equal(pickLineTitle(lines.get(62)), "alpha and beta run this line next: a click picks alpha, the first lane of them; pick another with its button");
  assert.match(pickLineTitle([{ th: 1, name: "a" }, { th: 2, name: "b" }, { th: 5, name: "c" }]), /^a, b and c run this line next: a click picks a,/);

  const p = new Picks();
  p.start();
  assert.equal(p.atLine(62), -1, "no choice pending: a line click picks nothing");
  p.onChoice({ type: "choice", n: 3, current: 0, schedule: "0*3", runnable });
  assert.equal(p.atLine(62), 1);
  assert.deepEqual(p.pick(p.atLine(62)), { type: "pick", th: 1 });
  assert.equal(p.atLine(62), -1, "the pick is under way: the next choice decides");
});
