// The person as the scheduler ("You schedule"), without the page: what
// the picks panel knows between the server's messages, and the words it
// shows. At every choice of an interactive sim run the server says which
// threads may run next (a `choice`); the person picks one, or undoes the
// last choice (the server replays the schedule less its last choice and
// says `restart`). Redo is the page's own: undone picks are remembered
// and sent again as picks. See docs/protocol.md and the scenario's goal
// in docs/language.md.

// scheduleEntries reads a schedule in the engine's form, `id*count`
// joined by `.` (a bare id counts once), as [{th, n}]; null when it is
// not one.
export function scheduleEntries(s) {
  if (!s) return [];
  const out = [];
  for (const part of s.split(".")) {
    const m = /^(\d+)(?:\*(\d+))?$/.exec(part);
    if (!m) return null;
    const n = m[2] === undefined ? 1 : Number(m[2]);
    if (n < 1) return null;
    out.push({ th: Number(m[1]), n });
  }
  return out;
}

// scheduleString writes entries back in the engine's form.
export function scheduleString(entries) {
  return entries.map((e) => (e.n === 1 ? `${e.th}` : `${e.th}*${e.n}`)).join(".");
}

// choicesIn is how many choices a schedule makes: a person's steps.
export function choicesIn(s) {
  const es = scheduleEntries(s);
  return es ? es.reduce((sum, e) => sum + e.n, 0) : 0;
}

// lastPick is the thread picked at a schedule's last choice, or -1.
export function lastPick(s) {
  const es = scheduleEntries(s);
  return es && es.length ? es[es.length - 1].th : -1;
}

// dropLast is a schedule less its last choice.
export function dropLast(s) {
  const es = scheduleEntries(s);
  if (!es || !es.length) return "";
  const last = es[es.length - 1];
  if (last.n > 1) last.n--;
  else es.pop();
  return scheduleString(es);
}

// Goals: the status that shows each, and its words. The page states
// the goal itself (web/view.go), from the same scenario metadata.
const GOALS = {
  deadlock: { status: "deadlock", noun: "a deadlock" },
  fail: { status: "failed", noun: "a failed check" },
};

// reached says whether a run's status is the goal.
export function reached(goal, status) {
  return !!GOALS[goal] && GOALS[goal].status === status;
}

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

// stepsText is the step count: how many choices the person has made.
export function stepsText(n) {
  return `${plural(n, "step", "steps")} so far`;
}

// solvedText is the line of a solved challenge, with the shortest known
// solution when the scenario says it.
export function solvedText(steps, shortest) {
  const done = `Solved in ${plural(steps, "step", "steps")}`;
  if (!shortest) return `${done}.`;
  if (steps < shortest) return `${done}; the shortest known solution takes ${shortest}: yours is shorter still.`;
  return `${done}; the shortest known solution takes ${shortest}.`;
}

// endedText says why an interactive run ended without reaching the goal.
export function endedText(goal, status, message = "") {
  if (status === "stopped") return `${message || "The run was stopped."} Undo to go on from one step back, or press You schedule to start again.`;
  const g = GOALS[goal];
  const how = status === "ok" ? "ended normally" : `ended with status ${status}`;
  if (!g) return `The run ${how}. Undo to go back a step and pick another thread, or press You schedule to start again.`;
  return `The run ${how}, without ${g.noun}. Undo to go back a step and pick another thread.`;
}

// fixHeldText says how a You schedule run on a fix's page ended, beside
// the goal of the challenge it fixes, which it should not reach.
export function fixHeldText(fixesGoal, status) {
  const g = GOALS[fixesGoal];
  const how = status === "ok" ? "ended normally" : `ended with status ${status}`;
  if (!g) return `The run ${how}.`;
  if (g.status === status) return `The run ${how}: the fix did not keep ${g.noun} out. Undo to look at the last steps.`;
  return `The run ${how}, without ${g.noun}: the fix held. Undo to go back a step and try another pick.`;
}

// youQuery marks a link's query as an interactive run with its schedule
// so far: opening it resumes there.
export function youQuery(q, schedule) {
  if (schedule) q.set("schedule", schedule);
  else q.delete("schedule");
  q.set("you", "1");
  return q;
}

// pickLines maps each script line that is the next line of a runnable
// thread (its `next.line` in the choice) to those threads in lane order
// (the lanes go by thread id, main first), so that a click on the line
// picks the first of them: [{th, name}].
export function pickLines(runnable = []) {
  const out = new Map();
  for (const r of [...runnable].sort((a, b) => a.th - b.th)) {
    const line = r.next?.line;
    if (!line) continue;
    if (!out.has(line)) out.set(line, []);
    out.get(line).push({ th: r.th, name: r.name ?? `thread ${r.th}` });
  }
  return out;
}

// threadAtLine is the thread a click on script line `line` picks at a
// choice: the first in lane order of the runnable threads whose next
// operation is on that line, or -1 when none is.
export function threadAtLine(runnable, line) {
  const xs = pickLines(runnable).get(line);
  return xs ? xs[0].th : -1;
}

// pickLineTitle says what a click on a line of pickLines does.
export function pickLineTitle(xs) {
  const [first, ...rest] = xs;
  if (!rest.length) return `${first.name} runs this line next: click to pick ${first.name}`;
  const names = xs.map((x) => x.name);
  const all = `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `${all} run this line next: a click picks ${first.name}, the first lane of them; pick another with its button`;
}

// Picks is the panel's state between messages: the choice waiting for a
// pick (null while a pick or an undo is under way, or once the run has
// ended), the undone picks that redo sends again, and the run's end. Its
// methods return the message to send, or null when there is none to send
// now (a double click, a pick of a thread that cannot run).
export class Picks {
  constructor() {
    this.reset();
  }
  reset() {
    this.choice = null;
    this.redoStack = [];
    this.ended = null; // the result, once the run has ended
    this.schedule = ""; // the schedule so far
    this.before = null; // the state before the pick or undo under way
  }
  // start is a new interactive run from prefix; redo survives it when the
  // run replays an undone prefix after its end.
  start(prefix = "", keepRedo = false) {
    const redo = keepRedo ? this.redoStack : [];
    this.reset();
    this.redoStack = redo;
    this.schedule = prefix;
  }
  onChoice(m) {
    this.choice = m;
    this.schedule = m.schedule || "";
  }
  onRestart(m) {
    this.choice = null;
    this.schedule = m.schedule || "";
  }
  onEnd(res) {
    this.choice = null;
    this.ended = res;
    if (res && typeof res.schedule === "string") this.schedule = res.schedule;
  }
  // steps is the person's step count: the choices made so far.
  get steps() {
    return this.choice ? this.choice.n : choicesIn(this.schedule);
  }
  runnable(th) {
    return !!this.choice && this.choice.runnable.some((r) => r.th === th);
  }
  // atLine is the thread a click on a script line picks now (see
  // threadAtLine), or -1: none waits there, or no choice is pending.
  atLine(line) {
    return this.choice ? threadAtLine(this.choice.runnable, line) : -1;
  }
  // pick runs thread th to the next choice, or with until "blocks" until
  // it blocks. A pick other than the next undone one forgets the undone.
  pick(th, until = "") {
    if (!this.runnable(th)) return null;
    this.save();
    const top = this.redoStack[this.redoStack.length - 1];
    if (!until && top === th) this.redoStack.pop();
    else this.redoStack = [];
    this.choice = null;
    const msg = { type: "pick", th };
    if (until) msg.until = until;
    return msg;
  }
  get canUndo() {
    return (!!this.choice && this.choice.n > 0) || (!!this.ended && choicesIn(this.schedule) > 0);
  }
  get canRedo() {
    return this.redoStack.length > 0 && !!this.choice;
  }
  // undo goes back one choice: on a run still waiting, the server's undo;
  // after the end, {restart: prefix}, a new interactive run of the
  // schedule less its last choice.
  undo() {
    if (!this.canUndo) return null;
    this.save();
    this.redoStack.push(lastPick(this.schedule));
    if (this.ended) return { restart: dropLast(this.schedule) };
    this.choice = null;
    return { type: "undo" };
  }
  // save keeps the state a pick or an undo leaves, for onRefused.
  save() {
    this.before = { choice: this.choice, redo: [...this.redoStack] };
  }
  // onRefused is the server's refusal of the last pick or undo: the run
  // and its choice stay as they were, and so does the panel.
  onRefused() {
    if (!this.before || this.ended) return;
    this.choice = this.before.choice;
    this.redoStack = this.before.redo;
    this.before = null;
  }
  // redo picks the last undone thread again.
  redo() {
    if (!this.canRedo || !this.choice) return null;
    return this.pick(this.redoStack[this.redoStack.length - 1]);
  }
}
