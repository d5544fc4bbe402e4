// hubel's benchmark page: the same AM step in hubel (bench.wasm) and in
// TensorFlow.js (WebGPU and WebGL backends), alternated in one page load.
// Publishes window.hubelBenchResult (done, error, adapter, readyMs, check,
// rows, memory, sizes, log) and dispatches "hubelbench" on window at every
// change. See bench.html for what the step is.
"use strict";
(() => {
const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const list = (k, d) => (q.get(k) || d).split(",").map((s) => s.trim()).filter(Boolean);
const int = (k, d, lo, hi) => {
  const v = q.has(k) ? Number(q.get(k)) : d;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`URL parameter ${k}=${q.get(k)}: want an integer in ${lo}..${hi}`);
  return v;
};

const res = window.hubelBenchResult = { done: false, error: null, adapter: "", readyMs: null, check: {}, rows: [], memory: {}, sizes: {}, log: [] };
const publish = () => window.dispatchEvent(new Event("hubelbench"));
function log(s) {
  res.log.push(s);
  $("log").textContent += s + "\n";
  console.log("bench: " + s);
  publish();
}
function status(s) { $("status").textContent = s; publish(); }

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// ---- hubel (bench.wasm) --------------------------------------------------

async function startWasm() {
  const go = new Go();
  const ready = new Promise((r) => window.addEventListener("hubelbenchready", r, { once: true }));
  const resp = fetch("bench.wasm");
  const { instance } = await (WebAssembly.instantiateStreaming
    ? WebAssembly.instantiateStreaming(resp, go.importObject)
    : resp.then((r) => r.arrayBuffer()).then((b) => WebAssembly.instantiate(b, go.importObject)));
  go.run(instance).then(() => { if (!res.done) fail(new Error("bench.wasm exited early; see the console")); });
  if (!window.hubelBenchReady) await ready;
  return window.hubelBench;
}

// ---- TensorFlow.js: the same step --------------------------------------

const TFSide = window.HubelTFSide;

async function loadTF(name, modelURL, layer) {
  try {
    if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
    await tf.ready();
    const model = await tf.loadLayersModel(modelURL + "model.json");
    return new TFSide(name, model, layer);
  } catch (e) {
    log(`TF.js ${name}: not available here: ${e.message || e}`);
    return null;
  }
}

// tfScripts loads TF.js (after hubel's first frame, so that the page-ready
// time is hubel's own) when a TF.js side is wanted, and says so on the page
// when it is missing; it leaves tfWanted empty then.
async function tfScripts(tfWanted) {
  if (!tfWanted.length) return;
  status("loading TensorFlow.js…");
  for (const src of ["bench/tf.min.js", "bench/tf-backend-webgpu.min.js"]) {
    await new Promise((resolve) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = () => { window.tfMissing = (window.tfMissing || []).concat(src); resolve(); };
      document.head.appendChild(s);
    });
  }
  if (window.tfMissing || typeof tf === "undefined" || !tf.findBackendFactory("webgpu")) {
    const miss = (window.tfMissing || ["bench/tf.min.js"]).join(", ");
    $("missing").hidden = false;
    $("missing").textContent = `TensorFlow.js is missing from this site (${miss} did not load): install it with ` +
      `"npm ci --prefix test/bench" and rebuild with ./build.sh. Only hubel's side runs.`;
    res.tfMissing = miss;
    log(`TF.js missing: ${miss}`);
    tfWanted.length = 0;
  }
}

// ---- drawing -------------------------------------------------------------

function drawFrame(img, size) {
  const c = $("frame"), g = c.getContext("2d");
  const data = g.createImageData(size, size), d = data.data; // d: a Uint8ClampedArray (clamps and rounds)
  for (let p = 0; p < size * size; p++) {
    d[4 * p] = 255 * img[3 * p];
    d[4 * p + 1] = 255 * img[3 * p + 1];
    d[4 * p + 2] = 255 * img[3 * p + 2];
    d[4 * p + 3] = 255;
  }
  c.width = size; c.height = size;
  g.putImageData(data, 0, 0);
}

function drawCurves(curves) {
  const c = $("curve"), g = c.getContext("2d");
  g.clearRect(0, 0, c.width, c.height);
  const all = Object.values(curves).flat();
  if (!all.length) return;
  const lo = Math.min(...all), hi = Math.max(...all), n = Math.max(...Object.values(curves).map((v) => v.length));
  const colors = { hubel: "#1a7f37", webgpu: "#2f6fde", webgl: "#c2410c" };
  const X = (i) => 40 + (c.width - 50) * i / Math.max(1, n - 1), Y = (v) => c.height - 20 - (c.height - 30) * (v - lo) / (hi - lo || 1);
  g.font = "12px system-ui"; g.fillStyle = "#5b6475";
  g.fillText(hi.toFixed(3), 2, 14); g.fillText(lo.toFixed(3), 2, c.height - 22);
  let ly = 14;
  for (const [name, v] of Object.entries(curves)) {
    g.strokeStyle = colors[name] || "#000"; g.lineWidth = 2; g.beginPath();
    v.forEach((y, i) => (i ? g.lineTo(X(i), Y(y)) : g.moveTo(X(i), Y(y))));
    g.stroke(); g.fillStyle = g.strokeStyle; g.fillText(name, c.width - 60, ly); ly += 14;
  }
}

function addRow(r) {
  res.rows.push(r);
  const tr = document.createElement("tr");
  const ratio = r.side === "hubel" ? "—" : (r.ratio ? r.ratio.toFixed(2) + "×" : "—");
  const cls = r.side === "hubel" || !r.ratio ? "num" : "num " + (r.ratio >= 1 ? "win" : "lose");
  tr.innerHTML = `<td>${r.row}</td><td class="num">${r.batch}</td><td>${r.side}</td>` +
    `<td class="num">${r.stepsPerSec.toFixed(4)}</td><td class="num">${r.runsMs.map((x) => (x / 1000).toFixed(2) + "s").join(" ")}</td>` +
    `<td class="${cls}">${ratio}</td>`;
  $("results").querySelector("tbody").appendChild(tr);
  publish();
}

function fail(e) {
  res.error = String(e && e.message || e);
  $("error").hidden = false;
  $("error").textContent = res.error;
  status("failed");
  res.done = true;
  publish();
}

// ---- page-ready breakdown -------------------------------------------------

// readyBreakdown splits the time from navigation to ready (ms): the
// scripts, the wasm (fetch, compile, start); then, side by side from the
// wasm's start, the first frame (the device opened, the initial image's
// pipelines compiled, rendered, read back and drawn, without the model:
// firstFrame) and MobileNet's load (open: the adapter, the model's files
// (their fetch window, from the resource timings: prefetched from the
// page's start), the model's load in wasm (waiting for the files, parsing,
// decoding) and its part after the last file came, the plan (BN folded)).
// Ready is the later of the two (total). After it: the renderer's setup
// (of which the tuner and the pipeline compile calls) and the first step
// done (the network's pipelines compiled).
// modelFetches lists the model's files as fetched ({name, start, end}, ms
// after navigation): by prefetch.js's worker, or by the page.
function modelFetches() {
  return (window.hubelPrefetchTimes || []).map((t) => ({ name: t.url, start: t.start, end: t.end })).concat(
    performance.getEntriesByType("resource").filter((e) => /\/models\//.test(e.name)).map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd })));
}

function readyBreakdown(marks, o, h1) {
  const model = modelFetches();
  const first = model.length ? Math.min(...model.map((e) => e.start)) : 0;
  const last = model.length ? Math.max(...model.map((e) => e.end)) : 0;
  return {
    scripts: marks.script, wasm: marks.wasm - marks.script, firstFrame: marks.frame - marks.wasm, open: marks.open - marks.wasm,
    adapter: o.adapterMs, modelFiles: model.length, modelFetch: last - first, modelLoad: o.loadMs, modelAfterFiles: marks.wasm + o.loadMs - last, plan: o.lowerMs,
    total: marks.ready, renderer: h1.rendererMs, tune: h1.cost.tuneMs, trials: h1.cost.trials, kernels: h1.cost.kernels, compileCalls: h1.cost.compileMs,
    setupAfter: marks.setup - marks.ready, firstStepAfter: marks.step - marks.ready,
  };
}

// ---- the run -------------------------------------------------------------

async function run() {
  const batches = list("batches", "1,8").map(Number);
  const steps = int("steps", 2, 1, 1000);
  const reps = int("reps", 3, 1, 100);
  const check = int("check", 8, 2, 1000);
  const size = int("size", 232, 16, 1024);
  const jitter = int("jitter", 8, 1, 64);
  const seed = int("seed", 1, 0, 2 ** 31);
  const sides = list("sides", "hubel,webgpu,webgl");
  const rows = list("rows", "step,net");
  const layer = q.get("layer") || "conv_pw_13_relu";
  const spectral = q.get("spectral") || ""; // hubel's Fourier kernels: gemm (default) or direct
  // Channels alive at the start (their objective at a near-grey image is
  // not 0, so their gradient is not 0 without Lucid's redirected ReLU).
  const chans = list("channels", "555,677,765,600,178,333,113,353").map(Number);
  const modelURL = new URL(q.get("model") || "models/mobilenet_v1_0.75_224/", location.href).href;
  for (const s of sides) if (!["hubel", "webgpu", "webgl"].includes(s)) throw new Error(`URL parameter sides: unknown side "${s}" (want hubel, webgpu, webgl)`);
  for (const r of rows) if (!["step", "net"].includes(r)) throw new Error(`URL parameter rows: unknown row "${r}" (want step, net)`);
  for (const b of batches) if (!Number.isInteger(b) || b < 1 || b > 64) throw new Error(`URL parameter batches: ${b}: want integers in 1..64`);
  if (!sides.includes("hubel")) throw new Error("URL parameter sides must include hubel");
  res.config = { batches, steps, reps, check, size, jitter, seed, sides, rows, layer, channels: chans, spectral, model: modelURL, stop: q.get("stop") || "" };

  const tfWanted = sides.filter((s) => s !== "hubel");
  // Page-ready breakdown: milliseconds after navigation start at each mark.
  const marks = res.marks = { script: performance.now() };
  const mark = (k) => { marks[k] = performance.now(); performance.mark("hubel:" + k); };
  // The objective check's config (batch 1, `check` steps from the same
  // spectrum and crops on every side), whose initial image is the first
  // frame.
  const channels = (B) => Array.from({ length: B }, (_, i) => chans[i % chans.length]);
  const cfg1 = { batch: 1, size, jitter, steps: check, layer, channels: channels(1), seed, lr: 0.05, spectral, spectrum: false };
  status("loading bench.wasm…");
  // The model downloads while the wasm compiles. Started earlier, in the
  // page's head, it held bench.wasm's start back more than it brought the
  // files forward (docs/speed.md, session 5). metadata.json: MobileNet's
  // labels (its zoo entry's labels_file), which hubel reads after the model.
  hubelPrefetchModel(modelURL, { worker: true, files: ["metadata.json"] });
  const hb = await startWasm();
  mark("wasm");
  status("loading MobileNet…");
  // Side by side: MobileNet's load (with the adapter), and the first frame
  // (the renderer's initial image, which needs no model: drawn on the CPU
  // while the model's files arrive and decode).
  const devOpts = { tune: q.get("tune") === "1", timeCompiles: q.get("compiles") === "1" };
  const opening = hb.open(modelURL, devOpts).then((o) => { mark("open"); return o; });
  const framing = hb.preview(cfg1, { ...devOpts, on: q.get("preview") || "cpu" }).then((img) => { drawFrame(img, size); mark("frame"); return img; });
  const [o, shown] = await Promise.all([opening, framing]);
  mark("ready");
  res.readyMs = marks.ready;
  res.adapter = o.adapter; $("adapter").textContent = o.adapter;
  res.open = o;
  log(`hubel: adapter ${o.adapter}; device + model in ${o.ms.toFixed(0)} ms (adapter ${o.adapterMs.toFixed(0)}, alongside the model's fetch + parse ${o.loadMs.toFixed(0)}; plan ${o.lowerMs.toFixed(0)}); first frame ${(marks.frame - marks.wasm).toFixed(0)} ms after the wasm's start`);
  const costFrame = await hb.cost();
  const h1 = await hb.setup(cfg1);
  mark("setup");
  if (q.get("split") === "1") { await hb.sync(); mark("gpuIdle"); } // diagnostics: the GPU's share of the setup
  // The frame shown is the renderer's own initial image (to float
  // rounding: the GPU's float32 against the CPU reference's float64).
  const own = await hb.image();
  res.frameMaxDiff = own.length === shown.length ? own.reduce((m, v, i) => Math.max(m, Math.abs(v - shown[i])), 0) : Infinity;
  res.frameIsRenderers = res.frameMaxDiff <= 1e-4;
  Object.assign(h1, await hb.spectrum()); // for the TF.js sides
  const first = await hb.step(1);
  mark("step");
  const costStep = await hb.cost();
  res.setup1 = { rendererMs: h1.rendererMs, paramsMs: h1.paramsMs, cost: h1.cost, variants: h1.variants, tuning: h1.tuning };
  for (const l of h1.tuning.trim().split("\n")) if (l) log(`tuner: ${l}`);
  res.ready = readyBreakdown(marks, o, h1);
  res.ready.kernelsAtFrame = costFrame.kernels;
  res.ready.frameMaxDiff = res.frameMaxDiff;
  if (marks.gpuIdle) res.ready.gpuSetup = marks.gpuIdle - marks.setup;
  res.ready.kernelsAtStep = costStep.kernels;
  if (costStep.compiles) { // compiles=1: each pipeline's compile time, waited for one by one
    res.compiles = costStep.compiles;
    const sum = (xs) => xs.reduce((a, [, t]) => a + t, 0);
    log(`pipeline compiles (ms, waited for one by one): first frame's ${costFrame.compiles.length} ${sum(costFrame.compiles).toFixed(0)}, ` +
      `the first step's ${costStep.compiles.length - costFrame.compiles.length} more ${(sum(costStep.compiles) - sum(costFrame.compiles)).toFixed(0)}`);
    for (const [k, t] of costStep.compiles) log(`  ${t.toFixed(0).padStart(6)} ms  ${k}`);
  }
  res.modelFiles = modelFetches().map((e) => [e.name.replace(/.*\//, ""), Math.round(e.start), Math.round(e.end)]);
  log(`page ready: ${Object.entries(res.ready).map(([k, v]) => `${k} ${typeof v === "number" ? v.toFixed(0) : v}`).join(", ")}`);
  $("ready").textContent = `${(res.readyMs / 1000).toFixed(2)} s after navigation (wasm started, MobileNet loaded, first frame drawn; ` +
    `the renderer ready at ${(marks.setup / 1000).toFixed(2)} s)`;
  log(`page ready ${res.readyMs.toFixed(0)} ms after navigation start (first frame ${marks.frame.toFixed(0)}, MobileNet loaded ${marks.open.toFixed(0)}); ` +
    `renderer ready ${(marks.setup / 1000).toFixed(2)} s, first step done ${(marks.step / 1000).toFixed(2)} s after navigation (${((marks.step - marks.ready) / 1000).toFixed(2)} s after ready, the network's pipelines compiled)`);
  await tfScripts(tfWanted);
  // Sizes of the wasm files as served (the precompressed .gz beside each).
  for (const f of ["bench.wasm.gz", "hubel.wasm.gz", "display.wasm.gz"]) {
    const h = await fetch(f, { method: "HEAD", headers: { "Accept-Encoding": "identity" } }).catch(() => null);
    const n = h && h.ok ? Number(h.headers.get("content-length")) : 0;
    if (n > 0) res.sizes[f] = n;
  }
  if (q.get("stop") === "ready") { // page-ready measurements only
    await hb.release();
    status("done");
    res.done = true;
    publish();
    return;
  }
  status("checking that both sides optimise the same objective…");
  const rest = await hb.step(check - 1);
  log(`hubel: first step ${(first.ms / 1000).toFixed(2)} s, ${check - 1} more in ${(rest.ms / 1000).toFixed(2)} s`);
  const offsets = first.offsets.concat(rest.offsets);
  const curves = { hubel: (await hb.objectives())[0] };
  const tfs = {};
  for (const name of tfWanted) {
    status(`checking: TF.js ${name}…`);
    try {
      const t0 = performance.now();
      const side = await loadTF(name, modelURL, layer);
      if (!side) continue;
      log(`TF.js ${name}: model loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      await side.setup(cfg1, h1);
      const t1 = performance.now();
      const r = await side.steps(check, (k) => offsets[k]);
      curves[name] = r.vals.map((v) => v[0]);
      tfs[name] = side;
      log(`TF.js ${name}: ${check} check steps in ${(r.ms / 1000).toFixed(2)} s`);
    } catch (e) {
      res.sideErrors = Object.assign(res.sideErrors || {}, { [name]: String(e.message || e) });
      log(`TF.js ${name} failed, left out: ${e.message || e}`);
    }
  }
  drawCurves(curves);
  for (const [name, v] of Object.entries(curves)) log(`objective ${name}: ${v.map((x) => x.toFixed(4)).join(" ")}`);
  const h = curves.hubel;
  res.check = { offsets, curves, rises: {}, maxRelDiff: {} };
  for (const [name, v] of Object.entries(curves)) {
    res.check.rises[name] = v[v.length - 1] > v[0];
    if (name !== "hubel") res.check.maxRelDiff[name] = Math.max(...v.map((x, i) => Math.abs(x - h[i]) / Math.max(Math.abs(h[i]), 1e-3)));
  }
  $("agree").textContent = Object.entries(curves).map(([n, v]) => `${n}: ${v[0].toFixed(3)} → ${v[v.length - 1].toFixed(3)}`).join("; ") +
    (Object.keys(res.check.maxRelDiff).length ? "; largest relative difference from hubel per step: " +
      Object.entries(res.check.maxRelDiff).map(([n, d]) => `${n} ${d.toExponential(2)}`).join(", ") : "");
  publish();

  // Timing: per batch, every side warmed up, then `reps` alternated runs
  // of `steps` steps (and of the network alone).
  for (const B of batches) {
    status(`batch ${B}: preparing…`);
    const cfg = { batch: B, size, jitter, steps: 2 + reps * steps + 2, layer, channels: channels(B), seed, lr: 0.05, net: rows.includes("net"), spectral };
    const base = await hb.setup(cfg);
    const names = ["hubel", ...Object.keys(tfs)];
    for (const n of Object.keys(tfs)) await tfs[n].setup(cfg, base);
    // Crops for the timed steps (any crops time the same): the check's, in turn.
    const offs = (k) => Array.from({ length: B }, (_, i) => offsets[(k * B + i) % offsets.length][0]);
    const runStep = async (n) => (n === "hubel" ? (await hb.step(steps)).ms : (await tfs[n].steps(steps, offs)).ms);
    const runNet = async (n) => (n === "hubel" ? (await hb.net(steps)).ms : (await tfs[n].net(steps)).ms);
    status(`batch ${B}: warming up…`);
    for (const n of names) {
      const t0 = performance.now();
      if (n === "hubel") await hb.step(1); else await tfs[n].steps(1, offs);
      if (cfg.net) { if (n === "hubel") await hb.net(1); else await tfs[n].net(1); }
      log(`batch ${B}: ${n} warm-up ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    }
    if (B === Math.max(...batches)) {
      res.memory = { batch: B, hubelBytes: base.allocated };
      for (const n of Object.keys(tfs)) { await tfs[n].use(); res.memory[n] = tfs[n].memory(); }
      const mb = (x) => (x / 2 ** 20).toFixed(1) + " MiB";
      $("memory").textContent = `GPU memory at batch ${B}: hubel ${mb(base.allocated)} (every buffer of the step, allocated once)` +
        Object.keys(tfs).map((n) => `; TF.js ${n} ${mb(res.memory[n].numBytesAllocatedInGPU ?? res.memory[n].numBytesInGPU ?? res.memory[n].numBytes)} in GPU buffers, ${mb(res.memory[n].numBytes)} in live tensors`).join("");
      log($("memory").textContent);
    }
    for (const row of rows) {
      const times = Object.fromEntries(names.map((n) => [n, []]));
      for (let r = 0; r < reps; r++) {
        for (const n of names) {
          status(`batch ${B}, ${row}: run ${r + 1}/${reps}, ${n}…`);
          const ms = row === "step" ? await runStep(n) : await runNet(n);
          times[n].push(ms);
          log(`batch ${B} ${row} ${n}: ${steps} in ${(ms / 1000).toFixed(2)} s`);
        }
      }
      const sps = (n) => steps * 1000 / median(times[n]);
      for (const n of names) {
        addRow({ row, batch: B, side: n, runsMs: times[n], medianMs: median(times[n]), stepsPerSec: sps(n),
          ratio: n === "hubel" ? null : sps("hubel") / sps(n) });
      }
    }
    if (q.get("profile") && cfg.net) {
      status(`batch ${B}: profiling hubel's kernels…`);
      const p = await hb.profile(1);
      res.profile = Object.assign(res.profile || {}, { [B]: p });
      const total = p.byKernel.reduce((a, k) => a + k.ms, 0);
      log(`profile batch ${B}: ${p.kernels.length} dispatches, ${total.toFixed(0)} ms without the ${p.overheadMs.toFixed(1)} ms per submission; variants ${JSON.stringify(p.variants)}`);
      for (const k of p.byKernel.slice(0, 20)) log(`  ${k.ms.toFixed(1).padStart(9)} ms  ${(100 * k.ms / total).toFixed(1).padStart(5)}%  ${k.kernel}`);
    }
    for (const n of Object.keys(tfs)) { await tfs[n].use(); tfs[n].release(); }
  }
  await hb.release();
  status("done");
  res.done = true;
  publish();
}

if (q.get("run") !== "0") run().catch(fail); // run=0: load the scripts only (for debugging)
})();
