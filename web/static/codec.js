// The binary event codec of sandbox/trace (Event.AppendBinary), decoded
// into the same objects the socket's JSON "events" messages carry. The
// server sends a run's whole recording in it after the end when the page
// had events shed while the run streamed: 26 bytes an event of
// lost-update against 96 in JSON.

// KINDS lists the wire names in the codec's order (trace.Kind).
export const KINDS = [
  "invalid", "spawn", "start", "end", "panic", "cutoff", "join", "joined",
  "lock", "acquired", "unlock", "trylock", "get", "set", "add", "cas", "swap",
  "send", "sent", "recv", "received", "close", "sleep", "wake", "work",
  "worked", "print", "check", "yield",
  "cvwait", "cvwoke", "notify", "bwait", "bpassed", "semacquire",
  "semacquired", "semrelease", "semtry", "park", "unparked", "unpark",
  "once", "oncedone", "runnable",
];

const F_OBJ = 1, F_V = 2, F_LINE = 4, F_OS = 8, F_VER = 16;
const V_NULL = 1, V_BOOL = 2, V_INT = 3, V_FLOAT = 4, V_STR = 5;

// CorruptError means the bytes are not events in the codec.
export class CorruptError extends Error {}

// EventDecoder decodes a recording that arrives in chunks: push each
// chunk, get back the events it completes.
export class EventDecoder {
  constructor() {
    this.rest = new Uint8Array(0);
    this.text = new TextDecoder();
    this.names = new Map(); // object names repeat: one string each
  }
  // push decodes the events that chunk completes and keeps the bytes of a
  // partial one for the next chunk.
  push(chunk) {
    let b = chunk;
    if (this.rest.length) {
      b = new Uint8Array(this.rest.length + chunk.length);
      b.set(this.rest);
      b.set(chunk, this.rest.length);
    }
    const { events, used } = decodeEvents(b, this);
    this.rest = b.slice(used);
    return events;
  }
  // end checks that no partial event is left over.
  end() {
    if (this.rest.length) throw new CorruptError(`the recording ends inside an event (${this.rest.length} bytes left)`);
  }
  name(b, i, n) {
    // Short names are looked up by their bytes before a string is made.
    if (n <= 24) {
      let key = "";
      for (let j = i; j < i + n; j++) key += String.fromCharCode(b[j]);
      let s = this.names.get(key);
      if (s === undefined) {
        s = this.text.decode(b.subarray(i, i + n));
        if (this.names.size < 4096) this.names.set(key, s);
      }
      return s;
    }
    return this.text.decode(b.subarray(i, i + n));
  }
}

// PARTIAL is thrown inside decodeEvents when the bytes end mid-event.
const PARTIAL = Symbol("partial");

// decodeEvents decodes the whole events at the start of b; used is how
// many bytes they took (the rest begin a partial event).
export function decodeEvents(b, dec = new EventDecoder()) {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const events = [];
  let i = 0;
  let used = 0;
  // uv reads a uvarint; past 2^53 it is read again as a BigInt, so that
  // sv's zigzag stays exact and the number is the JSON's.
  function uv(signed = false) {
    const at = i;
    let v = 0, mul = 1;
    for (let n = 0; n < 10; n++) {
      if (i >= b.length) throw PARTIAL;
      const c = b[i++];
      v += (c & 0x7f) * mul;
      if (c < 0x80) return v <= Number.MAX_SAFE_INTEGER ? (signed ? zigzag(v) : v) : big(at, signed);
      mul *= 128;
    }
    throw new CorruptError(`a varint at byte ${at} is too long`);
  }
  function big(at, signed) {
    let v = 0n;
    for (let j = i - 1; j >= at; j--) v = (v << 7n) | BigInt(b[j] & 0x7f);
    if (signed) v = v & 1n ? -((v + 1n) >> 1n) : v >> 1n;
    return Number(v);
  }
  function zigzag(u) {
    return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
  }
  function sv() {
    return uv(true);
  }
  function bytes() {
    const n = uv();
    if (i + n > b.length) throw PARTIAL;
    const at = i;
    i += n;
    return at;
  }
  try {
    while (i < b.length) {
      const e = { seq: uv(), t: sv(), th: uv(), k: "" };
      if (i + 2 > b.length) throw PARTIAL;
      const k = b[i], fl = b[i + 1];
      i += 2;
      if (k === 0 || k >= KINDS.length) throw new CorruptError(`event kind ${k} at byte ${i - 2}`);
      e.k = KINDS[k];
      if (fl & F_OBJ) {
        const at = bytes();
        e.obj = dec.name(b, at, i - at);
      }
      if (fl & F_V) {
        if (i >= b.length) throw PARTIAL;
        const vk = b[i++];
        switch (vk) {
          case V_NULL: e.v = null; break;
          case V_BOOL: e.v = sv() !== 0; break;
          case V_INT: e.v = sv(); break;
          case V_FLOAT: {
            if (i + 8 > b.length) throw PARTIAL;
            const f = view.getFloat64(i, true);
            i += 8;
            // JSON has no infinities: the server sends them as text.
            e.v = Number.isFinite(f) ? f : Number.isNaN(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf";
            break;
          }
          case V_STR: {
            const at = bytes();
            e.v = dec.text.decode(b.subarray(at, i));
            break;
          }
          default: throw new CorruptError(`value kind ${vk} at byte ${i - 1}`);
        }
      }
      if (fl & F_LINE) e.line = uv();
      if (fl & F_OS) { e.tid = uv(); e.cpu = sv(); }
      if (fl & F_VER) e.ver = uv();
      events.push(e);
      used = i;
    }
  } catch (err) {
    if (err !== PARTIAL) throw err;
  }
  return { events, used };
}
