// hubelPrefetchModel starts downloading a TF.js model's files (model.json
// and hubel.json, then every weight file the manifest names, all at once)
// while hubel's wasm is still loading. hubel's loader (models.Fetch) takes them from
// window.hubelPrefetch, a Map from each file's URL to a Promise of its
// ArrayBuffer, of 404 when there is no such file, or of null when the fetch
// failed otherwise (hubel then fetches it again and reports the error
// itself). base is the model's folder URL.
"use strict";
function hubelPrefetchModel(base) {
  const map = window.hubelPrefetch = window.hubelPrefetch || new Map();
  const dir = new URL(base, location.href).href.replace(/\/?$/, "/");
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

// hubelPrefetchHash prefetches the model the app page's address names
// (#model=NAME, a copy on this site, or #url=FOLDER); the default model is
// small and is not prefetched.
function hubelPrefetchHash() {
  const key = (k) => { const m = new RegExp(`(?:^#|&)${k}=([^&]*)`).exec(location.hash); return m ? decodeURIComponent(m[1]) : ""; };
  const url = key("url"), model = key("model");
  if (url) hubelPrefetchModel(url);
  else if (model && !/[/\\]|\.\./.test(model)) hubelPrefetchModel(`models/${model}/`);
}
