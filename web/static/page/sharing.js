// Sharing and export: a link to the script with its settings (Share), a
// link to the run itself (/r/ID), and the run as a trace file, in
// Perfetto, as PNG or as SVG.

import { ApiError, post, postJSON, get, runBody, saveBlob, fileName, openPerfetto } from "../share.js";

const NUM = new Intl.NumberFormat();

// fileStem makes a name safe as a file name.
export function fileStem(name) {
  return name.replace(/[^A-Za-z0-9_-]/g, "-");
}

// setupSharing gives the page syncRunActions, traceFile and svgTitle.
export function setupSharing(p) {
  const { root, $, $$, data, el, trace, timeline, editor } = p;
  const home = root.dataset.home || "";
  const exportBtns = $$(".export-menu button", root);
  editor.text.addEventListener("input", () => p.shareBox.hide(), { passive: true });
  // A button disabled while it works loses the focus to the body: give it
  // back (to the button, or to what stands for it) when it is done, unless
  // the focus has gone somewhere on purpose meanwhile.
  p.shareBox.returnTo = el.shareBtn;
  p.runBox.returnTo = el.shareRunBtn;
  const holding = (b) => document.activeElement === b;
  const giveBack = (had, to) => {
    if (had && (document.activeElement === document.body || !document.activeElement)) to?.focus();
  };

  // Share: a link to this script with these settings. A catalogue
  // scenario as shipped links to its page; anything else (an edited
  // script, a shared one) is stored first and linked as /p/ID.
  const shareBtn = el.shareBtn;
  shareBtn?.addEventListener("click", async () => {
    delete shareBtn.dataset.link;
    const had = holding(shareBtn);
    shareBtn.disabled = true;
    try {
      const src = editor.source;
      let path;
      if (src === data.source && home) path = home;
      else if (src === data.source && data.snippet) path = `/p/${data.snippet}`;
      else {
        p.shareBox.busy("Saving the script…");
        path = (await postJSON("/api/snippets", { source: src })).url;
      }
      // An edited scenario's link names its origin, for its page to say.
      const from = path.startsWith("/p/") ? data.id || data.from || "" : "";
      const q = p.query() + (from ? `&from=${encodeURIComponent(from)}` : "");
      const link = new URL(`${path}?${q.replace(/^&/, "")}`, location.href).href;
      shareBtn.dataset.link = link;
      await p.shareBox.offer(link, "Link");
    } catch (err) {
      p.shareBox.error(err instanceof ApiError ? err.message : "The link could not be made.");
    } finally {
      shareBtn.disabled = false;
      giveBack(had, shareBtn);
    }
  });

  function syncRunActions() {
    const has = !!p.current && !trace.running && trace.events.length > 0;
    if (el.shareRunBtn) el.shareRunBtn.disabled = !p.current || trace.running;
    for (const b of exportBtns) b.disabled = !has;
  }
  const body = () => runBody(p.current.result, trace.events, p.current.source);
  function runName() {
    const r = p.current?.result;
    return fileStem(r?.scenario || data.id || (data.snippet ? `p-${data.snippet}` : "run"));
  }
  function svgTitle() {
    const r = p.current?.result;
    const h1 = $(".title h1", root)?.textContent || "";
    if (!r) return h1;
    return `${h1} · ${r.mode}${r.mode === "sim" ? ` seed ${r.seed}` : ""} · ${r.status}`;
  }
  const shareRunBtn = el.shareRunBtn;
  shareRunBtn?.addEventListener("click", async () => {
    const current = p.current;
    if (!current) return;
    delete shareRunBtn.dataset.link;
    const had = holding(shareRunBtn);
    shareRunBtn.disabled = true;
    try {
      if (!current.link) {
        p.runBox.busy(`Saving the run (${NUM.format(trace.events.length)} events)…`);
        current.link = (await postJSON("/api/runs", body())).url;
      }
      const link = new URL(current.link, location.href).href;
      shareRunBtn.dataset.link = link;
      await p.runBox.offer(link, "Link to this run");
    } catch (err) {
      p.runBox.error(err instanceof ApiError ? err.message : "The run could not be shared.");
    } finally {
      syncRunActions();
      giveBack(had, shareRunBtn);
    }
  });
  // traceFile is the run as Chrome Trace Event JSON: the stored one for
  // a shared run, else converted by the server from this page's events.
  async function traceFile() {
    const resp = p.current.link ? await get(`${p.current.link}.trace.json`) : await post("/api/trace", body());
    return { blob: await resp.blob(), name: fileName(resp, `${runName()}.trace.json`) };
  }
  const exportMenu = el.exportMenu;
  function exportAction(id, f) {
    const b = $(`[data-testid="${id}"]`, root);
    b?.addEventListener("click", async () => {
      if (!p.current) return;
      const had = holding(b);
      if (exportMenu) exportMenu.open = false;
      b.disabled = true;
      try {
        await f(b);
      } catch (err) {
        p.runBox.error(err instanceof ApiError ? err.message : `${b.textContent.trim()} failed.`);
      } finally {
        syncRunActions();
        giveBack(had, exportMenu?.querySelector("summary"));
      }
    });
  }
  exportAction("download-trace", async (b) => {
    const { blob, name } = await traceFile();
    b.dataset.file = name;
    b.dataset.bytes = String(blob.size);
    saveBlob(blob, name);
  });
  exportAction("open-perfetto", async () => {
    // The window opens now, in the click; the trace follows when the
    // Perfetto UI answers.
    const file = traceFile();
    const win = openPerfetto(file.then((f) => f.blob.arrayBuffer()), svgTitle(), `${runName()}.trace.json`);
    if (!win) {
      p.runBox.error("The browser blocked the new window: allow pop-ups for this site, or use Download trace and open the file at ui.perfetto.dev.");
      return;
    }
    try {
      await file;
    } catch (err) {
      win.close();
      throw err;
    }
  });
  exportAction("download-png", async () => {
    p.showView("timeline");
    saveBlob(await timeline.toPNG(), `${runName()}.png`);
  });
  exportAction("download-svg", async () => {
    p.showView("timeline");
    saveBlob(new Blob([timeline.toSVG({ title: svgTitle() })], { type: "image/svg+xml" }), `${runName()}.svg`);
  });
  document.addEventListener("click", (e) => {
    if (exportMenu?.open && !exportMenu.contains(e.target)) exportMenu.open = false;
  });
  return { syncRunActions, traceFile, svgTitle };
}
