// hubelCompile starts compiling a Go program's wasm (hubel.wasm by default;
// the app's display is display.wasm, the self-test page's selftest.wasm)
// and returns the Promise of its WebAssembly.Module: streaming where the
// server sends application/wasm, from bytes otherwise. A second call for
// the same file returns the same Promise. The app's page calls it from its
// head, so that the engine compiles while the page's other files load.
// hubelInstantiate instantiates it for a Go runtime (wasm_exec.js's Go).
// Shared by the app and the self-test page. hubelPreviewStart starts the
// app's preview worker.
"use strict";
const hubelCompiles = new Map();
function hubelCompile(file = "hubel.wasm") {
  if (!hubelCompiles.has(file)) {
    hubelCompiles.set(file, (async () => {
      try {
        return await WebAssembly.compileStreaming(fetch(file));
      } catch (e) {
        const resp = await fetch(file);
        if (!resp.ok) throw new Error(`${file}: HTTP ${resp.status}`);
        return WebAssembly.compile(await resp.arrayBuffer());
      }
    })());
  }
  return hubelCompiles.get(file);
}

async function hubelInstantiate(go, file = "hubel.wasm") {
  const module = await hubelCompile(file);
  return { instance: await WebAssembly.instantiate(module, go.importObject) };
}

// hubelPreviewStart starts the app's preview worker (preview-worker.js) for
// a page whose address names a model (#model=NAME) and sets
// window.hubelPreview, the Promise of its answer ({key, images}, or null):
// the worker draws the page's first image from the same hubel.wasm while
// the engine loads the model on the page's thread (wasm/preview.go). The
// module goes to the worker once compiled; the page's engine takes the
// answer if it was drawn for the same inputs, and otherwise draws its own.
function hubelPreviewStart() {
  if (typeof Worker !== "function" || !/(?:^#|&)model=/.test(location.hash)) return;
  let worker;
  try { worker = new Worker("preview-worker.js"); } catch { return; }
  window.hubelPreview = new Promise((resolve) => {
    const done = (answer) => { resolve(answer); worker.terminate(); };
    worker.onmessage = (e) => done(e.data);
    worker.onerror = () => done(null);
    hubelCompile().then((module) => worker.postMessage({ module, hash: location.hash }), () => done(null));
  });
}
