// The step cursor's state module: the state at known events of real
// runs (web/testdata/fold), and checkpoints that agree with a replay
// from the start at many positions.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Stepper, fullReplay } from "../static/step/state.js";
import { stepWhere, findingIndexes, nextFinding, objectsOf, indexBySeq } from "../static/step/nav.js";
import { threadStateText, cellText, lockText, chanText, eventSentence, capacities } from "../static/step/words.js";
import { EventStore } from "../static/timeline/store.js";
import { fixtureNames, readFixture } from "./fixtures.js";

const at = (name) => {
  const ev = readFixture(name).events;
  return { ev, st: new Stepper(ev, 4) };
};
const states = (s) => Object.fromEntries([...s.threads.values()].map((t) => [t.name, threadStateText(s, t)]));

test("lost-update: the counter's value and the threads at known events", () => {
  const { ev, st } = at("lost-update");
  const s5 = st.stateAt(indexBySeq(ev, 5)); // worker-1 reads 0
  assert.equal(s5.cells.get("counter").value, 0);
  assert.deepEqual(states(s5), { main: "waiting to join worker-0", "worker-0": "not started yet", "worker-1": "running" });
  const s12 = st.stateAt(indexBySeq(ev, 12)); // worker-0 writes 3
  const c = s12.cells.get("counter");
  assert.equal(cellText(s12, c), "counter = 3 (version 3, written by worker-0 at line 59)");
  assert.equal(s12.threads.get(2).state, "ended");
  assert.equal(s12.threads.get(0).line, 63);
  assert.equal(eventSentence(s12, ev[12]), "worker-0 writes counter ← 3, line 59.");
  assert.equal(eventSentence(st.stateAt(-1), null, ev.length), "Before the first event.");
});

test("counter-mutex: the lock's holder and the threads' lines", () => {
  const { ev, st } = at("lock-handoff");
  const s = st.stateAt(indexBySeq(ev, 19)); // worker-0 reads 2 holding the lock
  assert.equal(lockText(s, s.locks.get("lock")), "lock: held by worker-0");
  assert.equal(s.cells.get("counter").value, 2);
  assert.equal(s.threads.get(1).line, 62);
  assert.equal(s.threads.get(2).line, 64);
  assert.equal(threadStateText(s, s.threads.get(2)), "ended");
  const free = st.stateAt(indexBySeq(ev, 9)); // worker-1 unlocks
  assert.equal(lockText(free, free.locks.get("lock")), "lock: free");
  const joined = st.stateAt(indexBySeq(ev, 28)); // main joined worker-0
  assert.equal(threadStateText(joined, joined.threads.get(1)), "ended, joined by main");
  assert.equal(joined.threads.get(0).state, "running");
});

test("two-locks: holders, waiters and a deadlock's cut-off threads", () => {
  const { ev, st } = at("deadlock-two-locks");
  const s = st.stateAt(indexBySeq(ev, 13));
  assert.equal(lockText(s, s.locks.get("first")), "first: held by alpha; waiting: beta");
  assert.equal(lockText(s, s.locks.get("second")), "second: held by beta; waiting: alpha");
  assert.equal(threadStateText(s, s.threads.get(1)), "waiting for lock second");
  const end = st.stateAt(ev.length - 1);
  assert.equal(threadStateText(end, end.threads.get(2)), "deadlocked while waiting for lock first");
  assert.equal(threadStateText(end, end.threads.get(0)), "deadlocked while waiting to join alpha");
  const found = findingIndexes(ev, [], [{ th: 1, op: "lock", obj: "second" }, { th: 2, op: "lock", obj: "first" }]);
  assert.deepEqual(found.map((i) => ev[i].seq), [12, 13]);
  assert.equal(nextFinding(found, 0, 1), found[0]);
  assert.equal(nextFinding(found, found[1], 1), found[1]);
  assert.equal(nextFinding(found, found[1], -1), found[0]);
});

test("channels: what a channel holds, sleeping and blocked threads, closing", () => {
  const { ev, st } = at("channels");
  const cap = capacities('words = channel("words")\nb = channel("b", capacity = 2)\nc = channel("c", capacity = n)', { n: 5 });
  const s5 = st.stateAt(indexBySeq(ev, 5)); // "hi" sent, not yet received
  assert.equal(chanText(s5.chans.get("words"), st.contents(s5, "words"), cap.get("words")), 'words: holds "hi", unbounded');
  assert.equal(threadStateText(s5, s5.threads.get(0)), "blocked receiving on words");
  const s6 = st.stateAt(indexBySeq(ev, 6));
  assert.equal(threadStateText(s6, s6.threads.get(1)), "sleeping 1 ms");
  const s7 = st.stateAt(indexBySeq(ev, 7));
  assert.deepEqual(st.contents(s7, "words"), []);
  const s34 = st.stateAt(indexBySeq(ev, 34)); // main gets the None of a closed channel
  assert.equal(chanText(s34.chans.get("words"), st.contents(s34, "words"), cap.get("b")), "words: empty, capacity 2, closed");
  assert.equal(s34.chans.get("words").recv, 4);
  assert.equal(cap.get("c"), 5);
});

test("cut-off: a thread cut off when main returns", () => {
  const { ev, st } = at("cut-off");
  const end = st.stateAt(ev.length - 1);
  const cut = [...end.threads.values()].filter((t) => t.state === "cutoff");
  assert.ok(cut.length > 0, "no thread cut off");
  for (const t of cut) assert.match(threadStateText(end, t), /^cut off/);
});

test("versions: a cell's value from the version it holds, whatever the order events were recorded in", () => {
  const ev = [
    { seq: 0, th: 0, k: "start", obj: "main" },
    { seq: 1, th: 0, k: "add", obj: "n", v: 0, ver: 1 }, // wrote version 1, value unknown yet
    { seq: 2, th: 0, k: "add", obj: "n", v: 5, ver: 2 }, // tells version 1 held 5
    { seq: 3, th: 0, k: "cas", obj: "n", v: true, ver: 3 },
    { seq: 4, th: 0, k: "get", obj: "n", v: 9, ver: 3 },
    { seq: 5, th: 0, k: "get", obj: "n", v: 5, ver: 1 }, // a late-recorded read does not go back
  ];
  const st = new Stepper(ev, 2);
  assert.equal(st.stateAt(1).cells.get("n").value, 5);
  assert.equal(st.stateAt(2).cells.get("n").known, false);
  assert.equal(cellText(st.stateAt(2), st.stateAt(2).cells.get("n")), "n = unknown (version 2, written by main)");
  assert.equal(st.stateAt(3).cells.get("n").value, 9);
  assert.equal(st.stateAt(5).cells.get("n").value, 9);
  // A read of the initial value (version 0, left out) recorded late.
  ev.push({ seq: 6, th: 0, k: "get", obj: "n", v: 0 });
  assert.equal(st.stateAt(6).cells.get("n").value, 9);
  assert.equal(new Stepper(ev.slice(0, 1).concat([{ seq: 1, th: 0, k: "get", obj: "n", v: 0 }])).stateAt(1).cells.get("n").value, 0);
});

// A run of many threads and objects made from the fixtures: each copied
// with its threads and objects renamed, so checkpoints fall mid-run.
function bigRun() {
  const ev = [];
  let seq = 0;
  for (const name of fixtureNames()) {
    for (const e of readFixture(name).events) ev.push({ ...e, seq: seq++, obj: e.obj === undefined ? undefined : `${name}/${e.obj}` });
  }
  return ev;
}

test("checkpoints: the state via checkpoints equals a replay from the start", () => {
  const ev = bigRun();
  let r = 12345;
  const rand = () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) % ev.length;
  for (const [every, perObject] of [[1, 0], [3, 0], [16, 0], [40, 0], [4, 2]]) {
    const st = new Stepper(ev, every, perObject);
    const at = [-1, 0, ev.length - 1, every - 1, every, ...Array.from({ length: 40 }, rand)];
    for (const i of at) {
      const want = fullReplay(ev, i);
      const got = st.stateAt(i);
      assert.deepEqual(got, want, `every ${every}, per object ${perObject}, stateAt(${i})`);
      for (const name of got.chans.keys()) assert.deepEqual(st.contents(got, name), st.contents(want, name));
    }
    assert.ok(st.checks.length > 4, `every ${every}, per object ${perObject}: ${st.checks.length} checkpoints`);
  }
});

test("checkpoints: events that arrive after the first steps", () => {
  const all = bigRun();
  const ev = all.slice(0, 50);
  const st = new Stepper(ev, 8, 0);
  st.stateAt(49);
  ev.push(...all.slice(50));
  for (const i of [49, 60, 100, all.length - 1]) assert.deepEqual(st.stateAt(i), fullReplay(all, i), `stateAt(${i})`);
});

test("stepping by thread and by object, and the objects of a run", () => {
  const { ev } = at("lock-handoff");
  assert.equal(ev[stepWhere(ev, 0, 1)].seq, 1);
  assert.equal(ev[stepWhere(ev, 4, 1, (e) => e.th === 1)].seq, 16);
  assert.equal(ev[stepWhere(ev, 16, -1, (e) => e.th === 2)].seq, 15);
  assert.equal(ev[stepWhere(ev, 9, 1, (e) => e.obj === "counter")].seq, 12);
  assert.equal(stepWhere(ev, ev.length - 1, 1), ev.length - 1);
  assert.deepEqual(objectsOf(ev), [{ name: "counter", kind: "cell" }, { name: "lock", kind: "lock" }]);
});

test("thread states in words: working, panicked, spawned and joined by id", () => {
  const ev = [
    { seq: 0, th: 0, k: "start", obj: "main", line: 1 },
    { seq: 1, th: 0, k: "spawn", obj: "w", v: 1, line: 2 },
    { seq: 2, th: 0, k: "join", obj: "w", v: 1, line: 3 },
    { seq: 3, th: 1, k: "start", obj: "w", line: 5 },
    { seq: 4, th: 1, k: "work", v: 20, line: 6 },
    { seq: 5, th: 1, k: "worked", line: 6 },
    { seq: 6, th: 1, k: "panic", v: "boom", line: 7 },
    { seq: 7, th: 0, k: "joined", obj: "w", v: 1, line: 3 },
  ];
  const st = new Stepper(ev);
  const text = (i, th) => {
    const s = st.stateAt(i);
    return threadStateText(s, s.threads.get(th));
  };
  assert.equal(text(1, 1), "not started yet");
  assert.equal(text(4, 1), "working 20 µs");
  assert.equal(text(5, 1), "running");
  assert.equal(text(6, 1), "panicked: boom");
  assert.equal(text(6, 0), "waiting to join w");
  assert.equal(text(7, 0), "running");
  assert.equal(st.stateAt(7).threads.get(1).joinedBy, 0);
  assert.equal(st.stateAt(7).threads.get(1).line, 7);
});

test("checkpoints built a slice at a time equal those built at once", () => {
  const ev = bigRun();
  const whole = new Stepper(ev, 4, 0);
  whole.build();
  const sliced = new Stepper(ev, 4, 0);
  let slices = 0;
  while (!sliced.buildSome(7)) slices++;
  assert.ok(slices > 10, `${slices} slices`);
  assert.equal(sliced.index.n, ev.length);
  assert.deepEqual(sliced.checks.map((c) => c.i), whole.checks.map((c) => c.i));
  for (const i of [0, 17, 99, ev.length - 1]) assert.deepEqual(sliced.stateAt(i), fullReplay(ev, i));
});

test("checkpoints built in tasks of a few milliseconds, however far apart the checkpoints are", () => {
  const ev = bigRun();
  const whole = new Stepper(ev, 4, 0);
  whole.build();
  const timed = new Stepper(ev, 4, 0);
  let tasks = 1;
  while (!timed.buildFor(0, 7)) tasks++;
  assert.ok(tasks > 10, `${tasks} tasks`);
  assert.deepEqual(timed.checks.map((c) => c.i), whole.checks.map((c) => c.i));
  // Checkpoints further apart than a piece's events: each piece still
  // builds one.
  const wide = new Stepper(ev, 4, 50);
  let pieces = 0;
  while (!wide.buildSome(7)) assert.ok(++pieces < ev.length, "buildSome makes no progress");
  const all = new Stepper(ev, 4, 50);
  all.build();
  assert.deepEqual(wide.checks.map((c) => c.i), all.checks.map((c) => c.i));
});

test("the page's EventStore: the same states, steps and objects as the events as objects", () => {
  const ev = bigRun();
  const store = new EventStore();
  for (const e of ev) store.push(e);
  let r = 777;
  const rand = () => (r = (Math.imul(r, 1103515245) + 12345) >>> 0) % ev.length;
  const st = new Stepper(store, 16, 0);
  st.build();
  for (const i of [-1, 0, 15, 16, ev.length - 1, ...Array.from({ length: 40 }, rand)]) {
    const want = fullReplay(ev, i);
    const got = st.stateAt(i);
    assert.deepEqual(got, want, `stateAt(${i})`);
    for (const name of got.chans.keys()) assert.deepEqual(st.contents(got, name), st.contents(want, name));
  }
  const th = ev[ev.length - 1].th;
  const obj = ev.find((e) => e.obj !== undefined && e.k === "get").obj;
  for (const i of [0, 100, ev.length - 2]) {
    for (const dir of [1, -1]) {
      assert.equal(stepWhere(store, i, dir), stepWhere(ev, i, dir));
      assert.equal(stepWhere(store, i, dir, (e) => e.th === th), stepWhere(ev, i, dir, (e) => e.th === th), `thread ${th} from ${i}`);
      assert.equal(stepWhere(store, i, dir, (e) => e.obj === obj), stepWhere(ev, i, dir, (e) => e.obj === obj), `${obj} from ${i}`);
    }
  }
  assert.deepEqual(objectsOf(store), objectsOf(ev));
  assert.deepEqual(objectsOf(store, 5), objectsOf(ev, 5));
  assert.ok(objectsOf(ev).length > 5);
});
