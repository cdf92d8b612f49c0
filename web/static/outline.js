// The outline of a scenario script, without DOM: where its metadata (the
// docstring, topic, modes, params, seed, a challenge's goal, hints, fix
// and shortest, the Rust listing) ends and where main begins, so the
// editor can fold the one and open at the other.

// META are the top-level names the catalogue reads as metadata.
const META = new Set(["topic", "rust", "modes", "params", "seed", "goal", "hints", "fix", "shortest"]);

// statements splits a script into its top-level statements: the first and
// last line (1-based) of each and its first line's text; a block (a def,
// an if) is one statement with its indented body. Strings (single,
// double, triple-quoted) and brackets may span lines; comments are skipped.
export function statements(src) {
  const lines = src.split("\n");
  const out = [];
  let depth = 0;
  let quote = ""; // the open string's delimiter
  let cur = null;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (!cur && depth === 0 && !quote) {
      const t = line.trim();
      if (t === "" || t.startsWith("#")) continue;
      // An indented line goes on the statement above: a def's body.
      cur = /^\s/.test(line) && out.length ? out.pop() : { start: n + 1, end: n + 1, first: line };
    }
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === "\\") i++;
        else if (line.startsWith(quote, i)) {
          i += quote.length - 1;
          quote = "";
        }
        continue;
      }
      if (c === "#") break;
      if (c === '"' || c === "'") {
        quote = line.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
        i += quote.length - 1;
      } else if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) depth = Math.max(0, depth - 1);
    }
    if (quote.length === 1) quote = ""; // a one-line string ends with its line
    if (cur && depth === 0 && !quote) {
      cur.end = n + 1;
      out.push(cur);
      cur = null;
    }
  }
  if (cur) {
    cur.end = lines.length;
    out.push(cur);
  }
  return out;
}

// metadataEnd is the last line of the metadata at the top of a script: the
// docstring and the metadata assignments before anything else; 0 when the
// script does not start with metadata.
export function metadataEnd(src) {
  let end = 0;
  const all = statements(src);
  for (let i = 0; i < all.length; i++) {
    const s = all[i];
    const t = s.first.trimStart();
    const doc = i === 0 && /^[rbu]?("""|'''|"|')/i.test(t);
    const name = /^([A-Za-z_]\w*)\s*=[^=]/.exec(t)?.[1];
    if (!doc && !(name && META.has(name))) break;
    end = s.end;
  }
  return end;
}

// mainLine is the line of `def main`, or 0.
export function mainLine(src) {
  const i = src.split("\n").findIndex((l) => /^def\s+main\s*\(/.test(l));
  return i + 1;
}
