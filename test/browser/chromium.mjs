// launch starts Debian's Chromium headless with WebGPU on SwiftShader (the
// flags of ../shared/DESIGN.md) in a fresh profile, for the browser tests
// and measurements.
// close() ends it and removes the profile.

import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const exe = process.env.CHROMIUM || "/usr/bin/chromium";

export async function launch(viewport) {
  const profile = mkdtempSync(join(tmpdir(), "hubel-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    viewport,
    args: [
      "--enable-unsafe-webgpu", "--no-sandbox", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ...(process.env.HUBEL_CHROMIUM_ARGS || "").split(" ").filter(Boolean), // diagnostics, e.g. --js-flags=...
    ],
  });
  console.log(`browser: ${exe} ${context.browser()?.version() ?? ""}`.trim());
  // HUBEL_BROWSER_SETTLE_MS=N waits N ms before the caller opens its page:
  // a browser that has just started spends its first seconds on its own
  // pages (Chromium 156's top-chrome WebUI renderer took ~1.9 s of CPU on
  // 2 cores), which a reader's running browser has long done. For the
  // speed measurements (ready.mjs, bench.mjs); the tests do not wait.
  const settled = Number(process.env.HUBEL_BROWSER_SETTLE_MS || 0);
  if (settled > 0) await new Promise((r) => setTimeout(r, settled));
  return {
    context,
    settled,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// swStored waits (up to ms) until the page's service worker is active and
// its cache holds every model file the page (or its prefetch worker)
// fetched with a 200, and
// returns how many it wanted and how many are still missing.
export async function swStored(page, ms) {
  return page.evaluate(async (ms) => {
    await navigator.serviceWorker.ready;
    const want = [...new Set(performance.getEntriesByType("resource").filter((e) => e.responseStatus === 200).map((e) => e.name)
      .concat((window.hubelPrefetchTimes || []).filter((t) => t.status === 200).map((t) => t.url)))].filter((u) => /\/models\/.+\//.test(u));
    const t0 = Date.now();
    for (;;) {
      const keys = (await (await caches.open("hubel-v1")).keys()).map((r) => r.url);
      const missing = want.filter((u) => !keys.includes(u));
      if (missing.length === 0 || Date.now() - t0 > ms) return { want: want.length, missing: missing.length };
      await new Promise((r) => setTimeout(r, 250));
    }
  }, ms);
}
