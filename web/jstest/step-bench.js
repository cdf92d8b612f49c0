// A benchmark of the step cursor's state (not a test: run it by hand,
// `node web/jstest/step-bench.js [events] [cells]`): a synthetic run of 16
// workers locking, reading and writing cells with versions, sending and
// receiving, is stepped at random positions; it prints the time to
// build the checkpoints once and the time of stateAt per position.

import { Stepper } from "../static/step/state.js";

const N = Number(process.argv[2] || 1_000_000);
const W = 16;
const CELLS = Number(process.argv[3] || 8);

function synth(n) {
  const ev = [];
  let t = 0;
  const ver = new Map();
  let sent = 0;
  const push = (e) => ev.push({ seq: ev.length, t: (t += 1000), ...e });
  push({ th: 0, k: "start", obj: "main", line: 1 });
  for (let w = 1; w <= W; w++) push({ th: 0, k: "spawn", obj: `worker-${w}`, v: w, line: 2 });
  for (let w = 1; w <= W; w++) push({ th: w, k: "start", obj: `worker-${w}`, line: 5 });
  // mulberry32: a seeded generator whose low bits are as random as its
  // high ones.
  let r = 7;
  const rand = (m) => {
    r = (r + 0x6d2b79f5) | 0;
    let x = Math.imul(r ^ (r >>> 15), 1 | r);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % m;
  };
  while (ev.length < n - W - 1) {
    const th = 1 + rand(W);
    const cell = `c${rand(CELLS)}`;
    const lock = `m${rand(4)}`;
    const v0 = ver.get(cell) ?? 0;
    switch (rand(4)) {
      case 0:
        push({ th, k: "lock", obj: lock, line: 6 });
        push({ th, k: "acquired", obj: lock, line: 6 });
        push({ th, k: "get", obj: cell, v: v0 * 3, ver: v0, line: 7 });
        ver.set(cell, v0 + 1);
        push({ th, k: "set", obj: cell, v: (v0 + 1) * 3, ver: v0 + 1, line: 8 });
        push({ th, k: "unlock", obj: lock, line: 9 });
        break;
      case 1:
        ver.set(cell, v0 + 1);
        push({ th, k: "add", obj: cell, v: v0 * 3, ver: v0 + 1, line: 10 });
        break;
      case 2:
        push({ th, k: "send", obj: "jobs", v: sent, line: 11 });
        push({ th, k: "sent", obj: "jobs", v: sent, ver: ++sent, line: 11 });
        break;
      default:
        push({ th, k: "recv", obj: "jobs", line: 12 });
        push({ th, k: "received", obj: "jobs", v: 0, ver: 1, line: 12 });
    }
  }
  for (let w = 1; w <= W; w++) push({ th: w, k: "end" });
  push({ th: 0, k: "end" });
  return ev;
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

const ev = synth(N);
console.log(`${ev.length} events, ${CELLS} cells, node ${process.version}`);
let t0 = performance.now();
new Stepper(ev).stateAt(ev.length - 1);
console.log(`first stateAt at the end, checkpoints built lazily: ${(performance.now() - t0).toFixed(1)} ms`);
const st = new Stepper(ev);
t0 = performance.now();
st.build();
console.log(`build (index and ${st.checks.length} checkpoints, every ${st.every} or more): ${(performance.now() - t0).toFixed(1)} ms`);
const sliced = new Stepper(ev);
const slices = [];
for (let done = false; !done;) {
  const a = performance.now();
  done = sliced.buildSome();
  slices.push(performance.now() - a);
}
slices.sort((a, b) => a - b);
console.log(`build in ${slices.length} slices of 100,000 events, as the page does: p50 ${pct(slices, 50).toFixed(1)} ms, max ${slices[slices.length - 1].toFixed(1)} ms`);
const times = [];
let r = 99;
for (let k = 0; k < 2000; k++) {
  r = (Math.imul(r, 1103515245) + 12345) >>> 0;
  const i = r % ev.length;
  const a = performance.now();
  st.stateAt(i);
  times.push(performance.now() - a);
}
times.sort((a, b) => a - b);
console.log(`stateAt at 2,000 random positions: p50 ${pct(times, 50).toFixed(3)} ms, p99 ${pct(times, 99).toFixed(3)} ms, max ${times[times.length - 1].toFixed(3)} ms`);
const steps = [];
for (let i = ev.length - 1000; i < ev.length; i++) {
  const a = performance.now();
  st.stateAt(i);
  steps.push(performance.now() - a);
}
steps.sort((a, b) => a - b);
console.log(`stateAt stepping one event at a time (1,000 steps): p50 ${pct(steps, 50).toFixed(3)} ms, max ${steps[steps.length - 1].toFixed(3)} ms`);
globalThis.gc?.();
console.log(`heap used with the events and the built checkpoints: ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
