// hubelInstantiate compiles and instantiates a Go program's wasm (hubel.wasm
// by default; the app's display is display.wasm) for a Go runtime
// (wasm_exec.js's Go), streaming where the server sends application/wasm
// and from bytes otherwise. Shared by the app and the self-test page.
"use strict";
async function hubelInstantiate(go, file = "hubel.wasm") {
  try {
    return await WebAssembly.instantiateStreaming(fetch(file), go.importObject);
  } catch (e) {
    const resp = await fetch(file);
    if (!resp.ok) throw new Error(`${file}: HTTP ${resp.status}`);
    return WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
}
