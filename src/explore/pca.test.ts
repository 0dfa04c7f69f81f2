import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../core/backend';
import { loadSharedDataset } from '../data/node';
import { embedCorpus } from '../eval/dense';
import { createCpuBackend } from '../gpu/cpu';
import { nodeAssetFetcher } from '../models/node-assets';
import { loadEmbedder } from '../models/registry';
import { applyTemplate } from '../models/types';
import { backendCases } from '../testing/backends';
import { pca2, PcaInputError } from './pca';

/** Real embeddings: GloVe (100-d) of med's 1,033 abstracts and 30 queries. */
async function medGlove(): Promise<{ x: Float32Array; rows: number; dim: number }> {
  const ds = await loadSharedDataset('med');
  const e = await loadEmbedder('glove', nodeAssetFetcher());
  const be = createCpuBackend();
  const docs = await embedCorpus({ dataset: ds, queries: [], embedder: e, backend: be, depth: 1 });
  const qs = await e.embed(
    be,
    ds.queries.map((q) => applyTemplate(e.templates.query, q)),
    'query',
  );
  be.destroy();
  const rows = ds.docs.length + ds.queries.length;
  const x = new Float32Array(rows * e.dim);
  x.set(docs);
  x.set(qs, docs.length);
  return { x, rows, dim: e.dim };
}

/** An independent reference: the covariance in f64 and its full eigen-decomposition by cyclic Jacobi. */
function jacobiReference(x: Float32Array, rows: number, dim: number) {
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) mean[i] += x[r * dim + i] / rows;
  const c = new Float64Array(dim * dim);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < dim; i++) {
      const a = x[r * dim + i] - mean[i];
      for (let j = 0; j < dim; j++) c[i * dim + j] += (a * (x[r * dim + j] - mean[j])) / (rows - 1);
    }
  const v = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) v[i * dim + i] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += c[p * dim + q] ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < dim; p++)
      for (let q = p + 1; q < dim; q++) {
        const apq = c[p * dim + q];
        if (Math.abs(apq) < 1e-300) continue;
        const tau = (c[q * dim + q] - c[p * dim + p]) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.hypot(1, tau));
        const cs = 1 / Math.hypot(1, t);
        const sn = t * cs;
        for (let k = 0; k < dim; k++) {
          const [kp, kq] = [c[k * dim + p], c[k * dim + q]];
          c[k * dim + p] = cs * kp - sn * kq;
          c[k * dim + q] = sn * kp + cs * kq;
        }
        for (let k = 0; k < dim; k++) {
          const [pk, qk] = [c[p * dim + k], c[q * dim + k]];
          c[p * dim + k] = cs * pk - sn * qk;
          c[q * dim + k] = sn * pk + cs * qk;
        }
        for (let k = 0; k < dim; k++) {
          const [kp, kq] = [v[k * dim + p], v[k * dim + q]];
          v[k * dim + p] = cs * kp - sn * kq;
          v[k * dim + q] = sn * kp + cs * kq;
        }
      }
  }
  const diag = Array.from({ length: dim }, (_, i) => c[i * dim + i]);
  const order = diag.map((_, i) => i).sort((a, b) => diag[b] - diag[a]);
  const total = diag.reduce((a, b) => a + b, 0);
  const comp = (r: number) => Array.from({ length: dim }, (_, k) => v[k * dim + order[r]]);
  return { components: [comp(0), comp(1)], variances: [diag[order[0]], diag[order[1]]], total };
}

/** numpy's SVD of the centred matrix, when python3 has numpy (another independent reference). */
function numpyReference(x: Float32Array, rows: number, dim: number) {
  const dir = mkdtempSync(join(tmpdir(), 'pca-'));
  try {
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const script = [
      'import json, sys, numpy as np',
      `x = np.fromfile(sys.argv[1], dtype=np.float32).astype(np.float64).reshape(${rows}, ${dim})`,
      'x -= x.mean(axis=0)',
      '_, s, vt = np.linalg.svd(x, full_matrices=False)',
      `var = s ** 2 / ${rows - 1}`,
      'print(json.dumps({"components": vt[:2].tolist(), "variances": var[:2].tolist(), "total": float(var.sum())}))',
    ].join('\n');
    writeFileSync(join(dir, 'svd.py'), script);
    const out = execFileSync('python3', [join(dir, 'svd.py'), join(dir, 'x.f32')], { encoding: 'utf8' });
    return JSON.parse(out) as { components: number[][]; variances: number[]; total: number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** max |a − s·b| over the entries, s = ±1 chosen to match (components are defined up to sign) */
function upToSign(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let plus = 0;
  let minus = 0;
  for (let i = 0; i < b.length; i++) {
    plus = Math.max(plus, Math.abs(a[i] - b[i]));
    minus = Math.max(minus, Math.abs(a[i] + b[i]));
  }
  return Math.min(plus, minus);
}

let data: Awaited<ReturnType<typeof medGlove>>;
let jacobi: ReturnType<typeof jacobiReference>;
beforeAll(async () => {
  data = await medGlove();
  jacobi = jacobiReference(data.x, data.rows, data.dim);
}, 60_000);

describe.each(backendCases())('pca2 on $name (issue 12 item 5)', ({ make }) => {
  let be: Backend;
  let p: Awaited<ReturnType<typeof pca2>>;
  beforeAll(async () => {
    be = await make();
    p = await pca2(be, data.x, data.rows, data.dim);
  });
  afterAll(() => be?.destroy());

  it('finds the top-2 components of real embeddings (GloVe on med) to 1e-3 up to sign, with the explained variance', async () => {
    const { rows, dim } = data;
    const comp = (r: number) => p.components.subarray(r * dim, (r + 1) * dim);
    for (const r of [0, 1]) {
      expect(upToSign(comp(r), jacobi.components[r])).toBeLessThan(1e-3);
      expect(Math.abs(p.variances[r] - jacobi.variances[r]) / jacobi.variances[r]).toBeLessThan(1e-4);
    }
    expect(Math.abs(p.totalVariance - jacobi.total) / jacobi.total).toBeLessThan(1e-4);
    expect(p.explained[0]).toBeCloseTo(jacobi.variances[0] / jacobi.total, 4);
    expect(p.explained[0]).toBeGreaterThan(p.explained[1]);
    // the coordinates are the centred rows projected on the components: their variance is the component's
    const varOf = (r: number) => {
      let s = 0;
      for (let i = 0; i < rows; i++) s += p.coords[i * 2 + r] ** 2;
      return s / (rows - 1);
    };
    expect(Math.abs(varOf(0) - p.variances[0]) / p.variances[0]).toBeLessThan(1e-3);
    expect(Math.abs(varOf(1) - p.variances[1]) / p.variances[1]).toBeLessThan(1e-3);
    console.log(
      `pca2 ${be.kind}: ${p.iterations} iterations, residual ${p.residual.toExponential(2)}, explained ${p.explained.map((e) => (100 * e).toFixed(2)).join('% + ')}%`,
    );
  });

  it.skipIf(!hasNumpy())('agrees with numpy.linalg.svd to 1e-3 up to sign', async () => {
    const { x, rows, dim } = data;
    const np = numpyReference(x, rows, dim);
    const errs = [0, 1].map((r) => upToSign(p.components.subarray(r * dim, (r + 1) * dim), np.components[r]));
    console.log(
      `pca2 ${be.kind} vs numpy: component errors ${errs.map((e) => e.toExponential(2)).join(', ')}`,
    );
    for (const r of [0, 1]) {
      expect(upToSign(p.components.subarray(r * dim, (r + 1) * dim), np.components[r])).toBeLessThan(1e-3);
      expect(Math.abs(p.variances[r] - np.variances[r]) / np.variances[r]).toBeLessThan(1e-4);
    }
    expect(Math.abs(p.totalVariance - np.total) / np.total).toBeLessThan(1e-4);
  });

  it('recovers a planted plane exactly, and refuses too few points', async () => {
    // points on the plane spanned by e0 (±3) and e1 (±1), uncorrelated, shifted, in 6-d: two components explain all
    const rows = 40;
    const dim = 6;
    const x = new Float32Array(rows * dim);
    for (let i = 0; i < rows; i++) {
      x[i * dim] = (i % 2 ? 3 : -3) + 5;
      x[i * dim + 1] = ((i >> 1) % 2 ? 1 : -1) - 2;
    }
    const q = await pca2(be, x, rows, dim);
    expect(upToSign(q.components.subarray(0, dim), [1, 0, 0, 0, 0, 0])).toBeLessThan(1e-5);
    expect(upToSign(q.components.subarray(dim), [0, 1, 0, 0, 0, 0])).toBeLessThan(1e-5);
    expect(q.explained[0] + q.explained[1]).toBeCloseTo(1, 5);
    await expect(pca2(be, new Float32Array(4), 2, 2)).rejects.toThrow(PcaInputError);
  });
});
