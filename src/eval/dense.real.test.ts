import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import { acquireBackend } from '../gpu/select';
import { GloveEmbedder } from '../models/glove';
import { nodeAssetFetcher } from '../models/node-assets';
import { evaluate } from './evaluate';
import type { MetricKey } from './types';

// Real data: ../shared/datasets/med (1,033 MEDLINE abstracts, 30 queries).
describe.skipIf(process.env.STM_SKIP_WEBGPU === '1')(
  'GloVe dense retrieval on med: CPU and WebGPU agree',
  () => {
    it('gives the same metrics on both backends (1e-4)', async () => {
      const med = await loadBeirDir(join(sharedDatasetsDir(), 'med'));
      const glove = await GloveEmbedder.load(nodeAssetFetcher());
      const reports = [];
      for (const pref of ['cpu', 'webgpu'] as const) {
        const backend = await acquireBackend(pref);
        try {
          const { report } = await evaluate({
            dataset: med,
            split: 'test',
            retriever: { kind: 'dense', embedder: glove, backend },
          });
          expect(report.backend).toBe(pref);
          reports.push(report);
        } finally {
          backend.destroy();
        }
      }
      const [cpu, gpu] = reports;
      expect(cpu.queries).toBe(30);
      for (const key of Object.keys(cpu.metrics) as MetricKey[]) {
        expect(Math.abs(cpu.metrics[key] - gpu.metrics[key]), key).toBeLessThan(1e-4);
      }
      // a static model is weaker than BM25 (.69) on med but far better than chance
      expect(cpu.metrics['ndcg@10']).toBeGreaterThan(0.4);
    });
  },
);
