// hubelCompile starts compiling a Go program's wasm (hubel.wasm by default;
// the app's display is display.wasm, the self-test page's selftest.wasm)
// and returns the Promise of its WebAssembly.Module: streaming where the
// server sends application/wasm, from bytes otherwise. A second call for
// the same file returns the same Promise. The app's page calls it from its
// head, so that the engine compiles while the page's other files load.
// hubelInstantiate instantiates it for a Go runtime (wasm_exec.js's Go).
// Shared by the app and the self-test page.
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
