// hubelInstantiate compiles and instantiates hubel.wasm for a Go runtime
// (wasm_exec.js's Go), streaming where the server sends application/wasm
// and from bytes otherwise. Shared by the app and the self-test page.
"use strict";
async function hubelInstantiate(go) {
  try {
    return await WebAssembly.instantiateStreaming(fetch("hubel.wasm"), go.importObject);
  } catch (e) {
    const resp = await fetch("hubel.wasm");
    if (!resp.ok) throw new Error(`hubel.wasm: HTTP ${resp.status}`);
    return WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
}
