// hubel's prefetch worker (started by prefetch.js): downloads files on its
// own thread, so that reading their bodies does not wait for the page's
// main thread, which the wasm keeps busy while it starts, decodes and
// draws. It answers {urls} with {url, buf} (an ArrayBuffer, transferred),
// {url, status: 404} or {url, failed: true} for each, with the fetch's
// start and end (ms since the epoch).
"use strict";
const now = () => performance.timeOrigin + performance.now();
self.onmessage = (e) => {
  for (const url of e.data.urls) {
    const start = now();
    fetch(url)
      .then(async (r) => (r.ok ? { url, buf: await r.arrayBuffer() } : r.status === 404 ? { url, status: 404 } : { url, failed: true }))
      .catch(() => ({ url, failed: true }))
      .then((m) => self.postMessage(Object.assign(m, { start, end: now() }), m.buf ? [m.buf] : []));
  }
};
