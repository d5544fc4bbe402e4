// Page-ready measurement of hubel's app page (not a test: docs/speed.md
// reports what it prints). It opens index.html with a model in the address
// (MobileNet by default) in headless Chromium on SwiftShader, in a fresh
// profile (nothing cached), waits for the first frame and prints the
// program's marks (ms after navigation: go = the wasm started, device,
// model, renderer, firstFrame, drawn: the first image on the screen, and
// ebiten: the display's first image), ready (the later of model and
// drawn) and the model files' fetch window. Then,
// once the service worker has stored the model's files, it loads the page
// again in the same profile (a repeat visit) and prints the same.
//
//   node ready.mjs [SITE_URL] [HASH]
//
// SITE_URL defaults to http://127.0.0.1:8080/, HASH to
// model=mobilenet_v1_0.75_224&steps=64. HUBEL_READY_VISITS=1 measures the
// first visit only. HUBEL_BROWSER_SETTLE_MS=4000 lets the new browser
// finish its own start-up first (chromium.mjs). Writes
// artifacts/ready-app.json.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, swStored } from "./chromium.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/";
const hash = process.argv[3] || "model=mobilenet_v1_0.75_224&steps=64";
const visits = Number(process.env.HUBEL_READY_VISITS || 2);
const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../artifacts");

// measure waits for the page's first frame and reads its marks.
async function measure(page, visit) {
  const t0 = Date.now();
  let s;
  for (;;) {
    s = await page.evaluate(() => window.hubel && window.hubel.state());
    // The first image may come before the model has loaded (a preview
    // drawn while its weights load): wait for both.
    if (s && (s.firstFrameMs > 0 && s.marks && s.marks.model > 0 || s.error)) break;
    if (Date.now() - t0 > 300000) throw new Error(`${visit}: no first frame after 300 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (s.error) throw new Error(`${visit}: page error: ${s.error}`);
  // The first image on the canvas (the game sets hubelDrawnMs when it
  // draws one): the frame is ready when the reader sees it.
  let drawnMs = 0;
  for (const t1 = Date.now(); Date.now() - t1 < 60000; await new Promise((r) => setTimeout(r, 100))) {
    drawnMs = await page.evaluate(() => window.hubelDrawnMs || 0);
    if (drawnMs > 0) break;
  }
  // The model's files: fetched by the page, or by prefetch.js's worker
  // (whose fetches the page's timeline does not list; through the service
  // worker when the page is controlled).
  // ebiten's own first image (firstPaint's placeholder shows it before).
  let ebitenMs = 0;
  const split = await page.evaluate(() => typeof window.hubelStartDisplay === "function"); // a page before session 7 has one program
  for (const t1 = Date.now(); split && Date.now() - t1 < 60000; await new Promise((r) => setTimeout(r, 100))) {
    ebitenMs = await page.evaluate(() => window.hubelEbitenMs || 0);
    if (ebitenMs > 0) break;
  }
  const files = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => /\/models\//.test(e.name))
    .map((e) => ({ name: e.name.replace(/.*\/models\//, ""), start: e.startTime, end: e.responseEnd, sw: e.workerStart > 0 }))
    .concat((window.hubelPrefetchTimes || []).map((t) => ({ name: t.url.replace(/.*\/models\//, ""), start: t.start, end: t.end,
      sw: performance.getEntriesByType("navigation")[0].workerStart > 0 }))));
  const shards = files.filter((f) => !/index\.json$/.test(f.name));
  const wasm = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => /\.wasm$/.test(e.name))
    .map((e) => [e.name.replace(/.*\//, ""), Math.round(e.startTime), Math.round(e.responseEnd)]));
  const controlled = await page.evaluate(() => !!(navigator.serviceWorker && navigator.serviceWorker.controller));
  const out = {
    visit, adapter: s.adapter, marks: s.marks, firstFrameMs: s.firstFrameMs, drawnMs, ebitenMs, controlled, wasm,
    modelFiles: shards.length, modelFilesThroughWorker: shards.filter((f) => f.sw).length,
    modelFetch: shards.length ? [Math.min(...shards.map((f) => f.start)), Math.max(...shards.map((f) => f.end))] : null,
  };
  const m = s.marks || {};
  console.log(`${visit}: adapter ${s.adapter}; service worker in control: ${controlled}`);
  console.log(`${visit}: wasm files (name, start, end): ${JSON.stringify(wasm)}`);
  console.log(`${visit}: ms after navigation: wasm started ${m.go?.toFixed(0)}, zoo ${m.zoo?.toFixed(0)}, device ${m.device?.toFixed(0)}, model ${m.model?.toFixed(0)}, ` +
    `renderer ${m.renderer?.toFixed(0)}, first frame ${s.firstFrameMs.toFixed(0)}, on the screen ${drawnMs ? drawnMs.toFixed(0) : "(not reported)"}, drawn by ebiten ${ebitenMs ? ebitenMs.toFixed(0) : "(not reported)"}; ${shards.length} model files ` +
    `(${out.modelFilesThroughWorker} through the service worker) fetched ${out.modelFetch ? out.modelFetch.map((x) => x.toFixed(0)).join("–") : "—"}`);
  // Ready: the model loaded and its first image on the screen.
  out.readyMs = Math.max(m.model || 0, drawnMs);
  console.log(`${visit}: ready (MobileNet loaded, first image on the screen) ${out.readyMs.toFixed(0)} ms after navigation`);
  return out;
}

const b = await launch({ width: 1200, height: 800 });
try {
  const page = await b.context.newPage();
  page.on("pageerror", (e) => console.log(`[pageerror] ${e}`));
  page.on("console", (m) => { if (m.type() === "error" || /panic|hubel:/.test(m.text())) console.log(`[console] ${m.text().slice(0, 400)}`); });
  const url = new URL("index.html#" + hash, base).href;
  console.log(`ready: ${url}${b.settled ? ` (the browser settled for ${b.settled} ms first)` : ""}`);
  await page.goto(url, { waitUntil: "load" });
  const runs = [await measure(page, "first visit")];
  if (visits > 1) {
    const st = await swStored(page, 300000);
    console.log(`service worker stored ${st.want - st.missing} of ${st.want} model files`);
    // The first visit's first steps done: closing the page does not stop
    // the GPU process compiling their pipelines (SwiftShader: tens of
    // seconds under load), which a repeat visit opened at once would wait
    // behind (ebiten's WebGL calls block on it).
    for (const t0 = Date.now(); Date.now() - t0 < 300000;) {
      if ((await page.evaluate(() => window.hubel.state().step)) >= 2) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.close();
    const again = await b.context.newPage();
    again.on("pageerror", (e) => console.log(`[pageerror] ${e}`));
    await again.goto(url, { waitUntil: "load" });
    runs.push(await measure(again, "repeat visit"));
  }
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, "ready-app.json"), JSON.stringify(runs, null, 1));
} finally {
  await b.close();
}
