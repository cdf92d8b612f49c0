// The rest of a run: when the page could not take a run's events as fast
// as they came, the server shed some while the run streamed, kept the
// whole run in the binary codec, and offers it in the end message
// ({url, events, bytes}). fetchRest downloads it as it streams, decodes
// it chunk by chunk and reports how many events it has so far.

import { EventDecoder } from "../codec.js";
import { EventStore } from "../timeline/store.js";

// RestError is a download that failed; its message is for the user.
export class RestError extends Error {}

// fetchRest resolves to every event of the run, in order, in an
// EventStore (a million events as objects would take 180 MB while the
// page folds them; stored, 55). progress(done, total) is called as
// chunks arrive; signal aborts the download.
export async function fetchRest(offer, progress, signal) {
  let resp;
  try {
    resp = await fetch(offer.url, { signal, cache: "no-store" });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new RestError("The rest of the run's events could not be downloaded.");
  }
  if (!resp.ok) {
    let msg = "The rest of the run's events could not be downloaded.";
    try { msg = (await resp.json()).error || msg; } catch { /* not JSON: keep the sentence */ }
    throw new RestError(msg);
  }
  const dec = new EventDecoder();
  const events = new EventStore();
  const take = (chunk) => {
    const got = dec.push(chunk);
    for (let i = 0; i < got.length; i++) events.push(got[i]);
    progress(events.length, offer.events);
  };
  if (resp.body && resp.body.getReader) {
    const reader = resp.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      take(value);
    }
  } else {
    take(new Uint8Array(await resp.arrayBuffer()));
  }
  try {
    dec.end();
  } catch {
    throw new RestError("The rest of the run's events arrived cut short.");
  }
  return events;
}

// SHED_SENTENCE is the server's note in a result whose page had events
// shed (server/run.go); once the page has them all it no longer holds.
const SHED_SENTENCE = / ?[\d,]+ events were not sent to the page, which could not draw them as fast as they came; the result counts them all\.( The page fetches them now\.)?/;

// restored is the result as it reads once the page holds every event:
// the shed events no longer count as dropped, and the note says so.
export function restored(res, shed) {
  const stats = { ...res.stats, dropped: Math.max(0, (res.stats?.dropped || 0) - shed) };
  const message = `${(res.message || "").replace(SHED_SENTENCE, "")} The page was sent ${new Intl.NumberFormat().format(shed)} of the events after the run, as it could not draw them as fast as they came.`.trim();
  return { ...res, stats, message };
}
