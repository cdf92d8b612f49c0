// Binary searches over arrays sorted by a time key: what lets every
// frame, the SVG export and hit-testing touch only what is in view.

// firstAt returns the index of the first item whose time (at key) is >= t.
export function firstAt(arr, t, key = "t") {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid][key] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// firstEndingAt returns the index of the first span of a row that ends at
// or after t (open spans end at +Infinity).
export function firstEndingAt(row, t) {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = row[mid];
    if ((s.t1 === null ? Infinity : s.t1) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// insertSorted puts an item into an array sorted by key, after any
// item with the same key, and returns its index.
export function insertSorted(arr, item, key) {
  const n = arr.length;
  const v = item[key];
  if (n === 0 || arr[n - 1][key] <= v) {
    arr.push(item);
    return n;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid][key] <= v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, item);
  return lo;
}

// nextAt returns the first index from lo (before hi) whose time is >= t,
// looking at the next few items before searching: dense drawing moves a
// pixel at a time, and a pixel rarely holds many events.
export function nextAt(arr, t, lo, hi, key) {
  const stop = Math.min(hi, lo + 8);
  while (lo < stop) {
    if (arr[lo][key] >= t) return lo;
    lo++;
  }
  if (lo >= hi) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid][key] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// eventBySeq finds an event by its seq in events sorted by seq (a run's
// events arrive in seq order), or by a walk if they are not.
export function eventBySeq(ev, seq) {
  let lo = 0;
  let hi = ev.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ev[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  if (ev[lo] && ev[lo].seq === seq) return ev[lo];
  return ev.find((e) => e.seq === seq) || null;
}
