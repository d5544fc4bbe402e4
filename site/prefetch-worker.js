// hubel's prefetch worker (started by prefetch.js): downloads files on its
// own thread, so that neither asking for them nor reading their bodies
// waits for the page's main thread, which the wasm keeps busy while it
// starts, decodes and draws. Its address's ?model=URL of a model.json has
// it read the manifest itself as it starts and fetch every weight file it
// names (the page need not be free to hand it their names, nor even to
// pass a message on); a message {urls} has it fetch those (a file it has
// already started is not fetched twice). It answers each
// file with {url, buf} (an ArrayBuffer, transferred), {url, status: 404}
// or {url, failed: true}, with the fetch's start and end (ms since the
// epoch).
"use strict";
importScripts("prefetch.js"); // hubelWeightURLs
const now = () => performance.timeOrigin + performance.now();
const started = new Set();
function get(url) {
  if (started.has(url)) return;
  started.add(url);
  const start = now();
  fetch(url)
    .then(async (r) => (r.ok ? { url, buf: await r.arrayBuffer() } : r.status === 404 ? { url, status: 404 } : { url, failed: true }))
    .catch(() => ({ url, failed: true }))
    .then((m) => self.postMessage(Object.assign(m, { start, end: now() }), m.buf ? [m.buf] : []));
}
const model = new URLSearchParams(location.search).get("model");
if (model) {
  const dir = model.replace(/[^/]*$/, "");
  fetch(model).then((r) => (r.ok ? r.json() : null)).then((doc) => hubelWeightURLs(doc, dir).forEach(get)).catch(() => {});
}
self.onmessage = (e) => {
  for (const url of e.data.urls || []) get(url);
};
