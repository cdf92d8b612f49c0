// The golden fixtures of the folding (web/testdata/fold/*.json): reading
// them, and writing them in a shape that diffs well, one item a line.

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const FOLD_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "testdata", "fold");

// fixtureNames lists the fixtures, without the .json.
export function fixtureNames() {
  return readdirSync(FOLD_DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

export function readFixture(name) {
  return JSON.parse(readFileSync(join(FOLD_DIR, `${name}.json`), "utf8"));
}

// writeFixture writes the fixture's keys in a fixed order, each array
// item on a line of its own.
export function writeFixture(name, fx) {
  const keys = ["about", "run", "events", "spans", "arrows", "instants"];
  const parts = keys.filter((k) => fx[k] !== undefined).map((k) => {
    const v = fx[k];
    if (Array.isArray(v) && v.length && typeof v[0] === "object") {
      return `  ${JSON.stringify(k)}: [\n${v.map((x) => `    ${JSON.stringify(x)}`).join(",\n")}\n  ]`;
    }
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  writeFileSync(join(FOLD_DIR, `${name}.json`), `{\n${parts.join(",\n")}\n}\n`);
}
