import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { adapterAsFull } from '../merge/adapters';
import type { MergeRecipe } from '../merge/recipe';
import { adapterEmbedder } from '../train/adapter';
import { adapterExpertRecord } from '../testing/expert-record';
import type { Embedder } from '../models/types';
import { Rng } from '../util/rng';
import type { ExpertWeights } from './files';
import { checkMergeable, mergeAdapterExperts, mergedExpertRecord, recipeExperts } from './merge';

const D = 6;

function randomFull(seed: number): ExpertWeights {
  const rng = new Rng(seed);
  const w = new Float32Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) w[i * D + j] = (i === j ? 1 : 0) + 0.3 * rng.normal();
  const b = Float32Array.from({ length: D }, () => 0.1 * rng.normal());
  return new Map([
    ['adapter.W', { shape: [D, D], data: w }],
    ['adapter.b', { shape: [D], data: b }],
  ]);
}

const recipe = (method: string, weights: number[], extra: Partial<MergeRecipe> = {}): MergeRecipe => ({
  method,
  baseModel: 'glove',
  experts: weights.map((weight, i) => ({ id: `e${i}`, name: `E${i}`, params: { weight } })),
  options: {},
  ...extra,
});

/** A fixed base embedder of dimension D (what the adapter maps; the base model itself is not under test). */
const base: Embedder = {
  id: 'base',
  dim: D,
  templates: { query: '{text}', passage: '{text}' },
  embed: async (_be, texts) => {
    const out = new Float32Array(texts.length * D);
    texts.forEach((t, r) => {
      for (let j = 0; j < D; j++) out[r * D + j] = Math.sin((t.length + 1) * (j + 1));
    });
    return out;
  },
};

describe('merging adapter experts', () => {
  const a = { record: adapterExpertRecord({ id: 'e0', name: 'E0' }), weights: randomFull(1) };
  const b = { record: adapterExpertRecord({ id: 'e1', name: 'E1' }), weights: randomFull(2) };

  it('task arithmetic of one expert at weight 1 is that expert, on the CPU reference and a backend', async () => {
    const be = createCpuBackend();
    for (const backend of [undefined, be]) {
      const m = await mergeAdapterExperts(recipe('task_arithmetic', [1]), [a], D, backend);
      for (const name of ['adapter.W', 'adapter.b'])
        expect([...m.get(name)!.data].map((x) => +x.toFixed(6))).toEqual(
          [...a.weights.get(name)!.data].map((x) => +x.toFixed(6)),
        );
    }
    be.destroy();
  });

  it('task arithmetic of two adds their task vectors (W − I) to the identity', async () => {
    const m = await mergeAdapterExperts(recipe('task_arithmetic', [0.5, 0.25]), [a, b], D);
    const wa = a.weights.get('adapter.W')!.data;
    const wb = b.weights.get('adapter.W')!.data;
    const w = m.get('adapter.W')!.data;
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        const k = i * D + j;
        const id = i === j ? 1 : 0;
        expect(w[k]).toBeCloseTo(id + 0.5 * (wa[k] - id) + 0.25 * (wb[k] - id), 6);
      }
  });

  it('a low-rank adapter reads as the full adapter I + B·A it computes', async () => {
    const r = 2;
    const rng = new Rng(3);
    const A = Float32Array.from({ length: r * D }, () => rng.normal());
    const B = Float32Array.from({ length: D * r }, () => rng.normal());
    const low = new Map([
      ['adapter.A', { shape: [r, D], data: A }],
      ['adapter.B', { shape: [D, r], data: B }],
    ]);
    const full = new Map(adapterAsFull({ kind: 'lowrank', rank: r }, D, low, 'x').map((t) => [t.name, t]));
    const be = createCpuBackend();
    const texts = ['one', 'three words here', 'a'];
    const e1 = await adapterEmbedder(base, { kind: 'lowrank', rank: r }, { host: low }, 'l').embed(
      be,
      texts,
      'query',
    );
    const e2 = await adapterEmbedder(base, { kind: 'full', rank: 0 }, { host: full }, 'f').embed(
      be,
      texts,
      'query',
    );
    for (let i = 0; i < e1.length; i++) expect(e2[i]).toBeCloseTo(e1[i], 5);
    be.destroy();
  });

  it('refuses experts of different base models or methods, naming both', () => {
    const other = adapterExpertRecord({ id: 'z', name: 'Z', baseModel: 'use-lite' });
    expect(() => checkMergeable([a.record, other])).toThrow(/"E0" and "Z" have different base models/);
    const lora = adapterExpertRecord({ id: 'l', name: 'L', method: 'lora' });
    expect(() => checkMergeable([a.record, lora])).toThrow(/different methods/);
  });

  it('a tensor of the wrong shape is named', async () => {
    const bad = { record: b.record, weights: new Map(b.weights) };
    bad.weights.set('adapter.b', { shape: [D - 1], data: new Float32Array(D - 1) });
    await expect(mergeAdapterExperts(recipe('ties', [1, 1]), [a, bad], D)).rejects.toThrow(
      /expert "E1": adapter tensor "adapter.b" has shape \[5\], expected \[6\]/,
    );
  });

  it('finds the recipe experts by id and names a missing one', () => {
    expect(recipeExperts(recipe('ties', [1, 1]), [b, a]).map((e) => e.record.id)).toEqual(['e0', 'e1']);
    expect(() => recipeExperts(recipe('ties', [1, 1, 1]), [a, b])).toThrow(/"E2" \(e2\) is not loaded/);
  });

  it('the merged record keeps the recipe and the union of fingerprints, unknown if one is unknown', () => {
    const fa = { scheme: 's', queries: ['q1', 'q2'], positives: ['p1'] };
    const fb = { scheme: 's', queries: ['q2', 'q3'], positives: ['p2'] };
    const ra = { ...a.record, fingerprints: fa };
    const rb = { ...b.record, fingerprints: fb };
    const rec = mergedExpertRecord(recipe('ties', [1, 1]), [ra, rb], 'M', 'm1', 't');
    expect(rec.merge?.method).toBe('ties');
    expect(rec.method).toBe('adapter');
    expect(rec.config.adapter.kind).toBe('full');
    expect(rec.fingerprints?.queries.sort()).toEqual(['q1', 'q2', 'q3']);
    expect(rec.data.source).toMatch(/^merge: ties · E0 1 \+ E1 1$/);
    expect(
      mergedExpertRecord(recipe('ties', [1, 1]), [ra, b.record], 'M', 'm1', 't').fingerprints,
    ).toBeUndefined();
  });
});
