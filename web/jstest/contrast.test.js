// Labels on lock bars are written in --tl-on-fill over the mutex palette
// (--m0..--m7): readable in both colour schemes, contrast at least 4.5:1.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const css = readFileSync(new URL("../static/style.css", import.meta.url), "utf8");

// vars reads the custom properties of the first block after a marker.
function vars(marker) {
  const at = css.indexOf(marker);
  assert.ok(at >= 0, `no ${marker} in style.css`);
  const body = css.slice(css.indexOf("{", css.indexOf(":root", at)) + 1, css.indexOf("}", at));
  const out = {};
  for (const m of body.matchAll(/(--[\w-]+):\s*(#[0-9a-fA-F]{6})/g)) out[m[1]] = m[2];
  return out;
}

function luminance(hex) {
  const c = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

export function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

test("contrast of black on white is 21", () => {
  assert.equal(Math.round(contrast("#000000", "#ffffff")), 21);
});

for (const [scheme, marker] of [["light", ":root"], ["dark", "prefers-color-scheme: dark"]]) {
  test(`lock bar labels are readable in the ${scheme} scheme`, () => {
    const v = vars(marker);
    const text = v["--tl-on-fill"];
    assert.ok(text, "no --tl-on-fill");
    for (let i = 0; i < 8; i++) {
      const bar = v[`--m${i}`];
      assert.ok(bar, `no --m${i}`);
      const r = contrast(text, bar);
      assert.ok(r >= 4.5, `--tl-on-fill ${text} on --m${i} ${bar}: contrast ${r.toFixed(2)}, want at least 4.5`);
    }
  });
}
