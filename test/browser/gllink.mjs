// Diagnostics (not a test): counts and times the WebGL program links and
// shader compiles a page makes until its first frame (ebiten's shaders),
// in headless Chromium on SwiftShader.
//
//   node gllink.mjs 'http://127.0.0.1:8080/index.html#model=mobilenet_v1_0.75_224'
import { launch } from "./chromium.mjs";
const url = process.argv[2];
const b = await launch({ width: 960, height: 800 });
try {
  const page = await b.context.newPage();
  await page.addInitScript(() => {
    window.__gl = [];
    const P = WebGL2RenderingContext.prototype;
    for (const name of ["linkProgram", "compileShader", "getProgramParameter", "getShaderParameter"]) {
      const f = P[name];
      P[name] = function (...a) {
        const t = performance.now();
        const r = f.apply(this, a);
        window.__gl.push([name, Math.round(t), Math.round(performance.now() - t)]);
        return r;
      };
    }
  });
  await page.goto(url, { waitUntil: "commit" });
  const t0 = Date.now();
  for (;;) {
    const s = await page.evaluate(() => window.hubel && window.hubel.state && window.hubel.state()).catch(() => null);
    if (s && (s.firstFrameMs > 0 || s.error)) { console.log("first frame", Math.round(s.firstFrameMs), "marks", JSON.stringify(s.marks)); break; }
    if (Date.now() - t0 > 120000) throw new Error("timeout");
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, Number(process.env.AFTER_MS || 1500)));
  const gl = await page.evaluate(() => window.__gl);
  const sum = {};
  for (const [n, , d] of gl) { sum[n] = sum[n] || [0, 0]; sum[n][0]++; sum[n][1] += d; }
  console.log(JSON.stringify(sum));
  for (const e of gl) if (e[2] > 20) console.log(e.join(" "));
} finally {
  await b.close();
}
