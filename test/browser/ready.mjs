// Page-ready measurement of hubel's app page (not a test: docs/speed.md
// reports what it prints). It opens index.html with a model in the address
// (MobileNet by default) in headless Chromium on SwiftShader, in a fresh
// profile (nothing cached), waits for the first frame and prints the
// program's marks (ms after navigation: go = the wasm started, device,
// model, renderer, firstFrame) and the model files' fetch window.
//
//   node ready.mjs [SITE_URL] [HASH]
//
// SITE_URL defaults to http://127.0.0.1:8080/, HASH to
// model=mobilenet_v1_0.75_224&steps=64. Writes artifacts/ready-app.json.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./chromium.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/";
const hash = process.argv[3] || "model=mobilenet_v1_0.75_224&steps=64";
const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../artifacts");

const b = await launch({ width: 1200, height: 800 });
try {
  const page = await b.context.newPage();
  page.on("pageerror", (e) => console.log(`[pageerror] ${e}`));
  page.on("console", (m) => { if (m.type() === "error" || /panic|hubel:/.test(m.text())) console.log(`[console] ${m.text().slice(0, 400)}`); });
  const url = new URL("index.html#" + hash, base).href;
  console.log(`ready: ${url}`);
  await page.goto(url, { waitUntil: "load" });
  const t0 = Date.now();
  let s;
  for (;;) {
    s = await page.evaluate(() => window.hubel && window.hubel.state());
    if (s && (s.firstFrameMs > 0 || s.error)) break;
    if (Date.now() - t0 > 300000) throw new Error("no first frame after 300 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  if (s.error) throw new Error(`page error: ${s.error}`);
  const files = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => /\/models\//.test(e.name))
    .map((e) => ({ name: e.name.replace(/.*\/models\//, ""), start: e.startTime, end: e.responseEnd })));
  const shards = files.filter((f) => !/index\.json$/.test(f.name));
  const wasm = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => /\.wasm$/.test(e.name))
    .map((e) => [e.name.replace(/.*\//, ""), Math.round(e.startTime), Math.round(e.responseEnd)]));
  console.log(`wasm files (name, start, end): ${JSON.stringify(wasm)}`);
  const out = {
    adapter: s.adapter, marks: s.marks, firstFrameMs: s.firstFrameMs,
    modelFiles: shards.length, modelFetch: shards.length ? [Math.min(...shards.map((f) => f.start)), Math.max(...shards.map((f) => f.end))] : null,
  };
  const m = s.marks || {};
  console.log(`adapter ${s.adapter}`);
  console.log(`ms after navigation: wasm started ${m.go?.toFixed(0)}, zoo ${m.zoo?.toFixed(0)}, device ${m.device?.toFixed(0)}, model ${m.model?.toFixed(0)}, ` +
    `renderer ${m.renderer?.toFixed(0)}, first frame ${s.firstFrameMs.toFixed(0)}; ${shards.length} model files fetched ` +
    `${out.modelFetch ? out.modelFetch.map((x) => x.toFixed(0)).join("–") : "—"}`);
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(artifacts, "ready-app.json"), JSON.stringify(out, null, 1));
} finally {
  await b.close();
}
