// What the timeline says in words, and the binary searches under it.

import { SegRow } from "../static/timeline/store.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { laneWords, barText, tipLines, spanSentence, SPAN_LABEL } from "../static/timeline/words.js";
import { firstAt, firstEndingAt, insertSorted, nextAt, eventBySeq } from "../static/timeline/search.js";
import { spanOf, barAt } from "../static/timeline/hit.js";
import { fold } from "../static/timeline/shape.js";
import { readFixture } from "./fixtures.js";

const CYCLE = [
  { th: 1, thread: "alpha", op: "lock", obj: "second", holder: 2, holder_name: "beta", line: 54 },
  { th: 2, thread: "beta", op: "lock", obj: "first", holder: 1, holder_name: "alpha", line: 54 },
];

test("laneWords says a lane's state", () => {
  const tr = fold(structuredClone(readFixture("deadlock-two-locks").events));
  assert.equal(laneWords(tr, tr.lanes[1]), "✂ cut off");
  tr.finish({ threads: [], deadlock: { cycle: CYCLE } });
  assert.equal(laneWords(tr, tr.lanes[1]), "⟳ deadlocked");
  const lu = fold(structuredClone(readFixture("lost-update").events));
  assert.equal(laneWords(lu, lu.lanes[0]), "ended");
  lu.running = true;
  assert.equal(laneWords(lu, { kind: "thread", state: "new", flags: [], tids: new Set() }), "running");
  lu.running = false;
  assert.equal(laneWords(lu, { kind: "thread", state: "new", flags: [], tids: new Set() }), "not started");
});

test("an OS lane names the threads it ran, three at most", () => {
  const tr = fold([]);
  for (let i = 1; i <= 4; i++) tr.thread(i, `w${i}`);
  const segsOf = (ths) => {
    const segs = new SegRow("th");
    ths.forEach((th, t) => segs.extend(th, t, th));
    return segs;
  };
  assert.equal(laneWords(tr, { kind: "os", segs: segsOf([1, 2, 1, 3, 4]) }), "w1, w2, w3…");
  assert.equal(laneWords(tr, { kind: "os", segs: segsOf([1, 2]) }), "w1, w2");
});

test("barText and the span labels", () => {
  const tr = fold([]);
  tr.thread(3, "carol");
  assert.equal(barText(tr, { th: 3 }, "seg"), "carol");
  assert.equal(barText(tr, { th: 9 }, "seg"), "#9");
  assert.equal(barText(tr, { cpu: 1 }, "cpu"), "cpu 1");
  assert.equal(barText(tr, { kind: "wait", obj: "m" }, "span"), "wait for m");
  assert.equal(barText(tr, { kind: "odd" }, "span"), "odd");
  assert.equal(SPAN_LABEL.send({ obj: "ch" }), "send → ch");
  assert.equal(spanSentence({ kind: "sleep", v: 5 }, "a"), "a sleeps 5 ms");
  assert.equal(spanSentence({ kind: "send", v: "hi", obj: "ch" }, "a"), 'a is blocked sending "hi" on ch');
});

test("tipLines of an event, a span and nothing", () => {
  const tr = fold(structuredClone(readFixture("lock-handoff").events));
  const e = tr.events.find((x) => x.k === "set");
  const lines = tipLines(tr, { e });
  assert.match(lines[0], /^worker-\d writes counter ← \d$/);
  assert.match(lines[1], new RegExp(`seq ${e.seq} · line ${e.line}$`));
  assert.equal(lines.at(-1), "Click to show its line in the script");
  const hold = tr.allSpans().find((s) => s.kind === "hold");
  const L = { lane: tr.threads.get(hold.th) };
  const sl = tipLines(tr, { L, span: hold });
  assert.match(sl[0], /holds lock/);
  assert.match(sl[1], /^for /);
  assert.equal(tipLines(tr, { L }), null);
  assert.equal(tipLines(tr, null), null);
});

test("firstAt, firstEndingAt, nextAt and insertSorted", () => {
  const arr = [1, 3, 3, 5, 9].map((t) => ({ t }));
  assert.equal(firstAt(arr, 3), 1);
  assert.equal(firstAt(arr, 4), 3);
  assert.equal(firstAt(arr, 10), 5);
  assert.equal(nextAt(arr, 5, 0, arr.length, "t"), 3);
  const long = Array.from({ length: 100 }, (_, i) => ({ t: i }));
  assert.equal(nextAt(long, 77, 2, 100, "t"), 77);
  assert.equal(nextAt(long, 500, 2, 100, "t"), 100);
  const row = [{ t0: 0, t1: 2 }, { t0: 3, t1: 4 }, { t0: 5, t1: null }];
  assert.equal(firstEndingAt(row, 2.5), 1);
  assert.equal(firstEndingAt(row, 1e9), 2);
  const s = [{ t: 1, n: "a" }, { t: 2, n: "b" }];
  assert.equal(insertSorted(s, { t: 1, n: "c" }, "t"), 1);
  assert.deepStrictEqual(s.map((x) => x.n), ["a", "c", "b"]);
});

test("eventBySeq, spanOf and barAt", () => {
  const tr = fold(structuredClone(readFixture("lock-handoff").events));
  assert.equal(eventBySeq(tr.events, 7).seq, 7);
  assert.equal(eventBySeq(tr.events, 1e6), null);
  assert.equal(eventBySeq([{ seq: 5 }, { seq: 2 }], 2).seq, 2);
  const hold = tr.allSpans().find((s) => s.kind === "hold" && s.seq1 >= 0);
  const lane = tr.threads.get(hold.th);
  assert.deepStrictEqual(spanOf(lane, eventBySeq(tr.events, hold.seq1)), hold);
  assert.equal(spanOf(lane, tr.events.find((e) => e.k === "get")), null);
  assert.deepStrictEqual(barAt(lane.rows[hold.row], (hold.t0 + hold.t1) / 2, 0), hold);
  assert.equal(barAt(lane.rows[hold.row], hold.t1 + 10, 0), null);
});
