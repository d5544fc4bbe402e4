// End-to-end test of hubel's app in headless Debian Chromium (SwiftShader
// WebGPU, real time): the first image (the CPU preview, on the placeholder
// canvas) is the GPU renderer's initial image, a page without a link renders the bundled MNIST
// classifier in grey with its top-9 dataset examples (checked against
// examples.json and the sprite), pixel AM / DGN-AM / PPGN render one class
// side by side with working toggle and sliders, the example link renders and
// its objective rises, a gallery fills in, embed mode has no controls, bad
// links say what is wrong, a lost GPU device is recovered, a page without
// WebGPU explains itself, and a reload with the network off still works
// (service worker).
//
//   node site.mjs URL        (the site built with -models ../shared/models)
//
// Environment: CHROMIUM (default /usr/bin/chromium); CI=true turns a skip
// into a failure; HUBEL_TEST_TIMEOUT_S (default 240) bounds each wait.
// HUBEL_SITE_ONLY=lost,embed runs only the named tests (mnist, methods,
// first, example, bad, gallery, lost, embed, nowebgpu). Writes artifacts/site-*.png.
//
// The renderer runs the network at the image's size (plus Lucid's padding),
// so the tests use 64 px images (MobileNet at 76 px) to stay quick on
// SwiftShader; the example link's other keys are as given.

import { exe, launch, swStored } from "./chromium.mjs";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const base = (process.argv[2] || "http://127.0.0.1:8080/").replace(/[^/]*$/, "");
const ci = process.env.CI === "true";
const timeoutMs = 1000 * Number(process.env.HUBEL_TEST_TIMEOUT_S || 240);
const here = dirname(fileURLToPath(import.meta.url));
const artifacts = resolve(here, "../../artifacts");
const site = resolve(here, "../../site");
const model = "mobilenet_v1_0.75_224";
const only = (process.env.HUBEL_SITE_ONLY || "").split(",").filter(Boolean);
const wanted = (name) => only.length === 0 || only.includes(name);

let passed = 0, failed = 0, skipped = 0;
const pass = (what) => { passed++; console.log(`ok    ${what}`); };
const fail = (what) => { failed++; console.log(`FAIL  ${what}`); };
const check = (cond, what, detail = "") => (cond ? pass(what) : fail(detail ? `${what}: ${detail}` : what));
const skip = (what) => {
  if (ci) return fail(`${what} (CI=true: a skip is a failure)`);
  skipped++;
  console.log(`skip  ${what}`);
};

async function open(context, hash, { init = [] } = {}) {
  const page = await context.newPage();
  const log = [];
  page.on("console", (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => log.push(`[pageerror] ${e}`));
  for (const f of [].concat(init)) await page.addInitScript(f);
  await page.goto(base + "index.html" + hash, { waitUntil: "load" });
  return { page, log };
}

const state = (page) => page.evaluate(() => window.hubel.state());

// until polls the page's state until pred holds (or an error shows).
async function until(page, pred, what, log, { tolerateError = false } = {}) {
  const t0 = Date.now();
  for (;;) {
    const s = await state(page);
    if (pred(s)) return s;
    if (s.error && !tolerateError) {
      console.log(log.join("\n"));
      throw new Error(`${what}: the page reports: ${s.error}`);
    }
    if (Date.now() - t0 > timeoutMs) {
      console.log(log.join("\n"));
      throw new Error(`${what}: not after ${timeoutMs / 1000} s (state ${JSON.stringify({ ...s, objective: s.objective.length })})`);
    }
    await page.waitForTimeout(250);
  }
}

// shot screenshots a region of the page (saved to file, if given) and
// returns its pixels, decoded by the page: width W, height H and RGBA bytes d.
async function shot(page, box, file) {
  const png = await page.screenshot({ path: file, clip: box });
  const { W, H, b64 } = await page.evaluate(async (b64) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const c = new OffscreenCanvas(img.width, img.height).getContext("2d");
    c.drawImage(img, 0, 0);
    const d = c.getImageData(0, 0, img.width, img.height).data;
    let bin = "";
    for (let i = 0; i < d.length; i += 0x8000) bin += String.fromCharCode(...d.subarray(i, i + 0x8000));
    return { W: img.width, H: img.height, b64: btoa(bin) };
  }, png.toString("base64"));
  return { W, H, d: Buffer.from(b64, "base64") };
}

// elementBox is the page rectangle of the element with this id.
function elementBox(page, id) {
  return page.evaluate((id) => {
    const r = document.getElementById(id).getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  }, id);
}

// near says whether pixel o of d is within 90 (summed over R, G, B) of rgb.
const near = (d, o, [r, g, b]) => Math.abs(d[o] - r) + Math.abs(d[o + 1] - g) + Math.abs(d[o + 2] - b) < 90;

// pixels returns statistics of a screenshot's region: the standard
// deviation of luminance, the number of distinct colours, and how many
// pixels are near the colour rgb, if given.
async function pixels(page, box, file, rgb) {
  const { d } = await shot(page, box, file);
  let s = 0, s2 = 0, close = 0;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    s += y; s2 += y * y;
    colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    if (rgb && near(d, i, rgb)) close++;
  }
  const n = d.length / 4;
  return { std: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)), colours: colours.size, near: close };
}

// curveHits checks that the display drew each curve where its values say:
// for every step of every series, the screenshot of #curve has a pixel of
// the series' colour within 3 px of the point the values give (one y range
// over all series, as wasm/display's drawCurve), skipping points that a
// series drawn later covers. Returns, per series, [points checked, found].
async function curveHits(page, curves, colours, file) {
  const { W, H, d } = await shot(page, await elementBox(page, "curve"), file);
  const all = curves.flat();
  const lo = Math.min(...all), top = Math.max(...all), hi = top - lo < 1e-9 ? lo + 1 : top; // as drawCurve
  const steps = Math.max(...curves.map((c) => c.length)), pad = 4;
  const at = (v, i) => [(W * i) / (steps - 1), pad + (H - 2 * pad) * (1 - (v - lo) / (hi - lo))];
  return curves.map((cv, k) => {
    let checked = 0, found = 0;
    cv.forEach((v, i) => {
      const [x, y] = at(v, i);
      if (x < 2 || x > W - 3) return;
      if (curves.some((o, j) => j > k && i < o.length && Math.abs(at(o[i], i)[1] - y) < 6)) return;
      checked++;
      const px = Math.round(x);
      for (let yy = Math.max(0, Math.round(y) - 3); yy <= Math.min(H - 1, Math.round(y) + 3); yy++) {
        if (near(d, 4 * (yy * W + px), colours[k])) { found++; return; }
      }
    });
    return [checked, found];
  });
}

async function cellBox(page, i = 0) {
  return page.evaluate((i) => {
    const st = document.getElementById("stage").getBoundingClientRect();
    const cells = window.hubelTestCells || [];
    const c = cells[i] || { x: 0, y: 0, w: st.width, h: st.height };
    return { x: st.left + c.x + 2, y: st.top + c.y + 2, width: c.w - 4, height: c.h - 4 };
  }, i);
}

// Records the cell rectangles the program reports (for cellBox).
const recordCells = () => {
  const orig = Object.getOwnPropertyDescriptor(window, "hubelCells");
  let f;
  Object.defineProperty(window, "hubelCells", {
    configurable: true,
    get: () => (mode, cells) => { window.hubelTestCells = Array.from(cells); return f && f(mode, cells); },
    set: (v) => { f = v; },
  });
  void orig;
};

// Records the first three images the engine publishes for cell 0
// (window.hubelView, wasm/page) as window.hubelTestFrames: {ver, size,
// rgba}, and for the first, the placeholder canvas's pixels once the engine
// has painted it (placeholder: {w, h, data, draw}, from the cell's
// rectangle as hubelCells reported it; draw: the settings of its scaled
// drawImage).
const recordFrames = () => {
  const frames = window.hubelTestFrames = [];
  const snap = (f) => {
    const cv = document.getElementById("hubel-first"), r = (window.hubelTestCells || [])[0];
    if (!cv || !r) return;
    const dpr = devicePixelRatio || 1;
    const x = Math.round(r.x * dpr), y = Math.round(r.y * dpr);
    const w = Math.max(Math.round(r.w * dpr), 1), h = Math.max(Math.round(r.h * dpr), 1);
    f.placeholder = { w, h, data: Array.from(cv.getContext("2d").getImageData(x, y, w, h).data), draw: window.hubelTestDraw };
  };
  // The placeholder's last scaled draw: its smoothing and sizes.
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (img, ...a) {
    if (this.canvas.id === "hubel-first" && a.length === 4) {
      window.hubelTestDraw = { smoothing: this.imageSmoothingEnabled, quality: this.imageSmoothingQuality, sw: img.width, sh: img.height, w: a[2], h: a[3] };
    }
    return drawImage.call(this, img, ...a);
  };
  const watch = (view, c) => {
    let ver = c.ver;
    Object.defineProperty(c, "ver", {
      configurable: true, enumerable: true, get: () => ver,
      set: (v) => {
        ver = v;
        if (frames.length >= 3 || !c.rgba) return;
        const f = { ver: v, size: view.size, rgba: Array.from(c.rgba) };
        frames.push(f);
        if (frames.length === 1) setTimeout(() => snap(f), 0); // after the engine's paint
      },
    });
  };
  let view;
  Object.defineProperty(window, "hubelView", {
    configurable: true, get: () => view,
    set: (o) => {
      view = o;
      let cells = o.cells;
      Object.defineProperty(o, "cells", {
        configurable: true, enumerable: true, get: () => cells,
        set: (a) => { cells = a; if (a && a[0]) watch(o, a[0]); },
      });
    },
  });
};

// bilinear resamples an n×n RGBA image to w×h as a GPU's linear sampler
// does (pixel centres at +½, edges clamped): the oracle for the
// placeholder, which the browser scales (wasm/first.go).
function bilinear(src, n, w, h) {
  const out = new Float64Array(w * h * 4);
  const at = (x, y, ch) => src[4 * (Math.min(Math.max(y, 0), n - 1) * n + Math.min(Math.max(x, 0), n - 1)) + ch];
  for (let y = 0; y < h; y++) {
    const sy = (y + 0.5) * n / h - 0.5, y0 = Math.floor(sy), fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = (x + 0.5) * n / w - 0.5, x0 = Math.floor(sx), fx = sx - x0;
      for (let ch = 0; ch < 4; ch++) {
        out[4 * (y * w + x) + ch] = (1 - fy) * ((1 - fx) * at(x0, y0, ch) + fx * at(x0 + 1, y0, ch)) +
          fy * ((1 - fx) * at(x0, y0 + 1, ch) + fx * at(x0 + 1, y0 + 1, ch));
      }
    }
  }
  return out;
}

// (0) The first image, before the GPU's: the CPU preview (am.Preview),
// equal to the GPU renderer's own first frame (its initial image), and
// shown on the placeholder canvas scaled as the display scales it.
async function testFirstImage(page, log) {
  await until(page, (s) => s.firstFrameMs > 0, "first frame", log);
  await page.waitForFunction(() => (window.hubelTestFrames || []).length >= 2 && "placeholder" in window.hubelTestFrames[0] || undefined,
    null, { timeout: timeoutMs, polling: 100 }).catch(() => {});
  const f = await page.evaluate(() => window.hubelTestFrames || []);
  if (f.length < 2) return fail("first image: the engine published fewer than two frames", `${f.length}`);
  let maxd = 0;
  for (let i = 0; i < f[0].rgba.length; i++) if (i % 4 !== 3) maxd = Math.max(maxd, Math.abs(f[0].rgba[i] - f[1].rgba[i]));
  check(f[0].size === f[1].size && f[0].rgba.length === f[1].rgba.length && maxd <= 2,
    `the CPU preview equals the GPU renderer's initial image (max difference ${maxd} of 255)`, `size ${f[0].size}/${f[1].size}`);
  const p = f[0].placeholder;
  if (!p) return fail("first image: the placeholder canvas was not painted");
  const n = f[0].size, ref = bilinear(f[0].rgba, n, p.w, p.h);
  let worst = 0;
  for (let i = 0; i < p.data.length; i++) if (i % 4 !== 3) worst = Math.max(worst, Math.abs(p.data[i] - ref[i]));
  // The initial image is faint noise, which nearest-neighbour scaling
  // would also match within a level: the draw's own settings tell them apart.
  const d = p.draw || {};
  check(worst <= 2 && d.smoothing === true && d.quality === "low" && d.w === p.w && d.h === p.h && d.sw === n && d.sh === n,
    `the placeholder shows the first image, scaled bilinearly from ${n} px to its cell's ${p.w}×${p.h} (max difference ${worst.toFixed(1)})`,
    JSON.stringify(d));
}

// One page runs most tests: a fresh page loads the wasm, the model and
// compiles the kernels again, which on SwiftShader costs more than the
// renders. Later links are typed into its address bar (hashchange, the same
// code path as opening them).
async function testOnePage(context) {
  const hash = `#model=${model}&objective=conv_pw_9_relu:5&steps=64&seed=1&size=64`;
  await onOnePage(context, hash, [["first", testFirstImage], ["example", testExample], ["bad", testBadHashes], ["gallery", testGallery], ["lost", testLostDevice]]);
}

// onOnePage opens hash in a new page and runs the wanted tests on it in
// turn, each timed; a test's exception is its failure.
async function onOnePage(context, hash, tests) {
  const { page, log } = await open(context, hash, { init: [recordCells, recordFrames] });
  for (const [name, t] of tests) {
    if (!wanted(name)) continue;
    const t0 = Date.now();
    try {
      await t(page, log);
    } catch (e) {
      fail(`${t.name}: ${e.message}`);
    }
    console.log(`      (${t.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await page.close();
}

// go types a link into the page's address bar and waits until the page has
// taken it up (a run started, or a new error shows).
async function go(page, hash) {
  const before = await state(page);
  await page.evaluate((h) => { location.hash = h; }, hash);
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const s = await state(page);
    if (s.running || (s.error && s.error !== before.error) || (!s.error && before.error)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the page did not take up ${hash}`);
}

// (a) The issue's example link, at 64 px.
async function testExample(page, log) {
  const s = await until(page, (s) => s.steps > 0 && s.step >= s.steps && !s.running, "example render", log);
  const o = s.objective;
  const first = o.slice(0, 4).reduce((a, b) => a + b, 0) / 4, last = o.slice(-4).reduce((a, b) => a + b, 0) / 4;
  check(o.length === 64 && last > first && last > o[0], `example link: objective rises over 64 steps`,
    `${o.length} values, first 4 mean ${first}, last 4 mean ${last}`);
  console.log(`      objective ${o[0].toFixed(4)} -> ${o[o.length - 1].toFixed(4)}; adapter ${s.adapter}; ` +
    `first frame ${(s.firstFrameMs / 1000).toFixed(2)} s after navigation; ${s.stepsPerSec.toFixed(2)} steps/s at 64 px`);
  check(s.backend === "webgpu" && /WebGPU/.test(s.adapter), "state() reports the WebGPU backend and adapter", s.adapter);
  await page.waitForTimeout(300); // a frame for the last image
  const px = await pixels(page, await cellBox(page), join(artifacts, "site-example-image.png"));
  check(px.std > 8 && px.colours > 200, "example link: the canvas shows an image, not a blank", JSON.stringify(px));
  await page.screenshot({ path: join(artifacts, "site-example.png") });
  const h = await page.evaluate(() => location.hash);
  check(h.includes("objective=conv_pw_9_relu:5") && h.includes("seed=1") && h.includes(`model=${model}`),
    "the hash keeps the state", h);
  // Export PNG: the image at its own resolution.
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 60000 }), page.click("#export")]);
  const file = join(artifacts, "site-export.png");
  await dl.saveAs(file);
  const head = readFileSync(file);
  const w = head.readUInt32BE(16), hgt = head.readUInt32BE(20);
  check(head.toString("latin1", 1, 4) === "PNG" && w === 64 && hgt === 64, `Export PNG gives the 64×64 image (${dl.suggestedFilename()})`, `${w}×${hgt}`);
  // The JS API: render() resolves when the run ends.
  const r = await page.evaluate(() => window.hubel.render({ steps: 3, size: 32 }).then((s) => s));
  check(r.step === 3 && r.steps === 3 && !r.running && r.objective.length === 3, "hubel.render(config) resolves at the run's end",
    JSON.stringify({ ...r, objective: r.objective.length }));
  const bad = await page.evaluate(() => window.hubel.render({ steps: -3 }).then(() => "resolved", (e) => e.message));
  check(/steps=-3/.test(bad), "hubel.render rejects a bad config with the key named", bad);
}

// (b) A gallery of 8 channels, in batches of 4.
async function testGallery(page, log) {
  await go(page, `#model=${model}&view=gallery&layer=conv_pw_3_relu&channels=0-7&batch=4&steps=6&size=32&seed=2`);
  const seen = new Set();
  await until(page, (s) => { seen.add(s.cellsDone); return s.cellsTotal === 8 && s.cellsDone === 8 && !s.running; }, "gallery", log);
  check(seen.has(4) || [...seen].some((n) => n > 0 && n < 8), "gallery: fills in batch by batch", [...seen].join(","));
  await page.waitForTimeout(300);
  let ok = 0;
  const stats = [];
  for (let i = 0; i < 8; i++) {
    const px = await pixels(page, await cellBox(page, i), join(artifacts, `site-gallery-cell${i}.png`));
    stats.push(px.std.toFixed(1));
    if (px.std > 4 && px.colours > 50) ok++;
  }
  check(ok === 8, "gallery: all 8 cells show an image", stats.join(" "));
  await page.screenshot({ path: join(artifacts, "site-gallery.png") });
  const buttons = await page.locator("#cells button").count();
  check(buttons === 8, "gallery: 8 focusable cell buttons", String(buttons));
  await page.locator("#cells button").nth(3).click();
  const s = await until(page, (s) => s.view === "image" && s.running === false && s.step > 0, "open a gallery cell", log);
  check(/objective=conv_pw_3_relu:3/.test(s.hash), "gallery: clicking cell 3 opens conv_pw_3_relu:3", s.hash);
}

// examplesMatch checks the dataset-examples panel against the model's
// examples.json and sprite, read here independently of the page's code:
// the panel shows K tiles, tile k of unit u is the sprite's square at
// (k·tile, u·tile), and its title names the test image examples.json lists.
async function examplesMatch(page, layer, unit) {
  return page.evaluate(async ([layer, unit]) => {
    const base = "models/mnist/";
    const ex = await (await fetch(base + "examples.json")).json();
    const l = ex.layers.find((x) => x.name === layer);
    const img = await createImageBitmap(await (await fetch(base + l.sprite)).blob());
    const T = ex.tile;
    const c = new OffscreenCanvas(T, T).getContext("2d");
    const tiles = [...document.querySelectorAll("#examples-grid canvas")];
    const panel = document.getElementById("examples");
    const out = { k: ex.k, tiles: tiles.length, visible: !panel.hidden && panel.getClientRects().length > 0, bad: [] };
    tiles.forEach((t, k) => {
      c.clearRect(0, 0, T, T);
      c.drawImage(img, k * T, unit * T, T, T, 0, 0, T, T);
      const want = c.getImageData(0, 0, T, T).data, got = t.getContext("2d").getImageData(0, 0, T, T).data;
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i] - got[i]));
      if (diff > 2 || !t.title.includes(`#${l.index[unit][k]} `)) out.bad.push({ k, diff, title: t.title, index: l.index[unit][k] });
    });
    return out;
  }, [layer, unit]);
}

// waitExamples waits until the examples panel shows the named unit.
async function waitExamples(page, layer, unit) {
  await page.waitForFunction((t) => (document.getElementById("examples-title").textContent || "").startsWith(t) &&
    document.querySelectorAll("#examples-grid canvas").length > 0, `${layer}:${unit} `, { timeout: timeoutMs });
}

// The page opened without a hash renders the bundled MNIST classifier (a
// grey image), with its top-9 dataset examples beside it; then the MNIST
// link for class 3.
async function testMNIST(context) {
  await onOnePage(context, "", [["mnist", testDefaultMNIST], ["methods", testMethods]]);
}

async function testDefaultMNIST(page, log) {
  let s = await until(page, (s) => s.running && s.step >= 8, "default page: first steps", log);
  const first = s.firstFrameMs;
  check(s.model.name === "mnist" && /model=mnist/.test(s.hash) && s.objective[s.objective.length - 1] > s.objective[0],
    "no hash: the page renders the bundled MNIST classifier and its objective rises",
    JSON.stringify({ model: s.model, hash: s.hash, o: s.objective.slice(0, 1).concat(s.objective.slice(-1)) }));
  console.log(`      default (${s.hash}): first frame ${(first / 1000).toFixed(2)} s after navigation; ${s.stepsPerSec.toFixed(2)} steps/s at 128 px; ${s.adapter}`);
  const grey = await shot(page, await cellBox(page)).then(({ d }) => {
    let worst = 0, s = 0, s2 = 0;
    for (let i = 0; i < d.length; i += 4) {
      worst = Math.max(worst, Math.abs(d[i] - d[i + 1]), Math.abs(d[i] - d[i + 2]));
      s += d[i]; s2 += d[i] * d[i];
    }
    const n = d.length / 4;
    return { worst, std: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) };
  });
  check(grey.worst <= 2 && grey.std > 8, "no hash: the canvas shows a grey image, not a blank", JSON.stringify(grey));
  const m = /objective=([\w./]+):(\d+)/.exec(s.hash);
  await waitExamples(page, m[1], +m[2]);
  let ex = await examplesMatch(page, m[1], +m[2]);
  check(ex.visible && ex.tiles === 9 && ex.k === 9 && ex.bad.length === 0, `examples: ${m[1]}:${m[2]} shows the 9 tiles examples.json lists`, JSON.stringify(ex));
  await page.screenshot({ path: join(artifacts, "site-mnist-default.png") });

  await go(page, "#model=mnist&objective=logit:3&steps=64&seed=1");
  s = await until(page, (s) => s.steps === 64 && s.step >= 64 && !s.running, "mnist logit:3", log);
  const o = s.objective;
  check(o.length === 64 && o[63] > o[0] + 1, "#model=mnist&objective=logit:3&steps=64&seed=1: the logit rises", `${o[0]} -> ${o[63]}`);
  await waitExamples(page, "logits", 3);
  ex = await examplesMatch(page, "logits", 3);
  check(ex.visible && ex.tiles === 9 && ex.bad.length === 0, "examples: the panel follows the unit (logits:3)", JSON.stringify(ex));
  await page.waitForTimeout(300);
  const hits = await curveHits(page, [o], [[0xf5, 0xa5, 0x24]], join(artifacts, "site-mnist-logit3-curve.png"));
  check(hits[0][0] >= 32 && hits[0][1] >= 0.9 * hits[0][0], "the curve shows the logit at each step", JSON.stringify(hits));
  await page.screenshot({ path: join(artifacts, "site-mnist-logit3.png") });
}

// Pixel AM, DGN-AM and PPGN side by side on MNIST class 3: three images,
// DGN-AM's objective rises; the class-term toggle and the ε sliders
// (from the keyboard) restart the comparison and land in the state and
// the link.
async function testMethods(page, log) {
  const steps = 24;
  await go(page, `#model=mnist&view=methods&objective=logsoftmax:3&steps=${steps}&seed=1`);
  let s = await until(page, (s) => s.view === "methods" && s.steps === steps && s.step >= steps && !s.running, "methods", log);
  const c = s.methods && s.methods.curves;
  check(s.methods && s.methods.kind === "logsoftmax" && s.methods.class === 3 && ["pixel", "dgn", "ppgn"].every((k) => c[k].length === steps),
    "methods: three renders of logsoftmax:3, each with its curve", JSON.stringify(s.methods && { ...s.methods, curves: Object.keys(c || {}) }));
  // The sliders show the step sizes the render uses (am.DefaultCode's, as the
  // link names none): the page's own defaults must not drift from the program's.
  const sliders = await Promise.all(["eps1", "eps2", "eps3"].map(async (id) => Number(await page.inputValue("#" + id))));
  const used = s.methods ? [s.methods.eps1, s.methods.eps2, s.methods.eps3] : [];
  check(sliders.every((v, i) => v === used[i]), "methods: the ε sliders show the step sizes the render uses",
    JSON.stringify({ sliders, used }));
  const d = c.dgn;
  check(d[steps - 1] > d[0], "methods: DGN-AM's objective rises", `${d[0]} -> ${d[steps - 1]}`);
  console.log(`      logsoftmax:3 after ${steps} steps: pixel ${c.pixel[steps - 1].toFixed(3)}, DGN-AM ${d[0].toFixed(3)} -> ${d[steps - 1].toFixed(3)}, PPGN ${c.ppgn[steps - 1].toFixed(3)}`);
  await page.waitForTimeout(300);
  const stats = [];
  for (let i = 0; i < 3; i++) stats.push(await pixels(page, await cellBox(page, i), join(artifacts, `site-methods-cell${i}.png`)));
  const captions = await page.locator("#cells .caption b").allInnerTexts();
  check(stats.every((p) => p.std > 4) && captions.join(",") === "Pixel AM,DGN-AM,PPGN", "methods: three labelled images side by side",
    JSON.stringify({ stats, captions }));
  // The curves: all three, each in its colour (wasm/stage ColSeries, the
  // page's key), where its values put it.
  const hits = await curveHits(page, [c.pixel, c.dgn, c.ppgn], [[0xf5, 0xa5, 0x24], [0x58, 0xa6, 0xff], [0xd2, 0x8c, 0xff]], join(artifacts, "site-methods-curves.png"));
  const key = await page.locator("#curve-title .key").allInnerTexts();
  check(hits.every(([n, f]) => n >= 2 && f >= 0.9 * n) && key.join(",") === "pixel AM,DGN-AM,PPGN",
    "methods: the curve shows each method's objective, in the colours its key names", JSON.stringify({ hits, key }));
  console.log(`      curve points found where the values put them (pixel, DGN-AM, PPGN): ${hits.map(([n, f]) => `${f}/${n}`).join(", ")}`);
  await page.screenshot({ path: join(artifacts, "site-methods.png") });
  // Export PNG: the three images in one row, as on the stage, at the render's size.
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 60000 }), page.click("#export")]);
  const file = join(artifacts, "site-methods-export.png");
  await dl.saveAs(file);
  const png = readFileSync(file), size = Number((/size=(\d+)/.exec(s.hash) || [0, 128])[1]); // 128: the default
  const ew = png.readUInt32BE(16), eh = png.readUInt32BE(20);
  check(png.toString("latin1", 1, 4) === "PNG" && ew === 3 * size + 2 * 4 && eh === size,
    `methods: Export PNG gives the three images in a row (${dl.suggestedFilename()})`, `${ew}×${eh}, size ${size}`);
  // The toggle: softmax.
  await page.locator("#m-term label", { hasText: /^softmax$/ }).click();
  s = await until(page, (s) => s.methods && s.methods.kind === "softmax", "methods: toggle to softmax", log);
  check(/objective=softmax:3/.test(s.hash), "methods: the class-term toggle switches the objective to softmax:3", s.hash);
  // A slider from the keyboard: one step (0.5) up from the default.
  const eps0 = s.methods.eps2, want = eps0 + 0.5;
  await page.focus("#eps2");
  await page.keyboard.press("ArrowRight");
  s = await until(page, (s) => s.methods && s.methods.eps2 !== eps0, "methods: ε2 from the keyboard", log);
  const label = await page.locator("label[for=eps2]").innerText();
  check(s.methods.eps2 === want && new RegExp(`eps2=${want}(&|$)`).test(s.hash) && /ε2/.test(label) && label.includes(String(want)),
    "methods: the ε2 slider moves with the keyboard, and the link keeps it", JSON.stringify({ eps0, eps2: s.methods.eps2, hash: s.hash, label }));
}

// (c) Embed mode, then (e) the same page reloaded with the network off.
async function testEmbedOffline(context) {
  const { page, log } = await open(context, `#embed&model=${model}&objective=conv_pw_5_relu:2&steps=4&size=32`, { init: recordCells });
  await until(page, (s) => s.step >= 4 && !s.running, "embed render", log);
  await page.waitForTimeout(300);
  const visible = await page.evaluate(() => ["panel", "toolbar", "below"].filter((id) => {
    const el = document.getElementById(id);
    return el && el.getClientRects().length > 0;
  }));
  const controls = await page.locator("input:visible, select:visible, button:visible").count();
  check(visible.length === 0 && controls === 0, "embed: no controls", `visible: ${visible}, ${controls} controls`);
  const px = await pixels(page, await cellBox(page), join(artifacts, "site-embed-image.png"));
  const vp = page.viewportSize();
  const box = await cellBox(page);
  check(px.std > 4 && box.width > 0.5 * Math.min(vp.width, vp.height), "embed: the image fills the frame", JSON.stringify({ px, box }));
  await page.screenshot({ path: join(artifacts, "site-embed.png") });
  await offlineReload(page, log);
  await page.close();
}

// (d) Bad values in the link.
async function testBadHashes(page, log) {
  for (const [hash, key, want] of [
    [`#model=${model}&objective=conv_pw_99_relu:5&steps=4&size=32`, "objective", /no layer "conv_pw_99_relu"/],
    [`#model=${model}&objective=conv_pw_9_relu:5&steps=-3`, "steps", /steps=-3: want a whole number from 1/],
    ["#model=no_such_model&steps=4", "model", /model=no_such_model: no such model/],
    [`#model=${model}&objective=conv_pw_9_relu:x`, "objective", /expected a channel index/],
  ]) {
    await go(page, hash);
    let s;
    try {
      s = await until(page, (s) => !!s.error && want.test(s.error), `bad hash ${hash}`, log, { tolerateError: true });
    } catch (e) {
      fail(`${hash}: ${e.message}`);
      continue;
    }
    const shown = (await page.locator("#error").isVisible()) ? await page.locator("#error").innerText() : "";
    const panel = await page.locator("#panel").isVisible();
    const errs = log.filter((l) => l.startsWith("[pageerror]"));
    check(want.test(shown) && shown.includes(key) && s.errorKey === key && panel && errs.length === 0,
      `bad hash ${hash.slice(0, 60)}: the page says “${shown.split("\n").slice(-1)[0].slice(0, 90)}”`,
      `shown ${JSON.stringify(shown)}, key ${s.errorKey}, panel ${panel}, ${errs.join(" ")}`);
    if (key === "steps") {
      // Nothing of the last run is left beside the error: no curve, no
      // progress, no step count.
      await page.waitForTimeout(300);
      const accent = [0xf5, 0xa5, 0x24];
      const curve = await pixels(page, await elementBox(page, "curve"), join(artifacts, "site-bad-hash-curve.png"), accent);
      const bar = await pixels(page, await elementBox(page, "progress"), join(artifacts, "site-bad-hash-progress.png"), accent);
      const step = await page.locator("#st-step").innerText();
      check(curve.near === 0 && bar.near === 0 && s.steps === 0 && s.objective.length === 0 && step === "—",
        "bad hash: no curve, progress or step count of the last run beside the error",
        JSON.stringify({ curveAccentPixels: curve.near, progressAccentPixels: bar.near, steps: s.steps, step }));
      await page.screenshot({ path: join(artifacts, "site-bad-hash.png") });
    }
  }
}

// A lost GPU device is reopened and the run restarted.
async function testLostDevice(page, log) {
  // The device is destroyed between runs, and the next run must find it
  // lost, reopen a device and finish without a reload. Destroying it during
  // a run from the test proved racy: a warm run can finish before the test,
  // a page timer or a state report sees it mid-run. The program asks the
  // page about its own device only (a late lost promise of an old device
  // cannot mark the new one) and waits for the promise after a failed call.
  const steps = 60;
  // The program opens its device while its first model loads: wait for it
  // (when this test runs alone, the page has just opened).
  await page.waitForFunction(() => window.hubelDevices && window.hubelDevices.length > 0, null, { timeout: timeoutMs });
  await until(page, (s) => !s.running, "lost device: the first run", log);
  await page.evaluate(() => window.hubelDevices[window.hubelDevices.length - 1].destroy());
  await go(page, `#model=${model}&objective=conv_pw_3_relu:1&steps=${steps}&size=32&seed=3`);
  const s = await until(page, (s) => s.step >= steps && !s.running, "lost device: recovered run", log);
  check(/lost/.test(s.notice) && !s.error && s.objective.length === steps, "a lost GPU device is reopened and the run restarted",
    JSON.stringify({ notice: s.notice, error: s.error, step: s.step, values: s.objective.length }));
}

async function testNoWebGPU(context) {
  const { page, log } = await open(context, `#model=${model}&steps=4&size=32`, { init: () => { delete Navigator.prototype.gpu; } });
  const s = await until(page, (s) => !!s.error, "no WebGPU", log, { tolerateError: true });
  const shown = await page.locator("#error").innerText();
  const panel = await page.locator("#panel").isVisible();
  check(/WebGPU/.test(shown) && s.backend === "none" && panel, "without WebGPU: a clear message, the page stays usable", shown.slice(0, 120));
  await page.screenshot({ path: join(artifacts, "site-no-webgpu.png") });
  // A small model renders on the CPU fallback (gpu/ref in the wasm).
  await go(page, "#model=mnist&objective=logit:3&steps=6&size=32&seed=1");
  const c = await until(page, (s) => s.steps === 6 && s.step >= 6 && !s.running, "no WebGPU: MNIST on the CPU", log);
  check(c.backend === "cpu" && /No WebGPU/.test(c.notice) && c.objective[5] > c.objective[0], "without WebGPU: the bundled MNIST renders on the CPU fallback",
    JSON.stringify({ backend: c.backend, notice: c.notice, o: [c.objective[0], c.objective[5]] }));
  await page.close();
}

async function offlineReload(page, log) {
  const context = page.context();
  // Wait until the worker has stored every model file the page fetched.
  const stored = await swStored(page, timeoutMs);
  console.log(`      service worker stored ${stored.want - stored.missing} of ${stored.want} model files`);
  await context.setOffline(true);
  let fromSW = null;
  page.on("response", (r) => { if (r.url().endsWith("/hubel.wasm")) fromSW = r.fromServiceWorker(); });
  try {
    await page.reload({ waitUntil: "load" });
    const s = await until(page, (s) => s.step >= 4 && !s.running, "offline: reload", log);
    check(s.step === 4 && !s.error && fromSW === true, "a reload with the network off still renders (service worker)", `hubel.wasm from the service worker: ${fromSW}`);
    await page.screenshot({ path: join(artifacts, "site-offline.png") });
  } finally {
    await context.setOffline(false);
  }
}

async function main() {
  if (!existsSync(exe)) {
    skip(`browser: ${exe} not found (Debian: apt-get install chromium)`);
    return;
  }
  if (!existsSync(join(site, "models", model, "model.json"))) {
    skip(`site/models/${model} is missing (build with ./build.sh -models ../shared/models)`);
    return;
  }
  for (const f of ["hubel.wasm", "display.wasm"]) {
    const raw = statSync(join(site, f)).size, gz = statSync(join(site, f + ".gz")).size;
    console.log(`${f}: ${(raw / 1e6).toFixed(2)} MB raw, ${(gz / 1e6).toFixed(2)} MB gzipped`);
  }
  mkdirSync(artifacts, { recursive: true });
  const { context, close } = await launch({ width: 1280, height: 800 });
  try {
    const has = await (async () => {
      const p = await context.newPage();
      await p.goto(base + "embed.html");
      const ok = await p.evaluate(async () => !!(navigator.gpu && await navigator.gpu.requestAdapter().catch(() => null)));
      await p.close();
      return ok;
    })();
    if (!has) {
      skip("this Chromium has no WebGPU adapter");
      return;
    }
    for (const [names, t] of [[["mnist", "methods"], testMNIST], [["first", "example", "bad", "gallery", "lost"], testOnePage], [["embed"], testEmbedOffline], [["nowebgpu"], testNoWebGPU]]) {
      if (!names.some(wanted)) continue;
      const t0 = Date.now();
      try {
        await t(context);
      } catch (e) {
        fail(`${t.name}: ${e.message}`);
      }
      console.log(`      (${t.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } finally {
    await close();
  }
}

main().catch((e) => fail(`site test: ${e.stack || e}`)).finally(() => {
  console.log(`\n${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exitCode = failed > 0 ? 1 : 0;
});
