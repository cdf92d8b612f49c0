// Sharing and export: the calls to the server's /api, the box that shows
// a copied link, file downloads and the hand-over to Perfetto. No DOM
// beyond what each function is given.

// apiError is a refusal from the server, with its sentence for a person.
export class ApiError extends Error {}

// post sends JSON to the server and returns the response, or throws an
// ApiError with the server's sentence ({"error": "..."}) or one of ours.
export async function post(url, body) {
  let resp;
  try {
    resp = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The server could not be reached; check the connection and try again.");
  }
  if (!resp.ok) throw new ApiError(await errorSentence(resp));
  return resp;
}

export async function postJSON(url, body) {
  return (await post(url, body)).json();
}

// get fetches a file from the server, throwing an ApiError on failure.
export async function get(url) {
  let resp;
  try {
    resp = await fetch(url, { headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError("The server could not be reached; check the connection and try again.");
  }
  if (!resp.ok) throw new ApiError(await errorSentence(resp));
  return resp;
}

async function errorSentence(resp) {
  try {
    const m = await resp.json();
    if (m && typeof m.error === "string" && m.error) return m.error;
  } catch {
    // not JSON: say what the status says
  }
  if (resp.status === 413) return "That is larger than the server accepts.";
  if (resp.status === 429) return "Too many requests from your address; wait a minute and try again.";
  return `The server answered ${resp.status} ${resp.statusText}`.trim() + ".";
}

// runBody is what /api/runs and /api/trace take: the run's result, its
// events and its script. The model's own fields (those starting with _)
// stay behind.
export function runBody(result, events, source) {
  return JSON.stringify({ result, events, source }, (k, v) => (k.length > 1 && k[0] === "_" ? undefined : v));
}

// copyText writes to the clipboard, answering whether it could. It never
// waits long: a clipboard that asks for permission counts as unavailable.
export async function copyText(text) {
  if (!navigator.clipboard || !window.isSecureContext) return false;
  try {
    await Promise.race([
      navigator.clipboard.writeText(text),
      new Promise((_, reject) => setTimeout(() => reject(new Error("clipboard timeout")), 1000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

// LinkBox is a row under a Share button: "Link copied" and the link in a
// field, selected for copying by hand; or what went wrong.
export class LinkBox {
  constructor(el) {
    this.el = el;
    this.msg = el?.querySelector(".share-msg");
    this.field = el?.querySelector("input");
    // returnTo gets the focus when Close hides the box (the page sets it
    // to the button that showed it), so that it never falls to the body.
    this.returnTo = null;
    el?.querySelector(".share-close")?.addEventListener("click", () => {
      this.hide();
      this.returnTo?.focus();
    });
    this.field?.addEventListener("focus", () => this.field.select());
  }

  async offer(link, what = "Link") {
    if (!this.el) return false;
    this.el.classList.remove("error");
    this.field.hidden = false;
    this.field.value = link;
    this.msg.textContent = `${what}…`;
    this.el.hidden = false;
    const copied = await copyText(link);
    this.msg.textContent = copied ? `${what} copied:` : `Copy this ${what.toLowerCase()}:`;
    this.el.dataset.copied = String(copied);
    if (!copied) {
      this.field.focus();
      this.field.select();
    }
    return copied;
  }

  busy(text) {
    if (!this.el) return;
    this.el.classList.remove("error");
    this.el.hidden = false;
    this.field.hidden = true;
    this.msg.textContent = text;
  }

  error(sentence) {
    if (!this.el) return;
    this.el.classList.add("error");
    this.el.hidden = false;
    this.field.hidden = true;
    this.field.value = "";
    this.msg.textContent = sentence;
  }

  hide() {
    if (this.el) this.el.hidden = true;
  }
}

// saveBlob saves a blob as a file through a temporary a[download].
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

// fileName reads the name a response suggests, or falls back.
export function fileName(resp, fallback) {
  const m = /filename="?([^";]+)"?/.exec(resp.headers.get("Content-Disposition") || "");
  return m ? m[1] : fallback;
}

export const PERFETTO = "https://ui.perfetto.dev";

// openPerfetto opens the Perfetto UI in a new window and hands it a trace
// by postMessage, as Perfetto documents: PING until the window answers
// PONG, then post {perfetto: {buffer, title, fileName}}. The window must be
// opened at once, in the click, or a popup blocker stops it; the trace is
// a promise that may still be loading. It answers the window, or null if
// it was blocked.
export function openPerfetto(tracePromise, title, name) {
  const win = window.open(PERFETTO);
  if (!win) return null;
  tracePromise.catch(() => {}); // the caller reports a failure
  let timer = 0;
  let done = false;
  const stop = () => {
    done = true;
    clearInterval(timer);
    window.removeEventListener("message", onMessage);
  };
  const onMessage = async (ev) => {
    if (ev.source !== win || ev.origin !== PERFETTO || ev.data !== "PONG" || done) return;
    stop();
    try {
      const buffer = await tracePromise;
      win.postMessage({ perfetto: { buffer, title, fileName: name } }, PERFETTO);
    } catch {
      // the caller reports a failed trace; the window stays empty
    }
  };
  window.addEventListener("message", onMessage);
  timer = setInterval(() => {
    if (win.closed) stop();
    else win.postMessage("PING", PERFETTO);
  }, 50);
  setTimeout(() => { if (!done) stop(); }, 60000);
  return win;
}
