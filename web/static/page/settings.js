// The page's settings and its URL: the params, the mode, procs (green),
// seed (sim) and, when "exact interleaving" is ticked, the last sim run's
// schedule. The page's URL always says how to get this page back; the
// server applies all but the schedule, which is read here and sent with
// the next run.

import { youQuery } from "../step/picks.js";

// MAX_SCHEDULE is how many characters of a schedule a link may carry.
export const MAX_SCHEDULE = 16000;

// paramValue reads a param's input as its type says: a bool is a
// checkbox, an empty number is null (the scenario's default). An int goes
// as its text, which the server reads exactly: a JS number would round it
// beyond 2^53, and parseInt would cut "1.5" to 1.
export function paramValue(type, { checked, value }) {
  if (type === "bool") return checked;
  if (type === "int") return value === "" ? null : value.trim();
  if (type === "float") return value === "" ? null : Number.parseFloat(value);
  return value;
}

// settingsQuery is the settings as a link's query: params (not those
// left to their default), mode, then procs or seed and schedule.
export function settingsQuery({ params, mode, procs, seed, schedule }) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null) q.set(k, String(v));
  q.set("mode", mode);
  if (mode === "green") q.set("procs", procs);
  if (mode === "sim") q.set("seed", seed);
  if (schedule) q.set("schedule", schedule);
  return q;
}

// keptSchedule is the schedule a link may carry: none if too long.
export function keptSchedule(s) {
  return s && s.length <= MAX_SCHEDULE ? s : "";
}

// scheduleTitle explains the "exact interleaving" box: what it does, or
// why it cannot.
export function scheduleTitle(schedule, offered) {
  if (schedule) return `Put this schedule (${schedule.length} characters) in the link and the next run, so it replays exactly this interleaving, not only its seed`;
  return offered ? "This run's schedule is too long for a link; its seed still reproduces it." : "Run in sim mode first: then the link can carry that run's exact schedule.";
}

// setupSettings wires the settings form and the URL; it gives the page
// mode, params, procs, seed, exact, schedule, query, syncURL and
// setSchedule.
export function setupSettings(p) {
  const { root, $, $$, el } = p;
  const search = new URLSearchParams(location.search);
  const embedded = search.get("embed") === "1";
  let schedule = "";
  const mode = () => {
    const m = $('input[name="mode"]:checked', root);
    return m ? m.value : "os";
  };
  const params = () => {
    const out = {};
    $$("[data-param]", root).forEach((x) => { out[x.dataset.param] = paramValue(x.dataset.type, x); });
    return out;
  };
  const procs = () => $('[name="procs"]', root).value;
  const seed = () => $('[name="seed"]', root).value;
  const exact = () => mode() === "sim" && el.exactBox.checked && !!schedule;
  // query is the settings as a link's query, without the page's own
  // flags (embed).
  // you: the page runs "You schedule", and its link resumes there.
  let you = false;
  const query = () => {
    const q = settingsQuery({ params: params(), mode: mode(), procs: procs(), seed: seed(), schedule: exact() ? schedule : "" });
    return you && mode() === "sim" ? youQuery(q, schedule) : q;
  };
  function syncURL() {
    const q = query();
    if (embedded) q.set("embed", "1");
    const u = `${location.pathname}?${q}`;
    if (u !== location.pathname + location.search) history.replaceState(null, "", u);
    if (el.fullLink) el.fullLink.href = `${location.pathname}?${query()}`;
  }
  // setSchedule keeps the last sim run's schedule for "exact interleaving".
  function setSchedule(s) {
    schedule = keptSchedule(s);
    el.exactBox.disabled = !schedule;
    if (!schedule) el.exactBox.checked = false;
    el.exactBox.closest("label").title = scheduleTitle(schedule, !!s);
  }
  function syncOptions() {
    const m = mode();
    $$(".opt", root).forEach((l) => { l.hidden = l.dataset.for !== m; });
  }
  if (search.get("schedule") && mode() === "sim") {
    setSchedule(search.get("schedule"));
    el.exactBox.checked = !!schedule;
  } else setSchedule("");
  function onSettings(ev) {
    // A schedule belongs to the run that made it: new params or a new
    // seed make it a different run.
    const t = ev?.target;
    if (t && (t.name === "seed" || t.dataset?.param)) setSchedule("");
    syncOptions();
    syncURL();
    p.shareBox.hide();
  }
  $(".controls", root).addEventListener("change", onSettings);
  $('[data-testid="params"]', root).addEventListener("change", onSettings);
  syncOptions();
  if (el.fullLink) el.fullLink.href = `${location.pathname}?${query()}`;
  function setYou(on) {
    you = on;
    if (on && schedule) el.exactBox.checked = true;
    syncURL();
  }
  return { mode, params, procs, seed, exact, schedule: () => schedule, query, syncURL, setSchedule, setYou };
}
