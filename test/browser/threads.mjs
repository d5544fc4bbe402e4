// Diagnostics (not a test): where the machine's CPU goes while a page gets
// ready, by Chromium thread, in headless Chromium on SwiftShader. It reads
// every Chromium thread's CPU time (Linux /proc) before navigation and
// when the page is ready (bench.html: hubelBenchResult.readyMs; the app:
// hubel.state().firstFrameMs) and prints the threads that used most,
// with their process type:
//
//   node threads.mjs 'http://127.0.0.1:8080/bench.html?batches=1&sides=hubel&check=2&stop=ready' bench
import { launch } from "./chromium.mjs";
import { readFileSync, readdirSync } from "node:fs";

const url = process.argv[2];
const until = process.argv[3] || "bench"; // bench | app
const tick = 10; // ms per clock tick (USER_HZ 100)

// threads returns Map "pid/tid" → {type, name, ms} for every Chromium thread.
function threads() {
  const out = new Map();
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8"); } catch { continue; }
    if (!/chrom/.test(cmd.split("\0")[0])) continue;
    const type = (/--type=([\w-]+)/.exec(cmd) || [, "browser"])[1] + (/--utility-sub-type=([\w.]+)/.exec(cmd) || [, ""])[1].replace(/^(.+)$/, " ($1)");
    let tids;
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = st.slice(st.indexOf("(") + 1, st.lastIndexOf(")"));
        const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
        out.set(`${pid}/${tid}`, { type, name, ms: (Number(f[11]) + Number(f[12])) * tick });
      } catch { /* gone */ }
    }
  }
  return out;
}

const b = await launch({ width: 960, height: 800 });
try {
  const page = await b.context.newPage();
  const before = threads();
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "commit" });
  let ready;
  for (;;) {
    ready = await page.evaluate((u) => u === "bench" ? (window.hubelBenchResult && window.hubelBenchResult.readyMs) : (window.hubel && window.hubel.state && window.hubel.state().firstFrameMs), until).catch(() => null);
    if (ready) break;
    if (Date.now() - t0 > 120000) throw new Error("timeout");
    await new Promise((r) => setTimeout(r, 50));
  }
  const after = threads();
  const wall = Date.now() - t0;
  const rows = [];
  for (const [k, a] of after) rows.push({ ...a, ms: a.ms - (before.get(k)?.ms || 0) });
  const total = rows.reduce((s, r) => s + r.ms, 0);
  console.log(`ready ${ready.toFixed(0)} ms after navigation; ${wall} ms of wall time here, Chromium used ${total} ms of CPU (${(total / wall).toFixed(2)} cores)`);
  const byType = new Map();
  for (const r of rows) byType.set(r.type, (byType.get(r.type) || 0) + r.ms);
  console.log("by process: " + [...byType].sort((a, b) => b[1] - a[1]).map(([t, ms]) => `${t} ${ms}`).join(", "));
  // Threads of one name in one process type together (thread pools).
  const byThread = new Map();
  for (const r of rows) { const k = `${r.type}: ${r.name}`; byThread.set(k, (byThread.get(k) || 0) + r.ms); }
  for (const [k, ms] of [...byThread].sort((a, b) => b[1] - a[1]).slice(0, 20)) if (ms > 0) console.log(`${String(ms).padStart(6)} ms  ${k}`);
} finally { await b.close(); }
