/**
 * The recording op context: runs each op like the inference context and, when an input depends on a
 * trainable parameter (or the op holds one: an adapted linear), records the op with its backward rule,
 * written beside it. `backward(out, dOut)` walks the record in reverse: a tensor's gradient is the sum of
 * its consumers' contributions in forward order; ops whose output gets no gradient are skipped, and an
 * input that does not depend on a trainable parameter gets none (frozen paths cost nothing).
 *
 * Memory: a tensor the forward frees is disposed at once unless a recorded op still needs it for its
 * backward; then it is disposed when the last such op has run its backward (or at `release`). Gradients
 * are reference-counted (pass-through ops share them) and disposed when consumed; `dOut` stays the caller's.
 */
import type { Backend, Tensor } from '../core/backend';
import type { Activation, AttentionOptions, Positional, RopeOptions } from '../core/transformer-ops';
import type { Linear, Ops } from './ops';

/** Gradients of a node's inputs given its output's gradient dy; `need[i]` false: return null for input i. */
type BackRule = (dy: Tensor, need: readonly boolean[]) => (Tensor | null)[];

interface Node {
  readonly out: Tensor;
  readonly inputs: readonly Tensor[];
  /** tensors of the forward the rule reads */
  readonly saved: readonly Tensor[];
  readonly back: BackRule;
  /** frees state the rule holds itself (an adapted linear's), when the rule does not run */
  readonly release?: () => void;
}

export class Tape implements Ops {
  private readonly nodes: Node[] = [];
  /** handles whose value depends on a trainable parameter */
  private readonly req = new Set<Tensor>();
  /** view -> the handle that owns its storage */
  private readonly roots = new Map<Tensor, Tensor>();
  /** storage this tape allocated in the forward and not yet disposed */
  private readonly made = new Set<Tensor>();
  /** storage -> recorded nodes whose backward still reads it */
  private readonly keeps = new Map<Tensor, number>();
  /** storage the forward has freed, disposed when no node keeps it */
  private readonly freed = new Set<Tensor>();
  /** gradient contributions per handle, in reverse forward order */
  private readonly contrib = new Map<Tensor, Tensor[]>();
  /** gradient storage -> references held (contributions and the gradient being propagated) */
  private readonly grefs = new Map<Tensor, number>();
  /** storage of the caller's dOut: never disposed here */
  private readonly external = new Set<Tensor>();
  private done = false;

  constructor(
    readonly backend: Backend,
    private readonly lin: Linear,
  ) {}

  private rootOf(t: Tensor): Tensor {
    return this.roots.get(t) ?? t;
  }

  /** a new tensor of the forward; recorded when an input needs a gradient */
  private op(out: Tensor, inputs: readonly Tensor[], saved: readonly Tensor[], back: BackRule): Tensor {
    this.made.add(out);
    if (inputs.some((t) => this.req.has(t))) this.push({ out, inputs, saved, back });
    return out;
  }

  private push(n: Node): void {
    this.req.add(n.out);
    for (const s of n.saved) {
      const r = this.rootOf(s);
      if (this.made.has(r)) this.keeps.set(r, (this.keeps.get(r) ?? 0) + 1);
    }
    this.nodes.push(n);
  }

  input(data: Float32Array | Uint32Array, shape: readonly number[]): Tensor {
    const t = this.backend.tensor(data, shape);
    this.made.add(t);
    return t;
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    const t = this.backend.gather(table, ids);
    this.made.add(t);
    return t;
  }

  linear(x: Tensor, path: string): Tensor {
    const call = this.lin.record(this.backend, x, path);
    this.made.add(call.y);
    if (!call.trainable && !this.req.has(x)) {
      call.release();
      return call.y;
    }
    this.push({
      out: call.y,
      inputs: [x],
      saved: [x],
      back: (dy, need) => [call.backward(dy, need[0])],
      release: () => call.release(),
    });
    return call.y;
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor {
    const be = this.backend;
    return this.op(be.layerNorm(x, gamma, beta, eps), [x], [x], (dy) => {
      const g = be.layerNormBackward(x, gamma, dy, eps);
      be.dispose(g.dgamma, g.dbeta);
      return [g.dx];
    });
  }

  rmsNorm(x: Tensor, gamma: Tensor, eps: number, opts?: { addOne?: boolean }): Tensor {
    const be = this.backend;
    return this.op(be.rmsNorm(x, gamma, eps, opts), [x], [x], (dy) => {
      const g = be.rmsNormBackward(x, gamma, dy, eps, opts);
      be.dispose(g.dgamma);
      return [g.dx];
    });
  }

  activation(x: Tensor, kind: Activation): Tensor {
    const be = this.backend;
    return this.op(be.activation(x, kind), [x], [x], (dy) => [be.activationBackward(x, dy, kind)]);
  }

  swiglu(gate: Tensor, up: Tensor): Tensor {
    const be = this.backend;
    return this.op(be.swiglu(gate, up), [gate, up], [gate, up], (dy, need) => {
      const g = be.swigluBackward(gate, up, dy);
      return this.keep([g.dgate, g.dup], need);
    });
  }

  attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: AttentionOptions): Tensor {
    const be = this.backend;
    return this.op(be.attention(q, k, v, mask, opts), [q, k, v], [q, k, v, mask], (dy, need) => {
      const g = be.attentionBackward(q, k, v, mask, dy, opts);
      return this.keep([g.dq, g.dk, g.dv], need);
    });
  }

  rope(x: Tensor, opts: RopeOptions): Tensor {
    const be = this.backend;
    return this.op(be.rope(x, opts), [x], [], (dy) => [be.ropeBackward(dy, opts)]);
  }

  add(a: Tensor, b: Tensor): Tensor {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
      throw new Error(`Tape.add: shapes [${a.shape.join(',')}] and [${b.shape.join(',')}] differ`);
    return this.op(this.backend.add(a, b), [a, b], [], (dy, need) => need.map((n) => (n ? dy : null)));
  }

  mul(a: Tensor, b: Tensor): Tensor {
    const be = this.backend;
    return this.op(be.mul(a, b), [a, b], [a, b], (dy, need) => [
      need[0] ? be.mul(dy, b) : null,
      need[1] ? be.mul(dy, a) : null,
    ]);
  }

  slice(x: Tensor, axis: number, start: number, len: number): Tensor {
    const be = this.backend;
    const full = x.shape[axis];
    return this.op(be.slice(x, axis, start, len), [x], [], (dy) => [be.sliceBackward(dy, axis, start, full)]);
  }

  scale(x: Tensor, s: number): Tensor {
    const be = this.backend;
    return this.op(be.scale(x, s), [x], [], (dy) => [be.scale(dy, s)]);
  }

  addPositional(x: Tensor, pos: Positional): Tensor {
    return this.op(this.backend.addPositional(x, pos), [x], [], (dy) => [dy]);
  }

  reshape(x: Tensor, shape: readonly number[]): Tensor {
    const y = this.backend.reshape(x, shape);
    this.roots.set(y, this.rootOf(x));
    if (this.req.has(x))
      this.push({ out: y, inputs: [x], saved: [], back: (dy) => [this.view(dy, x.shape)] });
    return y;
  }

  maskedMeanPool(x: Tensor, mask: Tensor): Tensor {
    const be = this.backend;
    const T = x.shape[1];
    return this.op(be.maskedMeanPool(x, mask), [x], [mask], (dy) => [be.maskedMeanPoolBackward(mask, dy, T)]);
  }

  pool(x: Tensor, mask: Tensor, mode: 'cls' | 'last'): Tensor {
    const be = this.backend;
    const T = x.shape[1];
    return this.op(be.pool(x, mask, mode), [x], [mask], (dy) => [be.poolBackward(mask, dy, T, mode)]);
  }

  l2Normalize(x: Tensor): Tensor {
    const be = this.backend;
    return this.op(be.l2Normalize(x), [x], [x], (dy) => [be.l2NormalizeBackward(x, dy)]);
  }

  free(...ts: Tensor[]): void {
    for (const t of ts) {
      const r = this.rootOf(t);
      if (!this.made.has(r)) throw new Error('Tape.free: not a live tensor of this forward');
      if (this.keeps.has(r)) this.freed.add(r);
      else this.dispose(r);
    }
  }

  /** the gradients an op computed, those not needed disposed */
  private keep(gs: Tensor[], need: readonly boolean[]): (Tensor | null)[] {
    return gs.map((g, i) => {
      if (need[i]) return g;
      this.backend.dispose(g);
      return null;
    });
  }

  /** a gradient viewed with another shape (same storage, so the same reference count) */
  private view(g: Tensor, shape: readonly number[]): Tensor {
    const v = this.backend.reshape(g, shape);
    this.roots.set(v, this.rootOf(g));
    return v;
  }

  private dispose(r: Tensor): void {
    this.made.delete(r);
    this.freed.delete(r);
    this.backend.dispose(r);
  }

  private hold(g: Tensor): void {
    const r = this.rootOf(g);
    if (!this.external.has(r)) this.grefs.set(r, (this.grefs.get(r) ?? 0) + 1);
  }

  private drop(g: Tensor): void {
    const r = this.rootOf(g);
    const n = this.grefs.get(r);
    if (n === undefined) return; // the caller's dOut
    if (n > 1) this.grefs.set(r, n - 1);
    else {
      this.grefs.delete(r);
      this.backend.dispose(r);
    }
  }

  /** the gradient of `t`: its contributions summed in forward order (null when it got none) */
  private gradOf(t: Tensor): Tensor | null {
    const cs = this.contrib.get(t);
    if (!cs) return null;
    this.contrib.delete(t);
    let s = cs[cs.length - 1];
    for (let i = cs.length - 2; i >= 0; i--) {
      const sum = this.backend.add(s, cs[i]);
      this.grefs.set(sum, 1);
      this.drop(s);
      this.drop(cs[i]);
      s = sum;
    }
    return s;
  }

  /** a node's backward has run or been skipped: release what it kept */
  private finish(n: Node, ran: boolean): void {
    for (const s of n.saved) {
      const r = this.rootOf(s);
      const k = this.keeps.get(r);
      if (k === undefined) continue;
      if (k > 1) this.keeps.set(r, k - 1);
      else {
        this.keeps.delete(r);
        if (this.freed.has(r)) this.dispose(r);
      }
    }
    if (!ran) n.release?.();
  }

  /**
   * Back-propagates dOut (the gradient of the forward's output `out`) through the record: parameter
   * gradients accumulate where the Linear source keeps them. Frees everything the record kept.
   */
  backward(out: Tensor, dOut: Tensor): void {
    if (this.done) throw new Error('Tape: backward after backward or release');
    this.done = true;
    try {
      this.external.add(this.rootOf(dOut));
      this.contrib.set(out, [dOut]);
      while (this.nodes.length) {
        const n = this.nodes.pop()!;
        const dy = this.gradOf(n.out);
        if (!dy) {
          this.finish(n, false);
          continue;
        }
        let gs: (Tensor | null)[];
        try {
          gs = n.back(
            dy,
            n.inputs.map((t) => this.req.has(t)),
          );
        } catch (e) {
          this.finish(n, false);
          throw e;
        }
        gs.forEach((g, i) => {
          if (!g) return;
          this.hold(g);
          const list = this.contrib.get(n.inputs[i]);
          if (list) list.push(g);
          else this.contrib.set(n.inputs[i], [g]);
        });
        this.drop(dy);
        this.finish(n, true);
      }
    } finally {
      this.clear();
    }
  }

  /** Frees everything the record kept, without a backward (a no-op after backward or release). */
  release(): void {
    if (this.done) return;
    this.done = true;
    this.clear();
  }

  private clear(): void {
    while (this.nodes.length) this.finish(this.nodes.pop()!, false);
    for (const cs of this.contrib.values()) for (const g of cs) this.drop(g);
    this.contrib.clear();
    for (const r of [...this.freed]) this.dispose(r);
    this.keeps.clear();
    this.roots.clear();
    this.req.clear();
    this.made.clear();
    this.external.clear();
  }
}
