import { describe, expect, it } from 'vitest';
import { memorySource, mergeCheckpoints, planCheckpointMerge, type TensorSource } from './checkpoint-merge';
import type { NamedTensor } from './types';

const t = (name: string, shape: number[], data: number[]): NamedTensor => ({
  name,
  shape,
  data: Float32Array.from(data),
});

const base = memorySource('base.safetensors', [t('w', [2, 2], [1, 1, 1, 1]), t('b', [2], [0, 0])]);
const a = memorySource('a.safetensors', [t('w', [2, 2], [2, 1, 0, 1]), t('b', [2], [1, -1])]);
const b = memorySource('b.safetensors', [t('w', [2, 2], [1, 3, 1, 1]), t('b', [2], [1, 1])]);

/** A source that logs every read, to see the order of reads and emits. */
function logged(src: TensorSource, log: string[]): TensorSource {
  return { ...src, read: (name) => (log.push(`read ${src.file} ${name}`), src.read(name)) };
}

describe('mergeCheckpoints (issue 10 item 6)', () => {
  it('merges tensor by tensor with the method, reading one tensor per model before each emit', async () => {
    const log: string[] = [];
    const out: NamedTensor[] = [];
    const plan = await mergeCheckpoints(
      {
        method: 'task_arithmetic',
        base: logged(base, log),
        experts: [logged(a, log), logged(b, log)],
        models: [{ weight: 1 }, { weight: 0.5 }],
        options: { lambda: 2 },
      },
      (m) => {
        log.push(`emit ${m.name}`);
        out.push(m);
      },
    );
    expect(plan).toEqual([
      { name: 'w', shape: [2, 2] },
      { name: 'b', shape: [2] },
    ]);
    // θ = base + 2·(1·δa + 0.5·δb): w δa = [1,0,-1,0], δb = [0,2,0,0] → [1+2, 1+2, 1-2, 1]
    expect(Array.from(out[0].data)).toEqual([3, 3, -1, 1]);
    // b δa = [1,-1], δb = [1,1] → 2·([1,-1] + [.5,.5]) = [3, -1]
    expect(Array.from(out[1].data)).toEqual([3, -1]);
    expect(log).toEqual([
      'read base.safetensors w',
      'read a.safetensors w',
      'read b.safetensors w',
      'emit w',
      'read base.safetensors b',
      'read a.safetensors b',
      'read b.safetensors b',
      'emit b',
    ]);
  });

  it('merges each layer with its own per-layer values: a gradient, a name filter, a global gradient', async () => {
    // a 3-layer model; every tensor of the base is 1, expert A adds 1, expert B adds 10
    const names = [
      'model.embed_tokens.weight',
      'model.layers.0.mlp.weight',
      'model.layers.1.self_attn.weight',
      'model.layers.1.mlp.weight',
      'model.layers.2.mlp.weight',
      'model.norm.weight',
    ];
    const src = (file: string, v: number) =>
      memorySource(
        file,
        names.map((n) => t(n, [2], [v, v])),
      );
    const out = new Map<string, number>();
    const run = (lambda?: number[]) =>
      mergeCheckpoints(
        {
          method: 'task_arithmetic',
          base: src('base.safetensors', 1),
          experts: [src('a.safetensors', 2), src('b.safetensors', 11)],
          models: [{ weight: 0.2 }, { weight: 0.5 }],
          options: {},
          perLayer: {
            // A: 0.2 → 1 over the layers (layer 0: 0.2, 1: 0.6, 2: 1), t = 0 outside the layers
            // B: 0 on attention tensors only, 0.5 elsewhere
            models: [{ weight: [0.2, 1] }, { weight: [{ filter: 'self_attn', value: 0 }, { value: 0.5 }] }],
            options: lambda ? { lambda } : undefined,
          },
        },
        (m) => void out.set(m.name, m.data[0]),
      );
    await run();
    // θ = 1 + w_A·1 + w_B·10
    const want: Record<string, number> = {
      'model.embed_tokens.weight': 1 + 0.2 + 5,
      'model.layers.0.mlp.weight': 1 + 0.2 + 5,
      'model.layers.1.self_attn.weight': 1 + 0.6 + 0,
      'model.layers.1.mlp.weight': 1 + 0.6 + 5,
      'model.layers.2.mlp.weight': 1 + 1 + 5,
      'model.norm.weight': 1 + 0.2 + 5,
    };
    for (const n of names) expect(out.get(n), n).toBeCloseTo(want[n], 5);
    // a global lambda gradient scales each layer's mix: λ = 1, 2, 3 on layers 0, 1, 2 (1 outside)
    await run([1, 3]);
    expect(out.get('model.layers.1.mlp.weight')).toBeCloseTo(1 + 2 * 5.6, 5);
    expect(out.get('model.layers.2.mlp.weight')).toBeCloseTo(1 + 3 * 6, 5);
    expect(out.get('model.norm.weight')).toBeCloseTo(6.2, 5);
    // filters that match no tensor and no default: the error names the file's expert and the tensor
    await expect(
      mergeCheckpoints(
        {
          method: 'task_arithmetic',
          base: src('base.safetensors', 1),
          experts: [src('a.safetensors', 2)],
          models: [{ weight: 1 }],
          options: {},
          perLayer: { models: [{ weight: [{ filter: 'mlp', value: 1 }] }] },
        },
        () => undefined,
      ),
    ).rejects.toThrow('expert "a.safetensors" weight: no rule matches tensor "model.embed_tokens.weight"');
  });

  it('names the tensor and the file on a missing, extra or differently shaped tensor', () => {
    const missing = memorySource('m.safetensors', [t('w', [2, 2], [0, 0, 0, 0])]);
    expect(() => planCheckpointMerge('ties', base, [a, missing])).toThrow(
      'm.safetensors: has no tensor "b" (in base.safetensors)',
    );
    const extra = memorySource('x.safetensors', [
      t('w', [2, 2], [0, 0, 0, 0]),
      t('b', [2], [0, 0]),
      t('c', [1], [0]),
    ]);
    expect(() => planCheckpointMerge('ties', base, [extra])).toThrow(
      'x.safetensors: tensor "c" is not in base.safetensors',
    );
    const shaped = memorySource('s.safetensors', [t('w', [4], [0, 0, 0, 0]), t('b', [2], [0, 0])]);
    expect(() => planCheckpointMerge('linear', null, [a, shaped])).toThrow(
      's.safetensors: tensor "w" has shape [4], a.safetensors has [2, 2]',
    );
    expect(() => planCheckpointMerge('ties', null, [a])).toThrow('ties: a base model is required');
    expect(() => planCheckpointMerge('slerp', base, [a, b])).toThrow('slerp: at most 1 expert(s), got 2');
  });

  it("puts the tensor's name on a method's error", async () => {
    const run = mergeCheckpoints(
      { method: 'ties', base, experts: [a], models: [{ weight: 1, density: 0.1 }], options: {} },
      () => undefined,
    );
    await expect(run).rejects.toThrow('tensor "w" (4 elements): density 0.1 keeps int(density·n) = 0');
  });
});
