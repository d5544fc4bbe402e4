// hubel's service worker: the site works offline once visited. App files
// are fetched from the network first (a rebuilt site is seen at once) and
// kept as the offline copy; model files (this site's models/ or any other
// origin, e.g. Google's tfjs-models) are served from the cache first, since
// they do not change, and kept as they are loaded.
"use strict";
const CACHE = "hubel-v1";
const SHELL = ["./", "index.html", "app.js", "app.css", "load.js", "prefetch.js", "wasm_exec.js", "hubel.wasm", "embed.html",
  "selftest.html", "selftest.css", "models/index.json"];

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

async function cacheFirst(req) {
  const hit = await caches.match(req);
  if (hit) return hit;
  const resp = await fetch(req);
  if (keep(resp)) (await caches.open(CACHE)).put(req, resp.clone());
  return resp;
}

async function networkFirst(req) {
  try {
    const resp = await fetch(req);
    if (resp.ok) (await caches.open(CACHE)).put(req, resp.clone());
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
  e.respondWith(isModel(url) && !url.pathname.endsWith("/models/index.json") ? cacheFirst(e.request) : networkFirst(e.request));
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
