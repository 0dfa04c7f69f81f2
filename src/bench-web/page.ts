/**
 * The in-browser comparison page (not part of the studio: built on its own by src/cli/bench-browser.ts into
 * the bench cache, never into dist/): the studio's WebGPU backend against ONNX Runtime Web's WebGPU EP on
 * the same model folder (safetensors for the studio, onnx/model.onnx for ORT), the same texts and batches
 * (engines.ts). The Node driver opens one page per engine and calls window.stmBench.runEngine() in it
 * through Playwright; ORT runs in the page, the studio in a dedicated worker (studio-client.ts). Progress
 * goes to the console.
 */
import { adapter, runOrt } from './engines';
import type { WebBenchApi } from './protocol';
import { runStudioInWorker } from './studio-client';

const log = (s: string) => console.log(s);

const api: WebBenchApi = {
  adapter,
  runEngine: (req, engine) => (engine === 'ort' ? runOrt(req, log) : runStudioInWorker(req, log)),
};
(globalThis as { stmBench?: WebBenchApi }).stmBench = api;
document.title = 'stm bench: ready';
