// The timeline's compact storage (store.js) and its level of detail
// (merge.js): events come back as they went in, tables stay sorted, and
// bars merged into pixel columns draw what the bars would, in the colour
// of the state that fills most of each column.

import { test } from "node:test";
import assert from "node:assert/strict";
import { EventStore, SpanRow, Table, SPAN_KINDS } from "../static/timeline/store.js";
import { walkBars, dominant, column, SAMPLE } from "../static/timeline/merge.js";
import { fold } from "../static/timeline/shape.js";
import { readFixture, fixtureNames } from "./fixtures.js";

test("an EventStore gives back each event as it came", () => {
  const events = [
    { seq: 0, t: 0, th: 0, k: "start", obj: "main", line: 3 },
    { seq: 1, t: 10, th: 1, k: "get", obj: "c", v: 41, ver: 2, tid: 5001, cpu: 0 },
    { seq: 2, t: 10, th: 1, k: "set", obj: "c", v: -2.5 },
    { seq: 3, t: 12, th: 2, k: "print", v: "hello, ünïcode" },
    { seq: 4, t: 13, th: 2, k: "trylock", obj: "m", v: true },
    { seq: 5, t: 14, th: 2, k: "trylock", obj: "m", v: false },
    { seq: 6, t: 15, th: 2, k: "received", obj: "ch", v: null },
    { seq: 7, t: 16, th: 2, k: "check", v: { a: [1, "x"] } },
    { seq: 8, t: 17, th: 2, k: "a kind the codec does not know" },
    { seq: 9, t: 18, th: 3, k: "end", cpu: 0, tid: 0, line: 0 },
  ];
  const st = new EventStore();
  for (const e of events) st.push(e);
  assert.equal(st.length, events.length);
  for (let i = 0; i < events.length; i++) assert.deepStrictEqual(st.at(i), events[i], `event ${i}`);
  assert.deepStrictEqual(st.at(-1), events.at(-1));
  assert.equal(st.at(events.length), undefined);
  assert.deepStrictEqual(JSON.parse(JSON.stringify(st)), events);
  assert.deepStrictEqual([...st].map((e) => e.seq), events.map((e) => e.seq));
  assert.equal(st.indexOfSeq(7), 7);
  assert.equal(st.indexOfSeq(70), -1);
  assert.equal(st.find((e) => e.k === "print").v, "hello, ünïcode");
  // Names are stored once however often they come.
  assert.equal(st.strings.list.filter((s) => s === "c").length, 1);
});

test("a Table keeps a column sorted, grows, and trims to its rows", () => {
  const tab = new Table({ t: Float64Array, id: Int32Array });
  const times = [5, 1, 9, 5, 3, 200, 0, 7];
  times.forEach((t, id) => {
    const i = tab.insertSorted("t", t);
    tab.t[i] = t;
    tab.id[i] = id;
  });
  for (let i = 0; i < 100; i++) {
    const j = tab.insertSorted("t", 300 + i);
    tab.t[j] = 300 + i;
    tab.id[j] = 100 + i;
  }
  const ts = Array.from(tab.t.subarray(0, tab.n));
  assert.deepStrictEqual(ts, [...ts].sort((a, b) => a - b));
  // Equal times keep their order of arrival.
  const fives = [];
  for (let i = 0; i < tab.n; i++) if (tab.t[i] === 5) fives.push(tab.id[i]);
  assert.deepStrictEqual(fives, [0, 3]);
  assert.ok(tab.cap > tab.n);
  const before = Array.from(tab.id.subarray(0, tab.n));
  tab.trim();
  assert.equal(tab.cap, tab.n);
  assert.equal(tab.t.length, tab.n);
  assert.deepStrictEqual(Array.from(tab.id), before);
  tab.removeAt(0);
  assert.equal(tab.t[0], 1);
});

// rowOf makes a row of spans from [kind, t0, t1] triples, in order.
function rowOf(spans) {
  const ev = new EventStore();
  const row = new SpanRow(ev, 0);
  spans.forEach(([kind, t0, t1], i) => {
    const a = ev.push({ seq: 2 * i, t: t0, th: 1, k: "lock", obj: "m" });
    const b = ev.push({ seq: 2 * i + 1, t: t1, th: 1, k: "acquired", obj: "m" });
    const j = row.open(kind, a);
    row.t1[j] = t1;
    row.e1[j] = b;
  });
  return row;
}

// walk collects what walkBars would draw.
function walk(row, v0, k, W) {
  const bars = [];
  const cols = [];
  walkBars(row, v0, v0 + W / k, v0, k, Infinity, "span", (i, x0, x1) => bars.push({ i, x0, x1 }), (px, key, n, i) => cols.push({ px, key, n, i }));
  return { bars, cols };
}

test("zoomed in, nothing is merged: every bar is drawn as it is", () => {
  const spans = [];
  for (let i = 0; i < 500; i++) spans.push([SPAN_KINDS[i % 6], i * 100, i * 100 + 40 + (i % 50)]);
  const row = rowOf(spans);
  // 1 px per ns: the narrowest bar is 40 px wide.
  const { bars, cols } = walk(row, 0, 1, 50_000);
  assert.equal(cols.length, 0);
  assert.deepStrictEqual(bars.map((b) => b.i), spans.map((_, i) => i));
  for (const b of bars) assert.equal(b.x1 - b.x0, spans[b.i][2] - spans[b.i][1]);
});

test("zoomed out, one column per pixel stands for every bar in it", () => {
  const spans = [];
  for (let i = 0; i < 20_000; i++) spans.push([SPAN_KINDS[i % 3], i * 10, i * 10 + 5]);
  const row = rowOf(spans);
  const W = 400;
  const { bars, cols } = walk(row, 0, W / 200_000, W);
  assert.equal(bars.length, 0);
  assert.ok(cols.length <= W + 1, `${cols.length} columns for ${W} pixels`);
  assert.equal(cols.reduce((a, c) => a + c.n, 0), spans.length, "every bar is in one column");
  for (let i = 1; i < cols.length; i++) assert.ok(cols[i].px > cols[i - 1].px, "columns left to right");
  assert.ok(cols.every((c) => c.n > 1), "each column says it merges");
});

test("a merged column shows the state that fills most of it", () => {
  // In one pixel (100 ns at 0.01 px/ns): one long work span, many short
  // waits. The waits are more, the work is longer.
  const spans = [["work", 0, 60]];
  for (let i = 0; i < 10; i++) spans.push(["wait", 61 + i * 3, 62 + i * 3]);
  const row = rowOf(spans);
  const { cols } = walk(row, 0, 0.01, 10);
  assert.equal(cols.length, 1);
  assert.equal(SPAN_KINDS[cols[0].key], "work");
  assert.equal(cols[0].n, 11);
  assert.equal(SPAN_KINDS[dominant(row, 1, 11, Infinity, "span")], "wait");
  // Sampled: more bars than SAMPLE still find the dominant state.
  const many = [];
  for (let i = 0; i < 40 * SAMPLE; i++) many.push(i % 4 === 0 ? ["sleep", i * 10, i * 10 + 9] : ["recv", i * 10, i * 10 + 2]);
  const r2 = rowOf(many);
  assert.equal(SPAN_KINDS[dominant(r2, 0, r2.n, Infinity, "span")], "sleep");
  // The tooltip's view of a column agrees with the drawing's.
  const c = column(row, 3, 0, 0.01, Infinity, "span");
  assert.deepStrictEqual({ n: c.n, kind: SPAN_KINDS[c.key], first: c.first }, { n: 11, kind: "work", first: 0 });
});

test("at full zoom the fixtures' rows merge nothing", () => {
  for (const name of fixtureNames()) {
    const tr = fold(structuredClone(readFixture(name).events));
    for (const l of tr.lanes) {
      for (const row of l.rows) {
        if (!row.n) continue;
        // A bar of no time (a lock taken and let go at once) is a pixel
        // at any zoom, but a column of one: nothing is merged.
        const { bars, cols } = walk(row, 0, 1000, 1e15);
        assert.ok(cols.every((c) => c.n === 1), `${name} ${l.name}: ${JSON.stringify(cols)}`);
        assert.equal(bars.length + cols.length, row.n, `${name} ${l.name}`);
      }
    }
  }
});
