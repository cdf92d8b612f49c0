// The script's outline: the metadata the editor folds, main it opens at.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { statements, metadataEnd, mainLine } from "../static/outline.js";

const script = [
  '"""Title', // 1
  "", // 2
  "Notes with a ( and a \" inside.", // 3
  '"""', // 4
  "", // 5
  'topic = "Races"', // 6
  "# a comment", // 7
  "params = {", // 8
  '    "n": param(2, doc = "a } in a string"),', // 9
  "}", // 10
  'rust = """', // 11
  "fn main() { let s = \"'\"; }", // 12
  '"""', // 13
  "", // 14
  "LIMIT = 3", // 15
  "", // 16
  "def main(n):", // 17
  "    pass", // 18
].join("\n");

test("statements finds top-level statements across strings and brackets", () => {
  const got = statements(script).map((s) => [s.start, s.end]);
  assert.deepEqual(got, [[1, 4], [6, 6], [8, 10], [11, 13], [15, 15], [17, 18]]);
});

test("metadataEnd folds the docstring, topic, params and rust, not the code after them", () => {
  assert.equal(metadataEnd(script), 13);
  assert.equal(mainLine(script), 17);
});

test("metadataEnd of scripts without metadata", () => {
  const cases = [
    ["", 0],
    ["def main():\n    pass\n", 0],
    ["x = 1\ntopic = 'late'\n", 0],
    ['"""Only a docstring"""\ndef main():\n    pass', 1],
    ["params == 3\n", 0],
  ];
  for (const [src, want] of cases) assert.equal(metadataEnd(src), want, `metadataEnd(${JSON.stringify(src)})`);
});

test("every catalogue scenario folds to just before its code and opens at main", () => {
  const dir = new URL("../../scenarios/lib/", import.meta.url);
  const names = readdirSync(dir).filter((f) => f.endsWith(".star"));
  assert.ok(names.length > 0, "no scenarios found");
  for (const name of names) {
    const src = readFileSync(new URL(name, dir), "utf8");
    const end = metadataEnd(src);
    const main = mainLine(src);
    assert.ok(end > 0 && main > end, `${name}: metadata ends at ${end}, main at ${main}`);
    assert.match(src.split("\n").slice(0, end).join("\n"), /^rust = """/m, `${name}: the Rust listing is folded`);
  }
});
