import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { resolveModelNode } from './resolve-node';
import { initAdapterWeights } from '../train/adapter';
import { defaultTrainConfig } from '../train/defaults';
import { writeExpertDir } from './files-node';
import type { ExpertRecord } from './record';

const dir = mkdtempSync(join(tmpdir(), 'stm-expert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveModelNode on an expert folder', () => {
  it('builds base + adapter, with the recorded templates', async () => {
    const config = { ...defaultTrainConfig('adapter'), adapter: { kind: 'full' as const, rank: 0 } };
    const record: ExpertRecord = {
      id: 'glove-test',
      name: 't',
      baseModel: 'glove',
      method: 'adapter',
      config,
      data: { source: 'x', pairs: 1, negatives: 'none' },
      templates: { query: 'Q {text}', passage: '{text}' },
      createdAt: new Date(0).toISOString(),
      history: [],
    };
    const w = initAdapterWeights(config.adapter, 100, 1);
    // swap the first two output dimensions: the expert's embedding is the base one, permuted
    const W = w.get('adapter.W')!.data;
    W.fill(0);
    for (let i = 0; i < 100; i++) W[(i === 0 ? 1 : i === 1 ? 0 : i) * 100 + i] = 1;
    await writeExpertDir(dir, record, w);
    const be = createCpuBackend();
    const expert = await resolveModelNode(dir, () => undefined);
    const base = await resolveModelNode('glove', () => undefined);
    expect(expert.templates.query).toBe('Q {text}');
    expect(expert.id).toBe('glove+glove-test');
    const e = await expert.embed(be, ['heart disease symptoms'], 'query');
    const b = await base.embed(be, ['heart disease symptoms'], 'query');
    expect(e[0]).toBeCloseTo(b[1], 5);
    expect(e[1]).toBeCloseTo(b[0], 5);
    for (let i = 2; i < 100; i++) expect(e[i]).toBeCloseTo(b[i], 5);
  });

  it('names the folder when the expert is broken', async () => {
    writeFileSync(join(dir, 'adapter.safetensors'), 'junk');
    await expect(resolveModelNode(dir, () => undefined)).rejects.toThrow(dir);
  });
});
