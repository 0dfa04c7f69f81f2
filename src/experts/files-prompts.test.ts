import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../models/hf/safetensors';
import { genericPolicy } from '../prompts/generic';
import { defaultTrainConfig } from '../train/defaults';
import {
  ADAPTER_FILE,
  EXPERT_JSON,
  expertFiles,
  PEFT_CONFIG,
  PEFT_PROMPTS_KEY,
  PEFT_WEIGHTS,
  readExpert,
} from './files';
import type { ExpertRecord } from './record';
import type { TrainMethod } from '../train/types';

const gp3 = genericPolicy(3);

function record(method: TrainMethod, prompts = gp3): ExpertRecord {
  return {
    id: 'e1',
    name: 'test',
    baseModel: 'use-lite',
    method,
    config: { ...defaultTrainConfig(method), prompts },
    data: { source: 'pairs.jsonl', pairs: 10, negatives: 'mined:1' },
    templates: { query: '{text}', passage: '{text}' },
    createdAt: '2026-01-01T00:00:00.000Z',
    history: [],
    prompts,
  };
}
const peftWeights = new Map([
  [
    'base_model.model.encoder.layer.0.q.lora_A.weight',
    { shape: [16, 4], data: new Float32Array(64).fill(0.5) },
  ],
]);
const adapterWeights = new Map([
  ['adapter.A', { shape: [2, 3], data: new Float32Array(6).fill(1) }],
  ['adapter.B', { shape: [3, 2], data: new Float32Array(6) }],
]);

const bytes = (f: string | ArrayBuffer) =>
  typeof f === 'string' ? (new TextEncoder().encode(f).buffer as ArrayBuffer) : f;
const read = (files: Map<string, string | ArrayBuffer>) =>
  readExpert((n) => Promise.resolve(files.has(n) ? bytes(files.get(n)!) : null));
/** the files as a PEFT user has them: no expert.json prompts (a hand-written or foreign expert.json) */
function withoutRecordPrompts(files: Map<string, string | ArrayBuffer>) {
  const out = new Map(files);
  const rec = JSON.parse(files.get(EXPERT_JSON) as string) as ExpertRecord;
  delete rec.prompts;
  out.set(EXPERT_JSON, JSON.stringify(rec));
  return out;
}

describe('exports carry the prompt policy', () => {
  it('PEFT: adapter_config.json and the safetensors __metadata__ hold it; import reads it back', async () => {
    const files = expertFiles(record('lora'), peftWeights);
    const cfg = JSON.parse(files.get(PEFT_CONFIG) as string) as Record<string, unknown>;
    expect(cfg[PEFT_PROMPTS_KEY]).toEqual(gp3);
    const meta = SafetensorsFile.open(files.get(PEFT_WEIGHTS) as ArrayBuffer, PEFT_WEIGHTS).metadata;
    expect(JSON.parse(meta[PEFT_PROMPTS_KEY] as string)).toEqual(gp3);
    expect((await read(files)).record.prompts).toEqual(gp3);
    // from adapter_config.json alone, and as edited there (it is what the export runs with)
    const edited = withoutRecordPrompts(files);
    const fixed = { kind: 'fixed', format: gp3.format, instructions: ['Find the answer'] };
    edited.set(PEFT_CONFIG, JSON.stringify({ ...cfg, [PEFT_PROMPTS_KEY]: fixed }));
    expect((await read(edited)).record.prompts).toEqual(fixed);
  });

  it('an adapter expert reads its policy from adapter.safetensors when expert.json lacks it', async () => {
    const files = withoutRecordPrompts(expertFiles(record('adapter'), adapterWeights));
    expect((await read(files)).record.prompts).toEqual(gp3);
  });

  it('no policy writes no key, and a bad one is named with its file', async () => {
    const { prompts: _p, ...plain } = record('lora');
    const files = expertFiles(plain, peftWeights);
    expect(files.get(PEFT_CONFIG)).not.toContain(PEFT_PROMPTS_KEY);
    expect((await read(files)).record.prompts).toBeUndefined();
    const cfg = JSON.parse(files.get(PEFT_CONFIG) as string) as Record<string, unknown>;
    files.set(PEFT_CONFIG, JSON.stringify({ ...cfg, [PEFT_PROMPTS_KEY]: { kind: 'gp', format: '{text}' } }));
    await expect(read(files)).rejects.toThrow(`${PEFT_CONFIG}: "stm_prompts": the format needs both`);
    const bad = expertFiles(record('adapter'), adapterWeights);
    const rec = JSON.parse(bad.get(EXPERT_JSON) as string) as Record<string, unknown>;
    bad.set(
      EXPERT_JSON,
      JSON.stringify({ ...rec, prompts: { kind: 'fixed', format: gp3.format, instructions: [] } }),
    );
    await expect(read(bad)).rejects.toThrow(`${EXPERT_JSON}: "prompts": kind fixed takes exactly one`);
    expect(bad.has(ADAPTER_FILE)).toBe(true);
  });
});
