// The folding against its golden fixtures (web/testdata/fold), and the
// model's invariants that the renderer's binary searches rely on.

import { test } from "node:test";
import assert from "node:assert/strict";
import { fold, shapeOf } from "../static/timeline/shape.js";
import { fixtureNames, readFixture } from "./fixtures.js";

const names = fixtureNames();

test("there are fixtures", () => {
  assert.ok(names.length >= 4, `fixtures: ${names.join(", ")}`);
});

for (const name of names) {
  test(`fold ${name}`, () => {
    const fx = readFixture(name);
    const got = shapeOf(fold(structuredClone(fx.events)));
    // On a deliberate change: node web/jstest/update-fold.js
    assert.deepStrictEqual(got.spans, fx.spans, "spans");
    assert.deepStrictEqual(got.arrows, fx.arrows, "arrows");
    assert.deepStrictEqual(got.instants, fx.instants, "instants");
  });

  test(`fold ${name} in chunks`, () => {
    // The socket delivers events in batches: the folding must not care.
    const fx = readFixture(name);
    const events = structuredClone(fx.events);
    const t = fold([]);
    for (let i = 0; i < events.length; i += 3) t.addAll(events.slice(i, i + 3));
    assert.deepStrictEqual(shapeOf(t), { spans: fx.spans, arrows: fx.arrows, instants: fx.instants });
  });

  test(`fold ${name}: sorted rows and arrows`, () => {
    const t = fold(structuredClone(readFixture(name).events));
    for (const l of t.lanes) {
      for (let i = 1; i < l.marks.length; i++) assert.ok(l.marks.at(i - 1).t <= l.marks.at(i).t, `${l.name} marks`);
      for (const row of l.rows) {
        for (let i = 1; i < row.length; i++) assert.ok(row.at(i - 1).t0 <= row.at(i).t0, `${l.name} row`);
      }
    }
    for (const arr of Object.values(t.arrows)) {
      for (let i = 1; i < arr.length; i++) assert.ok(arr.at(i - 1).tb <= arr.at(i).tb, "arrows by tb");
    }
  });
}

test("a deadlock's cycle lands on its wait and hold spans", () => {
  const fx = readFixture("deadlock-two-locks");
  const cycle = [
    { th: 1, thread: "alpha", op: "lock", obj: "second", holder: 2, holder_name: "beta", line: 54 },
    { th: 2, thread: "beta", op: "lock", obj: "first", holder: 1, holder_name: "alpha", line: 54 },
  ];
  const t = fold(structuredClone(fx.events), { status: "deadlock", deadlock: { cycle }, threads: [] });
  assert.equal(t.cycle.length, 2);
  for (const c of t.cycle) {
    assert.ok(c.wait && c.wait.cycle, `${c.thread} wait`);
    assert.ok(c.hold && c.hold.cycle, `${c.thread} hold`);
    assert.equal(c.hold.obj, c.obj);
  }
  assert.ok(t.lanes.find((l) => l.name === "alpha").deadlocked);
});

test("a zero-length span is not kept", () => {
  const t = fold([
    { seq: 0, t: 0, th: 0, k: "start", obj: "main" },
    { seq: 1, t: 5, th: 0, k: "lock", obj: "m" },
    { seq: 2, t: 5, th: 0, k: "acquired", obj: "m" },
    { seq: 3, t: 9, th: 0, k: "unlock", obj: "m" },
  ]);
  assert.deepStrictEqual(shapeOf(t).spans.map((s) => s.kind), ["hold"]);
});
