// Regenerates the folding's golden fixtures (web/testdata/fold).
//
//   node web/jstest/update-fold.js
//       recomputes spans, arrows and instants of every fixture from its
//       events (after a deliberate change to the folding).
//   interleave run -mode sim -seed 1 -format json SCENARIO | node web/jstest/update-fold.js NAME
//       makes (or replaces) fixture NAME from a run's JSON result.

import { readFileSync } from "node:fs";
import { fold, shapeOf } from "../static/timeline/shape.js";
import { fixtureNames, readFixture, writeFixture } from "./fixtures.js";

const ABOUT = "Golden fixture of the timeline's folding: events in, spans, arrows and instants out. See docs/timeline.md.";

function update(name, fx) {
  // The model marks the events it folds (their stagger): fold a copy.
  const out = { about: ABOUT, run: fx.run, events: fx.events, ...shapeOf(fold(structuredClone(fx.events))) };
  writeFixture(name, out);
  console.log(`${name}: ${out.events.length} events, ${out.spans.length} spans, ${out.arrows.length} arrows`);
}

const name = process.argv[2];
if (name) {
  const res = JSON.parse(readFileSync(0, "utf8"));
  if (!Array.isArray(res.events)) throw new Error("update-fold: stdin is not a run's JSON result (no events)");
  const run = { scenario: res.scenario, mode: res.mode, seed: res.seed, params: res.params };
  update(name, { run, events: res.events });
} else {
  for (const n of fixtureNames()) update(n, readFixture(n));
}
