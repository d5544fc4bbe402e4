// hubel's preview worker (started by load.js's hubelPreviewStart): a second
// copy of hubel.wasm, in the mode that self.hubelPreviewJob selects, draws
// the page's first image (the CPU preview of the address's model) on its
// own thread while the page's copy loads the model, and posts it back
// ({key, images}, or null where it has none to draw; wasm/preview.go).
// The page sends the compiled module and its address once the module is
// compiled: {module, hash}.
"use strict";
importScripts("wasm_exec.js");
self.onmessage = async (e) => {
  self.onmessage = null;
  try {
    self.hubelPreviewJob = { hash: e.data.hash };
    const go = new Go();
    const instance = await WebAssembly.instantiate(e.data.module, go.importObject);
    await go.run(instance);
  } catch (err) {
    self.postMessage(null);
  }
};
