import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../train/defaults';
import {
  ADAPTER_FILE,
  EXPERT_JSON,
  expertDownload,
  expertFiles,
  PEFT_CONFIG,
  PEFT_WEIGHTS,
  readExpert,
  readPickedExpert,
  type ExpertWeights,
} from './files';
import type { ExpertRecord } from './record';
import type { TrainMethod } from '../train/types';

function record(method: TrainMethod): ExpertRecord {
  return {
    id: 'e1',
    name: 'test',
    baseModel: 'use-lite',
    method,
    config: defaultTrainConfig(method),
    data: { source: 'pairs.jsonl', pairs: 10, negatives: 'mined:1' },
    templates: { query: '{text}', passage: '{text}' },
    createdAt: '2026-01-01T00:00:00.000Z',
    history: [],
  };
}
const weights: ExpertWeights = new Map([
  ['adapter.A', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
  ['adapter.B', { shape: [3, 2], data: Float32Array.from([-1, 0.5, 0, 0, 2, 1e-3]) }],
]);

async function roundTrip(files: Map<string, string | ArrayBuffer>) {
  return readExpert(async (n) => {
    const f = files.get(n);
    return f === undefined
      ? null
      : typeof f === 'string'
        ? (new TextEncoder().encode(f).buffer as ArrayBuffer)
        : f;
  });
}

describe('expert files', () => {
  it('adapter: expert.json + adapter.safetensors round trip', async () => {
    const files = expertFiles(record('adapter'), weights);
    expect([...files.keys()].sort()).toEqual([ADAPTER_FILE, EXPERT_JSON].sort());
    const r = await roundTrip(files);
    expect(r.record).toEqual(record('adapter'));
    for (const [n, w] of weights) {
      expect(r.weights.get(n)!.shape).toEqual(w.shape);
      expect(Array.from(r.weights.get(n)!.data)).toEqual(Array.from(w.data));
    }
  });

  it('LoRA: PEFT layout with adapter_config.json', async () => {
    const peft: ExpertWeights = new Map([
      [
        'base_model.model.encoder.layer.0.q.lora_A.weight',
        { shape: [16, 4], data: new Float32Array(64).fill(0.5) },
      ],
    ]);
    const files = expertFiles(record('lora'), peft);
    expect(files.has(PEFT_WEIGHTS)).toBe(true);
    const cfg = JSON.parse(files.get(PEFT_CONFIG) as string);
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'FEATURE_EXTRACTION',
      r: 16,
      lora_alpha: 32,
      lora_dropout: 0,
      target_modules: 'all-linear',
      base_model_name_or_path: 'use-lite',
    });
    const r = await roundTrip(files);
    expect([...r.weights.keys()]).toEqual([...peft.keys()]);
  });

  it('names the file on bad input', async () => {
    const files = expertFiles(record('adapter'), weights);
    files.delete(ADAPTER_FILE);
    await expect(roundTrip(files)).rejects.toThrow(
      /adapter.safetensors: missing \(an adapter expert keeps its weights there\)/,
    );
    files.set(EXPERT_JSON, '{"baseModel": "x", "method": "qlora", "config": {}}');
    await expect(roundTrip(files)).rejects.toThrow(/expert.json: "method"/);
    files.set(EXPERT_JSON, JSON.stringify(record('adapter')));
    files.set(ADAPTER_FILE, new ArrayBuffer(4));
    await expect(roundTrip(files)).rejects.toThrow(/adapter.safetensors/);
  });

  it('a download ("<name>/<file>") reads back from picked files, also renamed "<name>-<file> (1)"', async () => {
    const rec = { ...record('adapter'), name: 'my expert' };
    const down = expertDownload(rec, weights);
    expect(down.map((f) => f.name)).toEqual([`my_expert/${EXPERT_JSON}`, `my_expert/${ADAPTER_FILE}`]);
    const picked = down.map(
      (f, i) =>
        new File([f.data], `my_expert-${f.name.split('/')[1]}`.replace(/(\.\w+)$/, i ? ' (1)$1' : '$1')),
    );
    const { record: back, weights: w } = await readPickedExpert(picked);
    expect(back).toEqual(rec);
    expect([...w.get('adapter.B')!.data]).toEqual([...weights.get('adapter.B')!.data]);
  });
});
