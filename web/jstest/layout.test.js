// The timeline's geometry: ticks, the view's fit, zoom and pan, lanes.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as L from "../static/timeline/layout.js";
import { fold } from "../static/timeline/shape.js";
import { readFixture } from "./fixtures.js";

const trace = (name) => fold(structuredClone(readFixture(name).events));

test("niceStep rounds up to 1, 2 or 5 times a power of ten", () => {
  for (const [raw, want] of [[1, 1], [1.5, 2], [3, 5], [7, 10], [0.03, 0.05], [1234, 2000]]) {
    assert.ok(Math.abs(L.niceStep(raw) - want) < 1e-12, `niceStep(${raw}) = ${L.niceStep(raw)}, want ${want}`);
  }
});

test("tickLabel writes the view's unit with the decimals the step needs", () => {
  const cases = [
    [0, 1000, 5e6, "0"],
    [2e6, 1e6, 5e6, "2 ms"],
    [30075000, 5000, 4e7, "30.075 ms"],
    [500, 100, 900, "500 ns"],
    [2.5e9, 5e8, 3e9, "2.5 s"],
    [1500, 500, 5000, "1.5 µs"],
  ];
  for (const [t, step, mag, want] of cases) assert.equal(L.tickLabel(t, step, mag), want, `tickLabel(${t}, ${step}, ${mag})`);
});

test("ticks fall on round times inside the view, left to right", () => {
  const view = { t0: 0, t1: 1e6, follow: false };
  const ts = L.ticks(view, 1000);
  assert.ok(ts.length >= 5 && ts.length <= 12, `${ts.length} ticks`);
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i].x > ts[i - 1].x);
  assert.equal(ts[0].label, "0");
  assert.equal(ts[0].x, 0.5);
  for (const t of ts) assert.ok(t.x >= 0 && t.x <= 1000.5);
});

test("fitRange shows the whole run with room after it", () => {
  const tr = trace("spawn-join");
  const [a, b] = L.fitRange(tr, 1000);
  assert.ok(a < 0 && b > tr.maxT, `[${a}, ${b}] around [0, ${tr.maxT}]`);
  const k = L.scale({ t0: a, t1: b }, 1000);
  assert.ok(Math.abs((b - tr.maxT) * k - L.LIVE_PAD) < 1e-6, "live pad in px");
  assert.ok(Math.abs((0 - a) * k - 12) < 1e-6, "12 px before the start");
});

test("a deadlock leaves room for its cycle's names", () => {
  const tr = trace("deadlock-two-locks");
  tr.finish({ threads: [], deadlock: { cycle: [{ th: 1, thread: "alpha", op: "lock", obj: "second", holder: 2, holder_name: "beta" }] } });
  assert.equal(L.rightPad(tr, 1000), 200);
  assert.equal(L.rightPad(tr, 300), 120);
});

test("zoomAt keeps the time under the pointer and stops following", () => {
  const tr = trace("channels");
  const view = L.newView();
  L.applyFollow(view, tr, 800);
  const px = 200;
  const before = view.t0 + px / L.scale(view, 800);
  L.zoomAt(view, tr, 800, px, 0.5, true);
  const after = view.t0 + px / L.scale(view, 800);
  assert.ok(Math.abs(before - after) < 1e-6, `${before} moved to ${after}`);
  assert.equal(view.follow, false);
});

test("zoomAt of a running run follows its live edge", () => {
  const tr = trace("channels");
  tr.running = true;
  const view = L.newView();
  L.applyFollow(view, tr, 800);
  L.zoomAt(view, tr, 800, 400, 0.25, true);
  assert.equal(view.follow, "edge");
  assert.ok(view.t1 > tr.maxT);
  L.zoomAt(view, tr, 800, 400, 100, true);
  assert.equal(view.follow, "fit");
});

test("zoomAt stays within 20 ns and 50 fits", () => {
  const tr = trace("channels");
  const view = { t0: 0, t1: 100, follow: false };
  L.zoomAt(view, tr, 800, 0, 0.01);
  assert.equal(view.t1 - view.t0, 20);
  const [a, b] = L.fitRange(tr, 800);
  L.zoomAt(view, tr, 800, 0, 1e12);
  assert.ok(Math.abs(view.t1 - view.t0 - (b - a) * 50) < 1e-3);
});

test("panBy moves the view by pixels", () => {
  const view = { t0: 1000, t1: 2000, follow: "fit" };
  L.panBy(view, 100, 10);
  assert.deepStrictEqual(view, { t0: 1100, t1: 2100, follow: false });
});

test("followLive follows the edge when zoomed in, else the whole run", () => {
  const tr = trace("channels");
  const view = { t0: 0, t1: 1000, follow: false };
  L.followLive(view, tr, 800);
  assert.equal(view.follow, "edge");
  [view.t0, view.t1] = L.fitRange(tr, 800);
  L.followLive(view, tr, 800);
  assert.equal(view.follow, "fit");
});

test("layoutLanes stacks lanes, a hold row each, taller with the CPU strip", () => {
  const tr = trace("deadlock-two-locks");
  const { layout, laneAt, height } = L.layoutLanes(tr.lanes, false);
  assert.equal(layout.length, 3);
  let y = 0;
  for (const l of layout) {
    assert.equal(l.y, y);
    assert.equal(l.h, Math.max(L.MIN_LANE, L.PAD + L.ROW0 + (l.lane.rows.length - 1) * L.HOLD + L.PAD));
    assert.equal(laneAt.get(l.lane.id), l);
    y += l.h;
  }
  assert.equal(height, y);
  const alpha = layout.find((l) => l.lane.name === "alpha");
  assert.equal(L.holdY(alpha, 0, { row: 1 }), alpha.y + L.PAD + L.ROW0 + L.HOLD / 2);
  assert.equal(L.holdY(alpha, 10, null), L.laneY(alpha, 10));
  const lane = { kind: "thread", rows: [[]], cpu: [{}] };
  assert.equal(L.laneHeight(lane, true) - L.laneHeight(lane, false), L.CPU + 3);
});

test("liveEnd is a lane's end, or the run's latest time", () => {
  const tr = trace("deadlock-two-locks");
  const main = tr.lanes[0];
  assert.equal(L.liveEnd(tr, main), main.tEnd);
  const open = { tEnd: null, lastT: 5 };
  tr.running = true;
  assert.equal(L.liveEnd(tr, open), tr.maxT);
});

test("separatingWidth zooms until an instant's neighbours are apart", () => {
  const marks = [0, 100, 100, 100, 130, 400].map((t, i) => ({ t, seq: i }));
  // Its nearest neighbour at another time is 30 ns away: 24 px for 30 ns.
  assert.equal(L.separatingWidth(marks, marks[2], 800, 24), (800 * 30) / 24);
  assert.equal(L.separatingWidth(marks, marks[5], 800, 24), (800 * 270) / 24);
  assert.equal(L.separatingWidth([{ t: 5 }], { t: 5 }, 800, 24), null);
  const close = [{ t: 0 }, { t: 1 }];
  assert.equal(L.separatingWidth(close, close[0], 100, 24), 20);
});
