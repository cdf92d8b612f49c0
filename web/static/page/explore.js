// Exploring: many runs of the script under different interleavings,
// grouped by how they end, drawn as an outcome histogram. A bar is a
// button: it loads its outcome's representative schedule into the link
// and replays it in sim mode on the timeline. The socket side (sending
// the explore message, progress, explored) is in run.js.

const NUM = new Intl.NumberFormat();

// cellValue writes a final cell value the way a script would print it.
function cellValue(v) {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

// percent says what share n of all is, to the nearest percent ("41%"),
// with two digits below one percent so that a rare outcome is not "0%".
export function percent(n, all) {
  if (!all) return "0%";
  const p = (100 * n) / all;
  if (p < 1 && n > 0) return `${Number(p.toPrecision(2))}%`;
  return `${Math.round(p)}%`;
}

// statusWords names an outcome's status as a person reads it.
function statusWords(s) {
  return s === "failed" ? "check failed" : s;
}

// outcomeLabel is a bar's label: its final values, how it ended and how
// often: "counter = 3 · check failed · 41%".
export function outcomeLabel(o, all) {
  const parts = (o.cells || []).map((c) => `${c.name} = ${cellValue(c.value)}`);
  parts.push(statusWords(o.status));
  if (o.output) {
    let out = o.output.replace(/\n$/, "").replaceAll("\n", " ⏎ ");
    if ([...out].length > 60) out = `${[...out].slice(0, 59).join("")}…`;
    parts.push(`printed ${out}`);
  }
  parts.push(percent(o.count, all));
  return parts.join(" · ");
}

// plural says "1 execution", "2 executions".
function plural(n, what) {
  return `${NUM.format(n)} ${n === 1 ? what : `${what}s`}`;
}

// verdict is the exploration's conclusion in one sentence: a proof when
// dfs covered everything, else what it is.
export function verdict(rep) {
  const failing = (rep.outcomes || []).filter((o) => o.status !== "ok").length;
  const n = rep.schedules;
  if (rep.complete && !failing) return `Verified: all ${plural(n, "distinct execution")} end ok.`;
  if (rep.complete) return `Complete: every execution was covered (${plural(n, "distinct execution")}); ${failing} of ${plural(rep.outcomes.length, "outcome")} fail.`;
  if (rep.strategy === "repeat" && (!rep.stopped || rep.stopped === "budget")) {
    return `${plural(n, "real run")} in ${rep.mode} mode: how often each ending happened on real threads, not a proof.`;
  }
  switch (rep.stopped) {
    case "failure": return `Found a failure after ${plural(n, "execution")}.`;
    case "stop": return `Stopped after ${plural(n, "execution")}: what was found so far.`;
    case "budget": return `The budget ran out after ${plural(n, "execution")}: a sample, not a proof.`;
    case "time": return `The time limit ran out after ${plural(n, "execution")}: a sample, not a proof.`;
    case "limit": return `A limit stopped it after ${plural(n, "execution")}.`;
  }
  if (rep.strategy === "dfs") return `Not complete after ${plural(n, "execution")}: interleavings needing more than ${rep.bound} preemptions were not tried.`;
  return `A sample of ${plural(n, "execution")}, not a proof: only dfs can cover every execution.`;
}

// verdictText is the verdict with what else the report says: pct's
// guarantee per execution, a limit some execution hit (said once).
export function verdictText(rep) {
  const lines = [verdict(rep)];
  if (rep.guarantee) lines.push(`${rep.guarantee}.`);
  if (rep.limit) lines.push(rep.limit);
  return lines.join(" ");
}

// progressText is the line that counts an exploration under way: the
// executions run, which only grow (dfs may count fewer, see doneText).
export function progressText(m) {
  const s = (m.elapsed_ns / 1e9).toFixed(1);
  return `Exploring… ${plural(m.runs ?? m.schedules, "execution")}, ${plural(m.outcomes, "outcome")} so far (${s} s).`;
}

// doneText is the line that counts a finished exploration; a large dfs
// runs some executions again uncounted, and says how many it ran.
export function doneText(rep) {
  const ran = rep.runs > rep.schedules ? ` (${NUM.format(rep.runs)} run)` : "";
  return `${plural(rep.schedules, "execution")}${ran} in ${(rep.elapsed_ns / 1e9).toFixed(2)} s, ${plural(rep.outcomes.length, "outcome")}.`;
}

// setupExplore wires the explore panel; it gives the page exploreOptions,
// showProgress, showExplored and clearExplored.
export function setupExplore(p) {
  const { root, $, $$ } = p;
  const panel = $('[data-testid="explore-panel"]', root);
  if (!panel) return { exploreOptions: () => null, showProgress() {}, showExplored() {}, clearExplored() {} };
  const t = (id) => $(`[data-testid="${id}"]`, panel);
  const strategySel = t("explore-strategy");
  const progressEl = t("explore-progress");
  const verdictEl = t("explore-verdict");
  const hist = t("histogram");
  function syncStrategy() {
    $$("[data-for-strategy]", panel).forEach((l) => { l.hidden = l.dataset.forStrategy !== strategySel.value; });
  }
  strategySel.addEventListener("change", syncStrategy);
  syncStrategy();
  // repeat runs real threads: it is offered in os and green mode only
  // (the other strategies choose sim mode's interleavings in any mode).
  const repeatOpt = $('option[value="repeat"]', strategySel);
  function syncMode() {
    if (!repeatOpt || !p.mode) return;
    const real = p.mode() !== "sim";
    repeatOpt.hidden = !real;
    repeatOpt.disabled = !real;
    if (!real && strategySel.value === "repeat") {
      strategySel.value = "dfs";
      syncStrategy();
    }
  }
  $(".controls", root)?.addEventListener("change", syncMode);
  syncMode();
  // exploreOptions reads the controls into the explore message's fields.
  function exploreOptions(untilFailure) {
    const num = (id) => Number.parseInt(t(id).value, 10);
    const o = { strategy: strategySel.value, budget: num("explore-budget") };
    if (o.strategy === "dfs") o.preemptions = num("explore-preemptions");
    if (o.strategy === "pct") o.depth = num("explore-depth");
    if (untilFailure) o.until_failure = true;
    for (const k of ["budget", "preemptions", "depth"]) if (Number.isNaN(o[k])) delete o[k];
    return o;
  }
  function clearExplored() {
    hist.replaceChildren();
    hist.hidden = true;
    verdictEl.hidden = true;
    verdictEl.textContent = "";
    progressEl.textContent = "";
  }
  function showProgress(m) {
    progressEl.textContent = progressText(m);
  }
  function showExplored(rep) {
    clearExplored();
    progressEl.textContent = doneText(rep);
    verdictEl.textContent = verdictText(rep);
    verdictEl.dataset.complete = String(!!rep.complete);
    verdictEl.hidden = false;
    const most = Math.max(1, ...rep.outcomes.map((o) => o.count));
    for (const o of rep.outcomes) hist.append(bar(o, rep.schedules, most));
    hist.hidden = rep.outcomes.length === 0;
  }
  // bar is one outcome: a button whose width is its share, which replays
  // its representative schedule.
  function bar(o, all, most) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "bar";
    b.dataset.status = o.status;
    b.dataset.schedule = o.schedule || "";
    const label = outcomeLabel(o, all);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${Math.max(2, (100 * o.count) / most)}%`;
    fill.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    text.className = "label";
    text.textContent = label;
    b.append(fill, text);
    if (o.schedule) {
      b.title = `Replay this outcome in sim mode (${plural(o.count, "execution")}; ${plural(o.preemptions, "preemption")})`;
      b.setAttribute("aria-label", `${label}, ${plural(o.count, "execution")}. Replay it.`);
      b.addEventListener("click", () => {
        // The bar on show is marked, for the eye (the replay says the rest).
        $$(".bar.current", hist).forEach((x) => x.classList.remove("current"));
        b.classList.add("current");
        p.replaySchedule(o.schedule);
      });
    } else {
      // A real run: its count is what the bar shows, not a schedule.
      b.disabled = true;
      b.dataset.count = String(o.count);
      b.title = `${plural(o.count, "real run")}; real threads cannot be replayed`;
      b.setAttribute("aria-label", `${label}, ${plural(o.count, "real run")}.`);
      text.textContent = `${label} (${plural(o.count, "run")})`;
    }
    li.append(b);
    return li;
  }
  return { exploreOptions, showProgress, showExplored, clearExplored };
}
