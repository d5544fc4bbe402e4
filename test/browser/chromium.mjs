// launch starts Debian's Chromium headless with WebGPU on SwiftShader (the
// flags of ../shared/DESIGN.md) in a fresh profile, for the browser tests.
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
    ],
  });
  console.log(`browser: ${exe} ${context.browser()?.version() ?? ""}`.trim());
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
