// The formatting shared by the timeline, the log and the result panel.

import { test } from "node:test";
import assert from "node:assert/strict";
import { fmtTime, fmtValue, esc, describe, isProblem, KINDS, KIND_GROUPS, failingLine } from "../static/format.js";
import { MARK_KINDS } from "../static/timeline/model.js";

test("fmtTime keeps a digit before the point in the largest unit", () => {
  const cases = [[0, "0 ns"], [950, "950 ns"], [12500, "12.5 µs"], [3.2e6, "3.20 ms"], [1.25e9, "1.25 s"], [-2000, "-2.00 µs"], [123456789, "123 ms"], [NaN, ""], [null, ""], [undefined, ""]];
  for (const [ns, want] of cases) assert.equal(fmtTime(ns), want, `fmtTime(${ns})`);
});

test("fmtValue writes values as a script prints them", () => {
  const cases = [[undefined, ""], [null, "None"], [true, "True"], [false, "False"], ["hi", '"hi"'], [42, "42"], [[1, 2], "1,2"]];
  for (const [v, want] of cases) assert.equal(fmtValue(v), want, `fmtValue(${JSON.stringify(v)})`);
});

test("esc escapes HTML", () => {
  assert.equal(esc(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(esc(5), "5");
});

test("describe says what an event did", () => {
  const cases = [
    [{ k: "get", obj: "counter", v: 3 }, "reads counter → 3"],
    [{ k: "set", obj: "counter", v: 4 }, "writes counter ← 4"],
    [{ k: "trylock", obj: "m", v: false }, "tries lock m: busy"],
    [{ k: "cutoff" }, "is cut off (main returned)"],
    [{ k: "check", obj: "failed", v: "lost" }, "✗ check failed: lost"],
    [{ k: "sent", obj: "ch", v: "hi" }, 'sent "hi" on ch'],
    [{ k: "mystery", obj: "x", v: 1 }, "mystery x 1"],
  ];
  for (const [e, want] of cases) assert.equal(describe(e), want, `describe(${JSON.stringify(e)})`);
});

test("every kind is in one group, and instants are kinds", () => {
  assert.equal(new Set(KINDS).size, KINDS.length);
  assert.equal(KIND_GROUPS.reduce((n, g) => n + g.kinds.length, 0), KINDS.length);
  for (const k of MARK_KINDS) assert.ok(KINDS.includes(k), `instant kind ${k} has no group`);
  assert.ok(isProblem({ k: "panic" }));
  assert.ok(isProblem({ k: "check", obj: "failed" }));
  assert.ok(!isProblem({ k: "check", obj: "ok" }));
});

test("failingLine marks a thread's panic, not main's join", () => {
  const res = { status: "panic", error: { line: 7, msg: "join: thread thread-1 panicked at line 3: boom" } };
  const flags = [
    { k: "check", seq: 2, line: 2, v: "x" },
    { k: "panic", seq: 6, th: 0, line: 7, v: "join: thread thread-1 panicked at line 3: boom" },
    { k: "panic", seq: 4, th: 1, line: 3, v: "boom" },
  ];
  assert.deepEqual(failingLine(res, flags), { line: 3, msg: "panicked: boom" });
  assert.deepEqual(failingLine({ status: "error", error: { line: 4, msg: "bad" } }, flags), { line: 4, msg: "bad" });
  assert.deepEqual(failingLine({ status: "panic", error: { line: 7, msg: "m" } }, []), { line: 7, msg: "m" });
  assert.deepEqual(failingLine({ status: "ok" }, []), { line: 0, msg: "" });
});
