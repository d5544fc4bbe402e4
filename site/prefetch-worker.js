// hubel's prefetch worker (started by prefetch.js): downloads a TF.js
// model's files on its own thread, so that reading their bodies does not
// wait for the page's main thread, which the wasm keeps busy while it
// starts, decodes and draws. It answers {dir} with, in order: {urls} (every
// file it will send: hubel.json, model.json and the weight files its
// manifest names), then {url, buf} (an ArrayBuffer, transferred), {url,
// status: 404} or {url, failed: true} for each, with the fetch's start and
// end (ms since the epoch).
"use strict";
const now = () => performance.timeOrigin + performance.now();
self.onmessage = (e) => {
  const dir = e.data.dir;
  const get = (name) => {
    const start = now();
    return fetch(dir + name)
      .then(async (r) => (r.ok ? { url: dir + name, buf: await r.arrayBuffer() } : r.status === 404 ? { url: dir + name, status: 404 } : { url: dir + name, failed: true }))
      .catch(() => ({ url: dir + name, failed: true }))
      .then((m) => self.postMessage(Object.assign(m, { start, end: now() }), m.buf ? [m.buf] : []));
  };
  const start = now();
  const model = fetch(dir + "model.json").then((r) => (r.ok ? r.arrayBuffer() : r.status)).catch(() => null);
  model.then((buf) => {
    const paths = [];
    if (buf instanceof ArrayBuffer) {
      try {
        const doc = JSON.parse(new TextDecoder().decode(buf));
        for (const g of doc.weightsManifest || []) {
          for (const p of g.paths || []) if (typeof p === "string" && !p.includes("..")) paths.push(p);
        }
      } catch { /* hubel reports a bad model.json itself */ }
    }
    self.postMessage({ urls: ["hubel.json", "model.json", ...paths].map((n) => dir + n) });
    const m = buf instanceof ArrayBuffer ? { url: dir + "model.json", buf } : buf === 404 ? { url: dir + "model.json", status: 404 } : { url: dir + "model.json", failed: true };
    self.postMessage(Object.assign(m, { start, end: now() }), m.buf ? [m.buf] : []);
    get("hubel.json");
    for (const p of paths) get(p);
  });
};
