// Browser test of hubel's benchmark page (site/bench.html): runs a short
// version of it in headless Debian Chromium (SwiftShader WebGPU; WebGL
// through SwiftShader too) and checks that it runs end to end, that hubel
// and TF.js optimise the same objective from the same start (every side's
// curve rises, and TF.js-WebGPU's follows hubel's), and that every row got
// a figure. The same script runs the long benchmark:
//
//   node bench.mjs [URL] [QUERY]
//
// URL defaults to http://127.0.0.1:8080/, QUERY (bench.html's parameters)
// to the short CI run. Environment: CHROMIUM (default /usr/bin/chromium);
// CI=true turns a missing browser or WebGPU into a failure instead of a
// skip; HUBEL_BENCH_TIMEOUT_S (default 900) bounds the wait. Writes
// artifacts/browser-NAME.png and artifacts/NAME-result.json, NAME being
// HUBEL_BENCH_OUT (default bench).

import { chromium } from "playwright-core";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const base = process.argv[2] || "http://127.0.0.1:8080/";
// The CI run: batch 1, the network only to conv_pw_1_relu (the figures in
// docs/speed.md go to conv_pw_13_relu), channel 7 (alive and far from
// ReLU6's cap at the start), 2 steps of the objective check.
const query = process.argv[3] || "batches=1&steps=1&reps=1&check=2&sides=hubel,webgpu,webgl&rows=step,net&layer=conv_pw_1_relu&channels=7";
const exe = process.env.CHROMIUM || "/usr/bin/chromium";
const ci = process.env.CI === "true";
const timeoutMs = 1000 * Number(process.env.HUBEL_BENCH_TIMEOUT_S || 900);
const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../artifacts");
const outName = process.env.HUBEL_BENCH_OUT || "bench"; // artifacts/browser-NAME.png, NAME-result.json

let passed = 0, failed = 0, skipped = 0;
const pass = (what) => { passed++; console.log(`ok    ${what}`); };
const fail = (what) => { failed++; console.log(`FAIL  ${what}`); };
const skip = (what) => {
  if (ci) return fail(`${what} (CI=true: a skip is a failure)`);
  skipped++;
  console.log(`skip  ${what}`);
};

async function main() {
  if (!existsSync(exe)) return skip(`bench: ${exe} not found (Debian: apt-get install chromium)`);
  mkdirSync(artifacts, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "hubel-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport: { width: 960, height: 1200 },
    args: [
      "--enable-unsafe-webgpu", "--enable-unsafe-swiftshader", "--no-sandbox", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  try {
    // As chromium.mjs: let a new browser finish its own start-up first.
    const settle = Number(process.env.HUBEL_BROWSER_SETTLE_MS || 0);
    if (settle > 0) await new Promise((r) => setTimeout(r, settle));
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") console.log(`[console.error] ${m.text().slice(0, 2000)}`); });
    page.on("pageerror", (e) => console.log(`[pageerror] ${e}`));
    let seen = 0;
    const url = new URL("bench.html?" + query, base).href;
    console.log(`bench: ${url}${settle > 0 ? ` (the browser settled for ${settle} ms first)` : ""}`);
    const resp = await page.goto(url, { waitUntil: "load" });
    if (!resp || !resp.ok()) throw new Error(`GET ${url}: HTTP ${resp && resp.status()}`);
    const t0 = Date.now();
    let r;
    for (;;) {
      r = await page.evaluate(() => JSON.parse(JSON.stringify(window.hubelBenchResult || {})));
      for (; seen < (r.log || []).length; seen++) console.log(`  ${r.log[seen]}`);
      if (r.done) break;
      if (Date.now() - t0 > timeoutMs) throw new Error(`bench not done after ${timeoutMs / 1000} s`);
      await new Promise((res) => setTimeout(res, 500));
    }
    await page.screenshot({ path: join(artifacts, `browser-${outName}.png`), fullPage: true });
    writeFileSync(join(artifacts, `${outName}-result.json`), JSON.stringify(r, null, 1));
    check(r);
    await page.close();
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function check(r) {
  if (r.error && /WebGPU/.test(r.error) && !r.adapter) return skip(`bench: no WebGPU here: ${r.error}`);
  if (r.error) return fail(`bench page error: ${r.error}`);
  pass(`bench page done on ${r.adapter}, ready ${(r.readyMs / 1000).toFixed(2)} s after navigation`);
  // The page-ready breakdown (docs/speed.md): its parts are there.
  const rd = r.ready || {};
  if (rd.total > 0 && rd.firstFrame > 0 && rd.renderer > 0 && rd.modelLoad > 0 && rd.firstStepAfter > 0) {
    pass(`page-ready breakdown: ${Object.entries(rd).map(([k, v]) => `${k} ${Math.round(v)}`).join(", ")}`);
  } else fail(`page-ready breakdown incomplete: ${JSON.stringify(rd)}`);
  // The first frame, drawn on the CPU while MobileNet loads (without it),
  // is the renderer's own initial image, to float rounding.
  if (r.frameIsRenderers === true) pass(`the first frame is the renderer's initial image (largest difference ${r.frameMaxDiff.toExponential(2)} ≤ 1e-4)`);
  else fail(`the first frame differs from the renderer's initial image by up to ${r.frameMaxDiff} (> 1e-4)`);
  if (r.config.stop === "ready") return; // stop=ready: nothing else ran
  if (r.tfMissing) fail(`TF.js missing from the site: ${r.tfMissing}`);
  const c = r.check || {};
  const sides = (r.config.sides || []);
  for (const s of sides) {
    const v = (c.curves || {})[s];
    if (!v) { s === "webgl" ? skip(`objective ${s}: no curve (backend unavailable here)`) : fail(`objective ${s}: no curve`); continue; }
    if (v[v.length - 1] > v[0]) pass(`objective ${s} rises: ${v[0].toFixed(4)} → ${v[v.length - 1].toFixed(4)}`);
    else fail(`objective ${s} does not rise: ${v.map((x) => x.toFixed(4)).join(" ")}`);
  }
  // Same start, same crops, same step: TF.js-WebGPU's curve follows hubel's.
  for (const [s, d] of Object.entries(c.maxRelDiff || {})) {
    if (d <= 0.02) pass(`TF.js-${s}'s objective follows hubel's: largest relative difference ${d.toExponential(2)} (≤ 0.02)`);
    else fail(`TF.js-${s}'s objective differs from hubel's by up to ${d.toExponential(2)} (> 0.02)`);
  }
  if (!(c.maxRelDiff || {}).webgpu && sides.includes("webgpu")) fail("no TF.js-WebGPU curve to compare with hubel's");
  for (const row of r.config.rows) {
    for (const b of r.config.batches) {
      for (const s of sides) {
        const x = r.rows.find((y) => y.row === row && y.batch === b && y.side === s);
        if (x && x.stepsPerSec > 0) {
          pass(`${row} batch ${b} ${s}: ${x.stepsPerSec.toFixed(4)} steps/s` + (x.ratio ? `, hubel ÷ ${s} = ${x.ratio.toFixed(2)}` : ""));
        } else if (s === "webgl" && !(c.curves || {}).webgl) {
          skip(`${row} batch ${b} ${s}: backend unavailable`);
        } else fail(`${row} batch ${b} ${s}: no figure`);
      }
    }
  }
  if (r.memory && r.memory.hubelBytes > 0) pass(`GPU memory at batch ${r.memory.batch}: hubel ${(r.memory.hubelBytes / 2 ** 20).toFixed(1)} MiB`);
  else fail("no GPU memory figure");
}

main().catch((e) => fail(`bench: ${e.stack || e}`)).finally(() => {
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exitCode = failed > 0 ? 1 : 0;
});
