// Diagnostics (not a test): a CPU profile of a page's main thread from
// navigation until the page is ready (bench.html: hubelBenchResult.readyMs;
// the app: hubel.state().firstFrameMs), in headless Chromium on
// SwiftShader. Prints the functions with the most time, self and
// inclusive (wasm functions by their Go names, where the site was built
// with HUBEL_WASM_NAMES=1 ./build.sh), and writes the profile
// (for Chromium's DevTools) to artifacts/profile.cpuprofile or $OUT:
//
//   node profile.mjs 'http://127.0.0.1:8080/bench.html?batches=1&sides=hubel&check=2&stop=ready' bench
//   node profile.mjs 'http://127.0.0.1:8080/index.html#model=mobilenet_v1_0.75_224' app
import { launch } from "./chromium.mjs";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
const url = process.argv[2];
const until = process.argv[3] || "bench"; // bench | app
const out = process.env.OUT || join(resolve(dirname(fileURLToPath(import.meta.url)), "../../artifacts"), "profile.cpuprofile");
const b = await launch({ width: 960, height: 800 });
try {
  const page = await b.context.newPage();
  const cdp = await b.context.newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  await page.goto(url, { waitUntil: "commit" });
  const t0 = Date.now();
  for (;;) {
    const r = await page.evaluate((u) => u === "bench" ? (window.hubelBenchResult && window.hubelBenchResult.readyMs) : (window.hubel && window.hubel.state && window.hubel.state().firstFrameMs), until).catch(() => null);
    if (r) { console.log("ready", r); break; }
    if (Date.now() - t0 > 120000) throw new Error("timeout");
    await new Promise((r) => setTimeout(r, 200));
  }
  const { profile } = await cdp.send("Profiler.stop");
  writeFileSync(out, JSON.stringify(profile));
  const self = new Map(), byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas; const cnt = new Map();
  profile.samples.forEach((id, i) => cnt.set(id, (cnt.get(id) || 0) + (dt[i + 1] || 0)));
  // self time by function, and inclusive time by function
  const parent = new Map(); for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const incl = new Map();
  for (const [id, t] of cnt) {
    const n = byId.get(id); const k = n.callFrame.functionName || "(anon " + n.callFrame.url.replace(/.*\//, "") + ":" + n.callFrame.lineNumber + ")";
    self.set(k, (self.get(k) || 0) + t);
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) { const q = byId.get(p); const kk = q.callFrame.functionName || "(anon)"; if (!seen.has(kk)) { seen.add(kk); incl.set(kk, (incl.get(kk) || 0) + t); } }
  }
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, t]) => `${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`).join("\n");
  console.log("SELF\n" + top(self, 40)); console.log("INCLUSIVE\n" + top(incl, 60));
} finally { await b.close(); }
