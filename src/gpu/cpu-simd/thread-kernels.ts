/**
 * What every thread of the CPU backend's gemm runs — the calling thread and its helpers alike — on one
 * WebAssembly memory: the job's parameters sit in the control block at byte 0 (layout: CTL), the data in
 * the heap after it. A job is split into chunks (a row block of a product, one (batch, head) of attention);
 * threads take chunks with a compare-and-swap on NEXT until none are left, so a helper that is not running
 * yet (still starting, or busy elsewhere) only means the others take its share.
 *
 * createRunner and helperLoop are self-contained (no imports, no module-level names): Node's helpers run
 * their source text (threads.ts), browser helpers import them (gemm-worker.ts).
 */

/** Control block, Int32 slots from byte 0 (the heap starts after CTL_BYTES). Literal copies of these
 * numbers sit in the two functions below (they cannot see module names). */
export const CTL = {
  /** bumped (and notified) when a job is posted; helpers sleep on it */
  WAKE: 0,
  /** (job tag << 20) | next chunk index */
  NEXT: 1,
  /** chunks finished; the poster sleeps on it */
  DONE: 2,
  TOTAL: 3,
  STOP: 4,
  /** helpers started */
  READY: 5,
  KIND: 6,
  /** a chunk threw: the poster throws after the job */
  ERROR: 7,
  /** chunks each thread has run so far, slot TAKEN + tid (tid < 32) */
  TAKEN: 32,
  /** first parameter slot (i32; f32 parameters follow the i32 ones: attention's scale and softcap at PARAM + 18, + 19) */
  PARAM: 8,
} as const;
export const CTL_BYTES = 256;
export const KIND_GEMM = 1;
export const KIND_ATTENTION = 2;
export const KIND_GELU = 3;
export const KIND_ATTENTION_PACK = 4;
export const KIND_LAYERNORM = 5;

export type GemmFn = (a: number, b: number, c: number, M: number, K: number, N: number, ldc: number) => void;
/** gemm.wat's exports: the product and the row kernels */
export interface KernelExports {
  readonly gemm: GemmFn;
  /** in place on scores [lo, hi) of one row (byte offsets; mask: the row's keys, != 0 visible) */
  readonly softmax_row: (row: number, mask: number, lo: number, hi: number, scale: number) => void;
  /** in place on n floats (n rounded up to 4) */
  readonly gelu: (p: number, n: number) => void;
  /** rows [r0, r1) of x [rows, dim] (dim % 4 == 0) normalised into y */
  readonly layernorm: (
    x: number,
    g: number,
    b: number,
    y: number,
    r0: number,
    r1: number,
    dim: number,
    eps: number,
  ) => void;
}
export type Runner = (ctl: Int32Array, chunk: number, tid: number) => void;

/**
 * One chunk of the posted job. Gelu (kind 3): params p, n, per — floats [chunk*per, chunk*per + per) of
 * the n at byte offset p, in place (gemm.wat's gelu). Layer norm (kind 5): params x, gamma, beta, y, rows,
 * dim, per, eps (f64: two i32 slots) — rows [chunk*per, chunk*per + per). Gemm (kind 1): params a, b, c, M4, K, N8, rows, cols,
 * bias — chunk (r, j) of the [rows x cols] blocks of C (j fastest) = bias (N8 floats at byte offset bias; 0
 * when bias < 0) + A's rows · B's columns (B in column panels, gemm.ts packPanels). Attention (kind 2): chunk = b * Hq + h; params q, kT, v, o, s, mask, T, T4, Tk, Tk8, Dh, Dh8,
 * Hq, group, causal, past, window, out, scale (f32), softcap (f32) — S = Q·Kᵀ on the gemm, masked softmax of
 * the scaled (soft-capped) scores in place, O = P·V; a row with no visible key gets P = 0, so O = 0 there.
 * Without a softcap the softmax runs in the module (softmax_row: f32 SIMD); with one, here in JS.
 * S is thread `tid`'s scratch block; the mask must be readable 8 floats past its end (softmax_row's lanes).
 * O's rows [T, Dh] go to `out` ([B, T, Hq, Dh], the op's layout).
 * Attention's operands (kind 4): chunk = b * Hkv + g; params q, k, v (the op's layouts [B, T, H, Dh]), qh, kh,
 * vh, mask, T, T4, Tk, Tk8, Dh, Dh8, Hq, Hkv — Kᵀ [Dh, Tk8] and V [Tk8, Dh8] of (b, g) in the gemm's column
 * panels (padded keys left 0, so non-finite padding cannot leak through 0 * Inf), and Q [T4, Dh] of the
 * group's query heads (rows past T 0). The key range is kernels/attention.ts's attentionKeyRange.
 */
export function createRunner(memory: WebAssembly.Memory, k: KernelExports): Runner {
  let f32 = new Float32Array(memory.buffer);
  const gemm = k.gemm;
  return (ctl, chunk, tid) => {
    if (f32.byteLength !== memory.buffer.byteLength) f32 = new Float32Array(memory.buffer);
    // literal CTL.PARAM and CTL.KIND, and the KIND_* numbers below (this function cannot see module names)
    const P = 8;
    const kind = ctl[6];
    if (kind === 5 /* KIND_LAYERNORM */) {
      const [x, g, b, y, rows, dim, per] = ctl.subarray(P, P + 7);
      const eps = new Float64Array(new Int32Array([ctl[P + 7], ctl[P + 8]]).buffer)[0];
      k.layernorm(x, g, b, y, chunk * per, Math.min(rows, (chunk + 1) * per), dim, eps);
      return;
    }
    if (kind === 3 /* KIND_GELU */) {
      const [p, n, per] = ctl.subarray(P, P + 3);
      k.gelu(p + chunk * per * 4, Math.min(per, n - chunk * per));
      return;
    }
    if (kind === 4 /* KIND_ATTENTION_PACK */) {
      const [qr, kr, vr, qh, kh, vh, mk, T, T4, Tk, Tk8, Dh, Dh8, Hq, Hkv] = ctl.subarray(P, P + 15);
      const [b, g, group] = [Math.floor(chunk / Hkv), chunk % Hkv, Hq / Hkv];
      const kb = kh / 4 + chunk * Dh * Tk8;
      const vb = vh / 4 + chunk * Tk8 * Dh8;
      f32.fill(0, kb, kb + Dh * Tk8);
      f32.fill(0, vb, vb + Tk8 * Dh8);
      for (let t = 0; t < Tk; t++) {
        if (f32[mk / 4 + b * Tk + t] === 0) continue;
        const src = ((b * Tk + t) * Hkv + g) * Dh;
        const [ks, vs] = [kr / 4 + src, vr / 4 + src];
        const kp = kb + (t >> 3) * Dh * 8 + (t & 7);
        for (let d = 0; d < Dh; d++) f32[kp + d * 8] = f32[ks + d];
        const vp = vb + t * 8;
        for (let d = 0; d < Dh; d++) f32[vp + (d >> 3) * Tk8 * 8 + (d & 7)] = f32[vs + d];
      }
      for (let h = g * group; h < (g + 1) * group; h++) {
        const qb = qh / 4 + (b * Hq + h) * T4 * Dh;
        for (let t = 0; t < T; t++) {
          const [dst, src] = [qb + t * Dh, qr / 4 + ((b * T + t) * Hq + h) * Dh];
          for (let d = 0; d < Dh; d++) f32[dst + d] = f32[src + d];
        }
        f32.fill(0, qb + T * Dh, qb + T4 * Dh);
      }
      return;
    }
    if (kind === 1 /* KIND_GEMM */) {
      const [a, b, c, M, K, N, rows, cols, bias] = ctl.subarray(P, P + 9);
      const nc = Math.ceil(N / cols);
      const r0 = Math.floor(chunk / nc) * rows;
      const c0 = (chunk % nc) * cols;
      const [m, n] = [Math.min(rows, M - r0), Math.min(cols, N - c0)];
      for (let r = r0; r < r0 + m; r++) {
        const dst = c / 4 + r * N + c0;
        if (bias < 0) f32.fill(0, dst, dst + n);
        else f32.copyWithin(dst, bias / 4 + c0, bias / 4 + c0 + n);
      }
      gemm(a + r0 * K * 4, b + c0 * K * 4, c + (r0 * N + c0) * 4, m, K, n, N);
      return;
    }
    // KIND_ATTENTION
    const [q, kT, v, o, s, mask, T, T4, Tk, Tk8, Dh, Dh8, Hq, group, causal, past, win, out] = ctl.subarray(
      P,
      P + 18,
    );
    const fp = new Float32Array(ctl.buffer, ctl.byteOffset + (P + 18) * 4, 2);
    const [scale, cap] = [fp[0], fp[1]];
    const b = Math.floor(chunk / Hq);
    const kv = b * (Hq / group) + Math.floor((chunk % Hq) / group);
    const sb = s + tid * T4 * Tk8 * 4;
    const s0 = sb / 4;
    f32.fill(0, s0, s0 + T4 * Tk8);
    gemm(q + chunk * T4 * Dh * 4, kT + kv * Dh * Tk8 * 4, sb, T4, Dh, Tk8, Tk8);
    const m0 = mask / 4 + b * Tk;
    for (let i = 0; i < T; i++) {
      const row = s0 + i * Tk8;
      const pos = past + i;
      let lo = 0;
      let hi = causal ? pos + 1 : Tk;
      if (win > 0) {
        lo = Math.max(0, pos - win + 1);
        hi = Math.min(hi, pos + win);
      }
      if (lo > 0) f32.fill(0, row, row + lo);
      if (hi < Tk8) f32.fill(0, row + hi, row + Tk8);
      if (!cap) {
        k.softmax_row(row * 4, m0 * 4, lo, hi, scale);
        continue;
      }
      let m = -Infinity;
      for (let j = lo; j < hi; j++) {
        if (f32[m0 + j] === 0) continue;
        const x = cap * Math.tanh((f32[row + j] * scale) / cap);
        f32[row + j] = x;
        if (x > m) m = x;
      }
      if (m === -Infinity) {
        f32.fill(0, row + lo, row + hi);
        continue;
      }
      let sum = 0;
      for (let j = lo; j < hi; j++) {
        const p = f32[m0 + j] === 0 ? 0 : Math.exp(f32[row + j] - m);
        f32[row + j] = p;
        sum += p;
      }
      const inv = 1 / sum;
      for (let j = lo; j < hi; j++) f32[row + j] *= inv;
    }
    f32.fill(0, s0 + T * Tk8, s0 + T4 * Tk8);
    const ob = o + chunk * T4 * Dh8 * 4;
    f32.fill(0, ob / 4, ob / 4 + T4 * Dh8);
    gemm(sb, v + kv * Tk8 * Dh8 * 4, ob, T4, Tk8, Dh8, Dh8);
    const h = chunk % Hq;
    for (let t = 0; t < T; t++) {
      const [dst, src] = [out / 4 + ((b * T + t) * Hq + h) * Dh, ob / 4 + t * Dh8];
      for (let d = 0; d < Dh; d++) f32[dst + d] = f32[src + d];
    }
  };
}

/**
 * Takes chunks of the posted job until none are left (the poster runs this too). A chunk that throws
 * sets ERROR and still counts as done, so the poster never waits for it.
 */
export function takeChunks(ctl: Int32Array, run: Runner, tid: number): void {
  for (;;) {
    const next = Atomics.load(ctl, 1);
    const total = Atomics.load(ctl, 3);
    if ((next & 0xfffff) >= total) return;
    if (Atomics.compareExchange(ctl, 1, next, next + 1) !== next) continue;
    if (tid < 32) Atomics.add(ctl, 32 + tid, 1);
    try {
      run(ctl, next & 0xfffff, tid);
    } catch {
      Atomics.store(ctl, 7, 1);
    }
    if (Atomics.add(ctl, 2, 1) + 1 === total) Atomics.notify(ctl, 2);
  }
}

/** A helper thread: wait for WAKE to change (spinning briefly, then asleep), take chunks of each job, until STOP. */
export function helperLoop(memory: WebAssembly.Memory, module: WebAssembly.Module, tid: number): void {
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  const run = createRunner(memory, inst.exports as unknown as KernelExports);
  const ctl = new Int32Array(memory.buffer, 0, 64);
  let seen = Atomics.load(ctl, 0);
  Atomics.add(ctl, 5, 1);
  for (;;) {
    // spin ~0.5 ms before sleeping: a forward posts its products back to back (one text at a time, one
    // every ~0.1-0.3 ms), and waking a sleeping thread costs more than that on a busy machine
    const until = performance.now() + 0.5;
    for (let i = 1; Atomics.load(ctl, 0) === seen; i++)
      if ((i & 255) === 0 && performance.now() > until) {
        Atomics.wait(ctl, 0, seen);
        break;
      }
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4) !== 0) return;
    takeChunks(ctl, run, tid);
  }
}
