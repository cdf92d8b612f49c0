// Drafts: an edited script is kept per scenario in the browser's storage,
// so a reload loses nothing. A kept draft comes back with an "edited" mark
// and a Reset that restores the original; Reset keeps the draft until the
// next edit, so "Restore draft" undoes it.

const PREFIX = "interleave:draft:";

// draftKey is the storage key of a page's draft: by its scenario id, or by
// its shared snippet; none for a recorded run or an embedded view.
export function draftKey(data, embed) {
  if (embed || data.run) return "";
  if (data.id) return PREFIX + data.id;
  if (data.snippet) return PREFIX + "p-" + data.snippet;
  return "";
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (private mode, a policy): no drafts
  }
}

// setupDrafts restores a page's draft and keeps the next ones.
export function setupDrafts(p) {
  const { data, editor } = p;
  const key = draftKey(data, p.root.classList.contains("embedded"));
  const store = storage();
  if (!key || !store) return {};
  const original = data.source;
  let undo = ""; // the draft a Reset put aside
  let replacing = false; // a Reset's own change, which keeps undo
  let timer = 0;

  const bar = document.createElement("div");
  bar.className = "draft-bar";
  bar.hidden = true;
  bar.innerHTML = `<span class="edited" data-testid="edited" title="This script is your edited copy, kept in this browser">edited</span>` +
    `<button type="button" data-testid="reset" title="Put the original script back (your draft can be restored until you edit again)">Reset</button>`;
  editor.pane.append(bar);
  const mark = bar.querySelector('[data-testid="edited"]');
  const btn = bar.querySelector('[data-testid="reset"]');

  function show() {
    const edited = editor.source !== original;
    bar.hidden = !edited && !undo;
    mark.hidden = !edited;
    btn.textContent = edited ? "Reset" : "Restore draft";
    btn.title = edited
      ? "Put the original script back (your draft can be restored until you edit again)"
      : "Bring back the draft you reset";
    p.root.dataset.edited = String(edited);
  }
  function save() {
    timer = 0;
    try {
      if (editor.source === original) store.removeItem(key);
      else store.setItem(key, editor.source);
    } catch {
      // Storage full or refused: the draft lives only in the page.
    }
  }
  function replace(src) {
    editor.setSource(src);
    // The page's other parts hear of the new text as of an edit.
    editor.text.dispatchEvent(new Event("input", { bubbles: true }));
  }

  const saved = store.getItem(key);
  if (saved !== null && saved !== original) editor.setSource(saved);
  editor.text.addEventListener("input", () => {
    if (!replacing) undo = "";
    clearTimeout(timer);
    timer = setTimeout(save, 250);
    show();
  });
  btn.addEventListener("click", () => {
    replacing = true;
    if (editor.source !== original) {
      undo = editor.source;
      replace(original);
    } else if (undo) {
      const d = undo;
      undo = "";
      replace(d);
    }
    replacing = false;
    save();
    show();
  });
  addEventListener("pagehide", () => timer && save());
  show();
  return {};
}
