// hubelPrefetchModel starts downloading a TF.js model's files (model.json
// and hubel.json, then every weight file the manifest names, all at once)
// while hubel's wasm is still loading. hubel's loader (models.Fetch) takes them from
// window.hubelPrefetch, a Map from each file's URL to a Promise of its
// ArrayBuffer, of 404 when there is no such file, or of null when the fetch
// failed otherwise (hubel then fetches it again and reports the error
// itself). base is the model's folder URL. The files are fetched by a
// worker (prefetch-worker.js) where the browser has workers: the page's
// main thread, busy with the wasm, would otherwise hold up the reading of
// their bodies. window.hubelPrefetchTimes lists the worker's fetches
// ({url, status, start, end}, ms after navigation, as the page's own resource
// timings would), which the page's performance timeline does not show.
"use strict";
function hubelPrefetchModel(base) {
  const map = window.hubelPrefetch = window.hubelPrefetch || new Map();
  const dir = new URL(base, location.href).href.replace(/\/?$/, "/");
  let worker = null;
  try { worker = typeof Worker === "function" ? new Worker("prefetch-worker.js") : null; } catch { worker = null; }
  if (worker) {
    // url → resolve, for every file asked for (hubel takes an entry out
    // of the map when it uses it: a file must not get a second promise).
    const settle = new Map();
    const pending = (url) => {
      if (!settle.has(url)) map.set(url, new Promise((resolve) => settle.set(url, resolve)));
    };
    pending(dir + "model.json");
    pending(dir + "hubel.json");
    let left = Infinity;
    const times = window.hubelPrefetchTimes = window.hubelPrefetchTimes || [];
    worker.onmessage = (e) => {
      const m = e.data;
      if (m.urls) { m.urls.forEach(pending); left = m.urls.length; return; }
      times.push({ url: m.url, status: m.buf ? 200 : m.status || 0, start: m.start - performance.timeOrigin, end: m.end - performance.timeOrigin });
      const resolve = settle.get(m.url);
      if (resolve) resolve(m.buf || (m.status === 404 ? 404 : null));
      if (--left === 0) worker.terminate();
    };
    // A worker that cannot start (a blocked script, a file:// page) leaves
    // the files to hubel's own fetches.
    worker.onerror = () => { for (const r of settle.values()) r(null); worker.terminate(); };
    worker.postMessage({ dir });
    return;
  }
  const get = (name) => {
    const url = dir + name;
    const p = fetch(url).then((r) => (r.ok ? r.arrayBuffer() : r.status === 404 ? 404 : null)).catch(() => null);
    map.set(url, p);
    return p;
  };
  get("hubel.json"); // hubel's descriptor, where the model has one
  get("model.json").then((buf) => {
    if (!buf) return;
    let doc;
    try { doc = JSON.parse(new TextDecoder().decode(buf)); } catch { return; }
    for (const g of doc.weightsManifest || []) {
      for (const p of g.paths || []) if (typeof p === "string" && !p.includes("..")) get(p);
    }
  });
}
