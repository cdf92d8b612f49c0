// A benchmark of the step cursor (not a test: run it by hand, `node
// --expose-gc web/jstest/step-bench.js [events] [cells] [--vs dir]
// [--objects] [--rounds n]`): a synthetic run of 16 workers locking,
// reading and writing cells with versions, adding, sending and receiving
// is stepped at random positions. It prints what the step panel does
// synchronously when a run ends (objectsOf, for its object chooser); the
// time to build the checkpoints at once, and in the tasks the page builds
// them in after a run ends (the page answers no click during one); the
// time of stateAt per position, in wall time and in the process's CPU
// time (on a loaded machine the two differ: the CPU time is what the
// stepper itself costs); a step to the next event of a thread that has
// none left (a walk to the end); and the heap.
//
// The events are in an EventStore, the typed-array tables the page keeps
// a run's events in (trace.events); with --objects, in an array of
// objects too, for comparison. With --vs, another web/static tree (say
// the one before a change, `mkdir /tmp/before && git archive HEAD~1
// web/static | tar -x -C /tmp/before`, then --vs
// /tmp/before/web/static; --vs may come more than once) has its
// step/state.js and step/nav.js measured on the same events in the same
// process, the trees taking turns for --rounds rounds (default 1; 2 or
// more shows the spread).

import { EventStore } from "../static/timeline/store.js";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const vs = [];
for (let d; (d = flag("--vs")) !== undefined;) vs.push(d);
const rounds = Number(flag("--rounds") || 1);
const objects = args.includes("--objects");
const pos = args.filter((a) => !a.startsWith("--"));
const N = Number(pos[0] || 1_000_000);
const W = 16;
const CELLS = Number(pos[1] || 8);

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
const ms = (x, d = 1) => x.toFixed(d);
const gc = () => globalThis.gc?.();
// cpu is the process's CPU time so far, in ms.
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const heap = () => {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
};

// measure steps through events with one tree's state.js and nav.js and
// prints what it took.
function measure(name, { Stepper, objectsOf, stepWhere }, events) {
  const out = [];
  const say = (s) => out.push(`  ${s}`);
  // timed runs f once and says its wall and CPU time.
  const timed = (f) => {
    gc();
    const c0 = cpu();
    const t0 = performance.now();
    const x = f();
    return [x, `${ms(performance.now() - t0)} ms (CPU ${ms(cpu() - c0)} ms)`];
  };
  const [found, tf] = timed(() => objectsOf(events, 200));
  say(`objectsOf (the object chooser's, when a run ends): ${tf}, ${found.length} objects`);
  say(`stepWhere over every event (the next event of a thread that has none left): ${timed(() => stepWhere(events, 0, 1, (e) => e.th === -1))[1]}`);
  say(`first stateAt at the end, checkpoints built lazily: ${timed(() => new Stepper(events).stateAt(events.length - 1))[1]}`);
  const st = new Stepper(events);
  const [, tb] = timed(() => st.build());
  say(`build at once (index and ${st.checks.length} checkpoints, every ${st.every} or more): ${tb}`);
  gc();
  // The page's ways (step/panel.js), each task set off by setTimeout(0)
  // after the run's end: buildSome() (100,000 events a task) before
  // buildFor, buildFor(10) (about 10 ms a task) since.
  const tasks = (what, f) => {
    const sliced = new Stepper(events);
    const slices = [];
    const c0 = cpu();
    const t0 = performance.now();
    for (let done = false; !done;) {
      const a = performance.now();
      done = f(sliced);
      slices.push(performance.now() - a);
    }
    const total = performance.now() - t0;
    const c = cpu() - c0;
    slices.sort((a, b) => a - b);
    const long = slices.filter((x) => x > 50).length;
    say(`build in ${slices.length} tasks of ${what}: total ${ms(total)} ms (CPU ${ms(c)} ms), task p50 ${ms(pct(slices, 50))} ms, max ${ms(slices[slices.length - 1])} ms, ${long} over 50 ms`);
    gc();
  };
  tasks("100,000 events (buildSome)", (st) => st.buildSome());
  if (Stepper.prototype.buildFor) tasks("about 10 ms (buildFor)", (st) => st.buildFor(10));
  const times = [];
  const cpus = [];
  let r = 99;
  for (let k = 0; k < 2000; k++) {
    r = (Math.imul(r, 1103515245) + 12345) >>> 0;
    const i = r % events.length;
    const c = cpu();
    const a = performance.now();
    st.stateAt(i);
    times.push(performance.now() - a);
    cpus.push(cpu() - c);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const three = (xs) => `p50 ${ms(pct(xs, 50), 3)} ms, p99 ${ms(pct(xs, 99), 3)} ms, max ${ms(xs[xs.length - 1], 3)} ms`;
  say(`stateAt at 2,000 random positions: wall ${three(times)}; CPU ${three(cpus)}`);
  const steps = [];
  for (let i = events.length - 1000; i < events.length; i++) {
    const a = performance.now();
    st.stateAt(i);
    steps.push(performance.now() - a);
  }
  steps.sort((a, b) => a - b);
  say(`stateAt stepping one event at a time (1,000 steps): p50 ${ms(pct(steps, 50), 3)} ms, max ${ms(steps[steps.length - 1], 3)} ms`);
  say(`heap (V8 and array buffers) with the events and one built Stepper: ${ms(heap(), 0)} MiB`);
  console.log(`${name}:\n${out.join("\n")}`);
}

let ev = synth(N);
const store = new EventStore();
for (const e of ev) store.push(e);
store.trim();
if (!objects) ev = null; // the heap then holds the store's events only
console.log(`${store.length} events, ${CELLS} cells, node ${process.version}`);

// tree imports the step cursor's modules of a web/static tree.
async function tree(dir) {
  const url = (f) => pathToFileURL(resolve(dir, f)).href;
  const state = await import(url("step/state.js"));
  const nav = await import(url("step/nav.js"));
  return { Stepper: state.Stepper, objectsOf: nav.objectsOf, stepWhere: nav.stepWhere };
}
const here = new URL("../static/", import.meta.url).pathname;
const trees = [];
for (const d of vs) trees.push([d, await tree(d)]);
trees.push(["this tree", await tree(here)]);
for (let round = 1; round <= rounds; round++) {
  if (rounds > 1) console.log(`round ${round}, load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  for (const [name, mods] of trees) {
    measure(`${name}, EventStore`, mods, store);
    if (objects) measure(`${name}, array of objects`, mods, ev);
  }
}
