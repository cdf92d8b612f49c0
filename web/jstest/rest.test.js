// The rest of a run: the download of a run's shed events (page/rest.js),
// over a stand-in fetch that serves the Go encoder's fixture bytes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { RestError, fetchRest, restored } from "../static/page/rest.js";

const dir = new URL("../testdata/codec/", import.meta.url);
const bin = new Uint8Array(readFileSync(new URL("events.bin", dir)));
const want = JSON.parse(readFileSync(new URL("events.json", dir), "utf8"));

function serve(body, status = 200, chunk = 5) {
  globalThis.fetch = async () => {
    if (status !== 200) return new Response(JSON.stringify({ error: "This run's events are no longer kept." }), { status });
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < body.length; i += chunk) c.enqueue(body.slice(i, i + chunk));
        c.close();
      },
    });
    return new Response(stream, { status });
  };
}

test("fetchRest gives every event and reports progress as it streams", async () => {
  serve(bin);
  const seen = [];
  const got = await fetchRest({ url: "/x.bin", events: want.length }, (done, total) => seen.push([done, total]));
  assert.deepStrictEqual(got.slice(), want);
  assert.ok(seen.length > 1, `progress calls: ${seen.length}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i][0] >= seen[i - 1][0]);
  assert.deepStrictEqual(seen.at(-1), [want.length, want.length]);
});

test("fetchRest says why when the recording is gone or cut short", async () => {
  serve(bin, 404);
  await assert.rejects(fetchRest({ url: "/x.bin", events: 1 }, () => {}), (e) => e instanceof RestError && /no longer kept/.test(e.message));
  serve(bin.slice(0, bin.length - 1));
  await assert.rejects(fetchRest({ url: "/x.bin", events: want.length }, () => {}), RestError);
});

test("restored no longer counts the shed events as dropped", () => {
  const res = {
    status: "ok", stats: { events: 10, dropped: 7 },
    message: "Done. 5 events were not sent to the page, which could not draw them as fast as they came; the result counts them all. The page fetches them now.",
  };
  const got = restored(res, 5);
  assert.equal(got.stats.dropped, 2);
  assert.equal(got.message, "Done. The page was sent 5 of the events after the run, as it could not draw them as fast as they came.");
  assert.equal(res.stats.dropped, 7, "the original result is left alone");
});
