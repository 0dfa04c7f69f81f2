/**
 * Browser only: the URL of onnxruntime-web's WebAssembly binary as a Vite asset, so the built site serves it
 * from its own origin (dist/assets/ort-wasm-simd-threaded.jsep-<hash>.wasm) and works offline.
 * The default browser entry of onnxruntime-web (ort.bundle.min.mjs) inlines the matching JS glue and loads
 * this one .wasm (JSEP build: wasm + webgpu EPs). Node never imports this module.
 */
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';

export const ORT_WASM_URL: string = jsepWasmUrl;
