// The page's decoder of the binary event codec against bytes the Go
// encoder wrote (web/testdata/codec, made by sandbox/trace's
// TestCodecFixture): the same events as the socket's JSON.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CorruptError, EventDecoder, KINDS, decodeEvents } from "../static/codec.js";

const dir = new URL("../testdata/codec/", import.meta.url);
const bin = new Uint8Array(readFileSync(new URL("events.bin", dir)));
const want = JSON.parse(readFileSync(new URL("events.json", dir), "utf8"));

test("the fixture covers every kind", () => {
  const kinds = new Set(want.map((e) => e.k));
  for (const k of KINDS.slice(1)) assert.ok(kinds.has(k), k);
});

test("decodeEvents gives the socket's events", () => {
  const { events, used } = decodeEvents(bin);
  assert.equal(used, bin.length);
  assert.deepStrictEqual(events, want);
});

test("EventDecoder takes the bytes in chunks of any size", () => {
  for (const size of [1, 2, 3, 7, 64, bin.length]) {
    const d = new EventDecoder();
    const got = [];
    for (let i = 0; i < bin.length; i += size) got.push(...d.push(bin.subarray(i, i + size)));
    d.end();
    assert.deepStrictEqual(got, want, `chunks of ${size}`);
  }
});

test("a recording cut inside an event is refused at its end", () => {
  const d = new EventDecoder();
  const got = d.push(bin.subarray(0, bin.length - 1));
  assert.deepStrictEqual(got, want.slice(0, -1));
  assert.throws(() => d.end(), CorruptError);
});

test("garbage is refused with a CorruptError", () => {
  const cases = {
    "kind 0": [0, 0, 0, 0, 0],
    "kind past the last": [0, 0, 0, KINDS.length, 0],
    "value kind 9": [0, 0, 0, 1, 2, 9],
    "varint of 11 bytes": [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  };
  for (const [name, bytes] of Object.entries(cases)) {
    assert.throws(() => decodeEvents(new Uint8Array(bytes)), CorruptError, name);
  }
});
