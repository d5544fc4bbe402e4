// Browser test of hubel's site: opens the served page in headless Debian
// Chromium, whose SwiftShader backend provides WebGPU on the CPU, waits (in
// real time) for the kernel self-test that selftest.wasm runs, and checks every
// kernel's relative error against gpu/ref. A second load with navigator.gpu
// removed checks that a browser without WebGPU gets a clear message.
//
//   node selftest.mjs [URL]        (default http://127.0.0.1:8080/)
//
// Environment: CHROMIUM (default /usr/bin/chromium); CI=true turns a missing
// browser or missing WebGPU into a failure instead of a skip;
// HUBEL_TEST_TIMEOUT_S (default 240) bounds the wait for the self-test.
// Writes artifacts/browser-selftest.png and artifacts/browser-no-webgpu.png.

import { exe, launch } from "./chromium.mjs";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const url = process.argv[2] || "http://127.0.0.1:8080/";
const ci = process.env.CI === "true";
const timeoutMs = 1000 * Number(process.env.HUBEL_TEST_TIMEOUT_S || 240);
const tol = 1e-4;
const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), "../../artifacts");

let passed = 0, failed = 0, skipped = 0;
const pass = (what) => { passed++; console.log(`ok    ${what}`); };
const fail = (what) => { failed++; console.log(`FAIL  ${what}`); };
const skip = (what) => {
  if (ci) return fail(`${what} (CI=true: a skip is a failure)`);
  skipped++;
  console.log(`skip  ${what}`);
};

function summary() {
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exitCode = failed > 0 ? 1 : 0;
}

// open loads the page in a fresh tab and waits for the self-test to finish.
async function open(context, { hideWebGPU = false } = {}) {
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => log.push(`[pageerror] ${e}`));
  page.on("response", async (r) => {
    if (!hideWebGPU && r.url().endsWith("/selftest.wasm")) {
      const h = await r.allHeaders();
      console.log(`selftest.wasm: ${h["content-type"]}, content-encoding ${h["content-encoding"] || "none"}`);
    }
  });
  if (hideWebGPU) {
    await page.addInitScript(() => { delete Navigator.prototype.gpu; });
  }
  const t0 = Date.now();
  const resp = await page.goto(url, { waitUntil: "load" });
  if (!resp || !resp.ok()) throw new Error(`GET ${url}: HTTP ${resp && resp.status()}`);
  try {
    await page.waitForFunction(() => window.hubelSelfTest && window.hubelSelfTest.done,
      null, { timeout: timeoutMs, polling: 250 });
  } catch (e) {
    console.log(log.join("\n"));
    throw new Error(`self-test not done after ${timeoutMs / 1000} s: ${e.message.split("\n")[0]}`);
  }
  const wallMs = Date.now() - t0;
  const st = await page.evaluate(() => JSON.parse(JSON.stringify(window.hubelSelfTest,
    (k, v) => (v === Infinity ? "Infinity" : v))));
  return { page, st, log, wallMs };
}

async function main() {
  if (!existsSync(exe)) {
    skip(`browser: ${exe} not found (Debian: apt-get install chromium)`);
    return;
  }
  mkdirSync(artifacts, { recursive: true });
  const { context, close } = await launch({ width: 860, height: 900 });
  try {
    await checkSelfTest(context);
    await checkNoWebGPU(context);
  } finally {
    await close();
  }
}

async function checkSelfTest(context) {
  const { page, st, log, wallMs } = await open(context);
  await page.screenshot({ path: join(artifacts, "browser-selftest.png"), fullPage: true });
  console.log(`adapter: ${st.adapter || "(none)"}`);
  console.log(`self-test done ${(st.elapsedMs / 1000).toFixed(2)} s after navigation start ` +
    `(${(wallMs / 1000).toFixed(2)} s from page.goto)`);
  const hasWebGPU = await page.evaluate(async () =>
    !!(navigator.gpu && await navigator.gpu.requestAdapter().catch(() => null)));
  if (!hasWebGPU) {
    console.log(log.join("\n"));
    skip(`self-test: this Chromium has no WebGPU adapter (page says: ${st.error})`);
    return;
  }
  const results = st.results || [];
  if (results.length === 0 || results.length !== st.total) {
    console.log(log.join("\n"));
    fail(`self-test: ${results.length} results, want ${st.total} (error: ${st.error})`);
  }
  for (const r of results) {
    const e = r.relErr === "Infinity" ? Infinity : r.relErr;
    const what = `${r.kernel.padEnd(20)} ${(r.shape || "").padEnd(22)} n=${String(r.n).padEnd(6)} ` +
      `rel err ${Number(e).toExponential(2)}`;
    if (r.ok && e <= tol) pass(what);
    else fail(`${what}${r.err ? ": " + r.err : ""} (tolerance ${tol})`);
  }
  if (st.error) {
    console.log(log.join("\n"));
    fail(`self-test reported an error: ${st.error}`);
  }
  await page.close();
}

async function checkNoWebGPU(context) {
  const { page, st } = await open(context, { hideWebGPU: true });
  await page.screenshot({ path: join(artifacts, "browser-no-webgpu.png"), fullPage: true });
  const shown = await page.locator("#error").isVisible() ? await page.locator("#error").innerText() : "";
  if (st.error && /WebGPU/.test(shown) && (st.results || []).length === 0) {
    pass(`without navigator.gpu the page says: ${shown.slice(0, 70)}…`);
  } else {
    fail(`without navigator.gpu: error=${JSON.stringify(st.error)}, message shown: ${JSON.stringify(shown)}`);
  }
  await page.close();
}

main().catch((e) => fail(`browser test: ${e.stack || e}`)).finally(summary);
