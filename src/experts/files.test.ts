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

  it('names a missing config.adapter, config.lora or data, and a string where a number belongs (issue 8 item 12)', async () => {
    const files = expertFiles(record('adapter'), weights);
    const withJson = (edit: (r: Record<string, unknown>) => void) => {
      const r = JSON.parse(JSON.stringify(record('adapter'))) as Record<string, unknown>;
      edit(r);
      files.set(EXPERT_JSON, JSON.stringify(r));
      return roundTrip(files);
    };
    await expect(withJson((r) => delete (r.config as Record<string, unknown>).adapter)).rejects.toThrow(
      'expert.json: missing "config.adapter": an adapter expert needs {"kind": "lowrank" | "full", "rank": <integer>}',
    );
    await expect(withJson((r) => delete r.data)).rejects.toThrow('expert.json: missing "data"');
    await expect(
      withJson((r) => ((r.config as { adapter: { rank: unknown } }).adapter.rank = '4')),
    ).rejects.toThrow('expert.json: "config.adapter.rank" must be an integer ≥ 1, got the string "4"');
    const lora = expertFiles(record('lora'), new Map());
    lora.delete(PEFT_CONFIG);
    const rec = record('lora') as unknown as { config: { lora: Record<string, unknown> } };
    rec.config.lora.alpha = '8';
    lora.set(EXPERT_JSON, JSON.stringify(rec));
    await expect(roundTrip(lora)).rejects.toThrow(
      'expert.json: "config.lora.alpha" must be a number, got the string "8"',
    );
  });

  it('a LoRA expert runs with adapter_config.json as edited, and a rank that the weights lack is named', async () => {
    const peft: ExpertWeights = new Map([
      ['base_model.model.encoder.q.lora_A.weight', { shape: [16, 4], data: new Float32Array(64) }],
      ['base_model.model.encoder.q.lora_B.weight', { shape: [4, 16], data: new Float32Array(64) }],
    ]);
    const files = expertFiles(record('lora'), peft);
    const cfg = JSON.parse(files.get(PEFT_CONFIG) as string) as Record<string, unknown>;
    files.set(PEFT_CONFIG, JSON.stringify({ ...cfg, lora_alpha: 8, target_modules: ['q'] }));
    const r = await roundTrip(files);
    expect(r.record.config.lora).toEqual({ rank: 16, alpha: 8, dropout: 0, targetModules: ['q'] });
    files.set(PEFT_CONFIG, JSON.stringify({ ...cfg, lora_alpha: '8' }));
    await expect(roundTrip(files)).rejects.toThrow(
      'adapter_config.json: "lora_alpha" must be a number, got the string "8"',
    );
    files.set(PEFT_CONFIG, JSON.stringify({ ...cfg, r: 8 }));
    await expect(roundTrip(files)).rejects.toThrow(
      'adapter_config.json: "r" is 8, but adapter_model.safetensors holds rank-16 weights (base_model.model.encoder.q.lora_A.weight is [16, 4]): set "r" to 16',
    );
  });

  it('refuses weights written for another expert than expert.json (a folder mixing two writes)', async () => {
    const files = expertFiles(record('adapter'), weights);
    const later = expertFiles({ ...record('adapter'), createdAt: '2026-02-01T00:00:00.000Z' }, weights);
    files.set(ADAPTER_FILE, later.get(ADAPTER_FILE)!);
    await expect(roundTrip(files)).rejects.toThrow(
      'adapter.safetensors: is from another write than expert.json (created_at "2026-02-01T00:00:00.000Z" vs "2026-01-01T00:00:00.000Z")',
    );
  });
});
