// hubel's service worker: the site works offline once visited. App files
// are fetched from the network first (a rebuilt site is seen at once) and
// kept as the offline copy; model files (this site's models/ or any other
// origin, e.g. Google's tfjs-models) are served from the cache first, since
// they do not change, and kept as they are loaded. The app registers this
// worker once its first frame is drawn (site/app.js), so a first visit
// loads straight from the network.
"use strict";
const CACHE = "hubel-v1";
const SHELL = ["./", "index.html", "app.js", "app.css", "load.js", "prefetch.js", "wasm_exec.js", "hubel.wasm", "display.wasm", "embed.html",
  "selftest.html", "selftest.css", "selftest.wasm", "models/index.json"];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) =>
    Promise.all(SHELL.map((u) => c.add(u).catch(() => {})))).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

const isModel = (url) => url.origin !== self.location.origin || /\/models\/.+/.test(url.pathname);

// A model file's 404 is kept too: hubel asks for optional files (hubel.json)
// and must get the same answer offline.
const keep = (resp) => resp.ok || resp.status === 404;

// A response is returned as soon as it arrives; storing its copy goes on
// in the background (e.waitUntil), so that it never delays the page.
async function cacheFirst(e) {
  const req = e.request;
  const hit = await caches.match(req);
  if (hit) return hit;
  const resp = await fetch(req);
  if (keep(resp)) e.waitUntil(caches.open(CACHE).then((c) => c.put(req, resp.clone())));
  return resp;
}

// same says whether the cached copy is the same version as a fresh
// response (same ETag or Last-Modified, and length): storing hubel.wasm's
// 17 MB again on every visit would cost more than the visit's own loading.
function same(cached, resp) {
  if (!cached) return false;
  const h = (r, k) => r.headers.get(k) || "";
  const tag = h(resp, "etag") || h(resp, "last-modified");
  return tag !== "" && tag === (h(cached, "etag") || h(cached, "last-modified")) && h(resp, "content-length") === h(cached, "content-length");
}

async function networkFirst(e) {
  const req = e.request;
  try {
    const resp = await fetch(req);
    if (resp.ok) {
      // Clone only what is stored: an unread clone holds its original's
      // body back (Chromium stalled hubel.wasm for 50 s that way).
      const c = await caches.open(CACHE);
      if (!same(await c.match(req), resp)) e.waitUntil(c.put(req, resp.clone()));
    }
    return resp;
  } catch (err) {
    const hit = await caches.match(req, { ignoreSearch: true }) ||
      (req.mode === "navigate" ? await caches.match("./") || await caches.match("index.html") : undefined);
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("fetch", (e) => {
  if (e.request.method !== "GET") return;
  const url = new URL(e.request.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") return;
  e.respondWith(isModel(url) && !url.pathname.endsWith("/models/index.json") ? cacheFirst(e) : networkFirst(e));
});

// The page sends the model files it fetched before this worker took
// control (the first visit), so they too work offline.
self.addEventListener("message", (e) => {
  const urls = (e.data && e.data.cache) || [];
  e.waitUntil(caches.open(CACHE).then((c) => Promise.all(urls.map(async (u) => {
    if (await c.match(u)) return;
    const resp = await fetch(u).catch(() => null);
    if (resp && keep(resp)) await c.put(u, resp);
  }))));
});
