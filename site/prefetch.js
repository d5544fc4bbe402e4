// hubelPrefetchModel starts downloading a TF.js model's files (model.json
// and hubel.json, then every weight file the manifest names, all at once)
// while hubel's wasm is still loading. hubel's loader (models.Fetch) takes them from
// window.hubelPrefetch, a Map from each file's URL to a Promise of its
// ArrayBuffer, of 404 when there is no such file, or of null when the fetch
// failed otherwise (hubel then fetches it again and reports the error
// itself). base is the model's folder URL; it returns it, absolute and
// ending in "/", and a second call for the same folder does nothing. The
// page fetches model.json and
// hubel.json itself (and the names in {files}: other files the page knows
// hubel will read); with {worker: true} the weight files are fetched by
// a worker (prefetch-worker.js) where the browser has workers and no
// service worker controls the page (bench.html): the page's main
// thread, busy with the wasm, would otherwise hold up the reading of their
// bodies. window.hubelPrefetchTimes lists the worker's fetches ({url,
// status, start, end}, ms after navigation, as the page's own resource
// timings would), which the page's performance timeline does not show.
"use strict";
function hubelPrefetchModel(base, { worker: useWorker = false, files = [] } = {}) {
  const map = window.hubelPrefetch = window.hubelPrefetch || new Map();
  const dir = new URL(base, location.href).href.replace(/\/?$/, "/");
  if (map.has(dir + "model.json")) return dir; // already on its way
  const get = (name) => hubelPrefetchURL(dir + name);
  // Only where the page asks for it (bench.html, and the app for the model
  // its address names) and no service worker controls the page: the
  // worker's fetch needs no turn of the page's busy main thread, neither to
  // start once model.json is in nor to read the body (docs/speed.md,
  // session 7).
  let worker = null;
  const controlled = !!(navigator.serviceWorker && navigator.serviceWorker.controller);
  // The worker reads model.json itself and starts on the weights at once:
  // its address names it, since a message to a worker that is starting
  // waits for the page's main thread to pass it on (1.3 s, measured).
  const workerURL = "prefetch-worker.js?model=" + encodeURIComponent(dir + "model.json");
  try { worker = useWorker && typeof Worker === "function" && !controlled ? new Worker(workerURL) : null; } catch { worker = null; }
  const direct = (urls) => urls.forEach((u) => get(u.slice(dir.length)));
  const many = worker ? workerGet(worker, map, direct) : direct;
  get("hubel.json"); // hubel's descriptor, where the model has one
  for (const f of files) get(f); // others the page knows hubel reads (a zoo model's labels)
  get("model.json").then((buf) => {
    let doc = null;
    try { doc = buf instanceof ArrayBuffer ? JSON.parse(new TextDecoder().decode(buf)) : null; } catch { doc = null; }
    const urls = hubelWeightURLs(doc, dir);
    if (urls.length) many(urls);
    else if (worker) worker.terminate();
  });
  return dir;
}

// hubelPrefetchURL starts fetching url (absolute) into window.hubelPrefetch,
// unless it is there already, and returns the Promise of its ArrayBuffer
// (404, or null when the fetch failed otherwise). hubel's loader calls it
// too (models.Fetch.Prefetch) for files it will read later.
function hubelPrefetchURL(url) {
  const map = window.hubelPrefetch = window.hubelPrefetch || new Map();
  if (map.has(url)) return map.get(url);
  const p = fetch(url).then((r) => (r.ok ? r.arrayBuffer() : r.status === 404 ? 404 : null)).catch(() => null);
  map.set(url, p);
  return p;
}

// hubelWeightURLs lists the weight files a parsed model.json's manifest
// names, as URLs under dir (the model's folder, ending in '/'); a path
// with ".." is left to hubel, which refuses it with its own error. The
// prefetch worker uses it too.
function hubelWeightURLs(doc, dir) {
  const urls = [];
  for (const g of (doc && doc.weightsManifest) || []) {
    for (const p of g.paths || []) if (typeof p === "string" && !p.includes("..")) urls.push(dir + p);
  }
  return urls;
}

// workerGet returns a function that has worker fetch urls, each entered in
// map as a Promise settled by the worker's answer; once the worker has
// failed, fallback fetches them. The worker may answer before it is asked
// (it reads model.json itself): such answers wait in early.
function workerGet(worker, map, fallback) {
  const settle = new Map(); // url → resolve
  const early = new Map(); // url → answer, not asked for yet
  const times = window.hubelPrefetchTimes = window.hubelPrefetchTimes || [];
  let asked = false, dead = false;
  const answer = (m) => m.buf || (m.status === 404 ? 404 : null);
  worker.onmessage = (e) => {
    const m = e.data;
    times.push({ url: m.url, status: m.buf ? 200 : m.status || 0, start: m.start - performance.timeOrigin, end: m.end - performance.timeOrigin });
    const resolve = settle.get(m.url);
    if (!resolve) return void early.set(m.url, answer(m));
    settle.delete(m.url);
    resolve(answer(m));
    if (asked && settle.size === 0) worker.terminate();
  };
  // A worker that cannot run (a blocked script, a file:// page) leaves the
  // files to hubel's own fetches.
  worker.onerror = () => { dead = true; for (const r of settle.values()) r(null); worker.terminate(); };
  return (urls) => {
    if (dead) return fallback(urls);
    asked = true;
    const fresh = [];
    for (const u of urls) {
      if (map.has(u) || settle.has(u)) continue;
      if (early.has(u)) { map.set(u, Promise.resolve(early.get(u))); early.delete(u); continue; }
      map.set(u, new Promise((resolve) => settle.set(u, resolve)));
      fresh.push(u);
    }
    if (fresh.length) worker.postMessage({ urls: fresh });
    else if (settle.size === 0) worker.terminate();
  };
}

// hubelPrefetchHash prefetches the site's model index, which the app reads
// first, and the model the app page's address names (#model=NAME, a copy
// on this site, or #url=FOLDER), its weights through the worker; the
// default model is small and is not prefetched.
function hubelPrefetchHash() {
  hubelPrefetchURL(new URL("models/index.json", location.href).href);
  const key = (k) => { const m = new RegExp(`(?:^#|&)${k}=([^&]*)`).exec(location.hash); return m ? decodeURIComponent(m[1]) : ""; };
  const url = key("url"), model = key("model");
  if (url) hubelPrefetchModel(url, { worker: true });
  else if (model && !/[/\\]|\.\./.test(model)) hubelPrefetchModel(`models/${model}/`, { worker: true });
}
