/// <reference lib="webworker" />
/**
 * A browser helper thread of the CPU backend's gemm (threads.ts starts it as a module worker): it gets
 * the shared memory and the compiled kernel once, then sleeps on the control block between jobs.
 */
import { helperLoop } from './thread-kernels';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = (
  e: MessageEvent<{ memory: WebAssembly.Memory; module: WebAssembly.Module; tid: number }>,
) => {
  helperLoop(e.data.memory, e.data.module, e.data.tid);
};
