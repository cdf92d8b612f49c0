// Binary searches over arrays sorted by a time key: what lets every
// frame, the SVG export and hit-testing touch only what is in view.

// Each search takes an array of objects sorted by a time key, or a
// table of store.js, whose column of that name is searched instead.

// firstAt returns the index of the first item whose time (at key) is >= t.
export function firstAt(arr, t, key = "t") {
  if (arr.cols) return colAt(arr[key], t, 0, arr.n);
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid][key] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// colAt is firstAt in a typed array, between lo and hi.
export function colAt(col, t, lo, hi) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (col[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// firstEndingAt returns the index of the first span of a row that ends at
// or after t (open spans end at +Infinity; in a table their t1 is NaN).
export function firstEndingAt(row, t) {
  let lo = 0;
  if (row.cols) {
    const t1 = row.t1;
    let hi = row.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t1[mid] < t) lo = mid + 1; // NaN < t is false: open spans end last
      else hi = mid;
    }
    return lo;
  }
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
  if (arr.cols) return nextInCol(arr[key], t, lo, hi);
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

// nextInCol is nextAt in a typed array.
export function nextInCol(col, t, lo, hi) {
  const stop = Math.min(hi, lo + 8);
  while (lo < stop) {
    if (col[lo] >= t) return lo;
    lo++;
  }
  if (lo >= hi) return hi;
  return colAt(col, t, lo, hi);
}

// eventBySeq finds an event by its seq in events sorted by seq (a run's
// events arrive in seq order), or by a walk if they are not.
export function eventBySeq(ev, seq) {
  if (ev.indexOfSeq) {
    const i = ev.indexOfSeq(seq);
    return i < 0 ? null : ev.at(i);
  }
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
