import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { resolveModelNode } from './resolve-node';
import { initAdapterWeights } from '../train/adapter';
import { defaultTrainConfig } from '../train/defaults';
import { writeExpertDir } from './files-node';
import { adapterExpertRecord } from '../testing/expert-record';

const dir = mkdtempSync(join(tmpdir(), 'stm-expert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveModelNode on an expert folder', () => {
  it('builds base + adapter, with the recorded templates', async () => {
    const config = { ...defaultTrainConfig('adapter'), adapter: { kind: 'full' as const, rank: 0 } };
    const record = adapterExpertRecord({
      id: 'glove-test',
      config,
      templates: { query: 'Q {text}', passage: '{text}' },
    });
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

describe('an expert whose base is an expert, a URL, or a bare PEFT folder (issue 8 items 10, 12)', () => {
  const config = { ...defaultTrainConfig('adapter'), adapter: { kind: 'full' as const, rank: 0 } };
  const expertAt = async (name: string, baseModel: (d: string) => string): Promise<string> => {
    const d = join(dir, name);
    const record = adapterExpertRecord({ id: name, name, baseModel: baseModel(d), config });
    await writeExpertDir(d, record, initAdapterWeights(config.adapter, 100, 1));
    return d;
  };
  const quiet = () => undefined;

  it('writes an expert folder through temporary names and leaves none behind', async () => {
    const d = await expertAt('plain', () => 'glove');
    expect(readdirSync(d).sort()).toEqual(['adapter.safetensors', 'expert.json']);
  });

  it('refuses an expert whose base model is itself', async () => {
    const self = await expertAt('self', (d) => d);
    await expect(resolveModelNode(self, quiet)).rejects.toThrow(
      `${join(self, 'expert.json')}: its base model "${self}" is this expert itself`,
    );
  });

  it('refuses a cycle of two experts, naming the cycle', async () => {
    const a = join(dir, 'cycle-a');
    const b = await expertAt('cycle-b', () => a);
    await expertAt('cycle-a', () => b);
    await expect(resolveModelNode(a, quiet)).rejects.toThrow(`form a cycle ("${a}" → "${b}" → "${a}")`);
  });

  it('refuses a chain of experts (an expert over an expert over glove), and training over an expert', async () => {
    const inner = await expertAt('inner', () => 'glove');
    const outer = await expertAt('outer', () => inner);
    await expect(resolveModelNode(inner, quiet)).resolves.toBeDefined();
    await expect(resolveModelNode(outer, quiet)).rejects.toThrow(
      `is itself an expert ("${outer}" → "${inner}" → "glove"); an expert over an expert is not supported`,
    );
    await expect(resolveModelNode(inner, quiet, { forTraining: true })).rejects.toThrow(
      `--base ${inner} is an expert: an expert over an expert is not supported; train over its base model (glove)`,
    );
  });

  it('does not download an expert base given as a URL or hub id unless network use is allowed', async () => {
    const url = await expertAt('url-base', () => 'https://models.invalid/org/model');
    await expect(resolveModelNode(url, quiet)).rejects.toThrow(
      `${join(url, 'expert.json')}: its base model "https://models.invalid/org/model" is a URL and would be downloaded; pass --allow-network`,
    );
    const hub = await expertAt('hub-base', () => 'org/model');
    await expect(resolveModelNode(hub, quiet)).rejects.toThrow(/is a hub id and would be downloaded/);
  });

  it('says a PEFT-only folder is an adapter and how to use it', async () => {
    const peft = join(dir, 'peft-only');
    mkdirSync(peft);
    writeFileSync(
      join(peft, 'adapter_config.json'),
      JSON.stringify({
        peft_type: 'LORA',
        r: 8,
        lora_alpha: 16,
        base_model_name_or_path: 'BAAI/bge-small-en',
      }),
    );
    writeFileSync(join(peft, 'adapter_model.safetensors'), 'x');
    await expect(resolveModelNode(peft, quiet)).rejects.toThrow(
      /holds a PEFT LoRA adapter \(adapter_config\.json \+ adapter_model\.safetensors\), not a model: an adapter runs over its base model \("BAAI\/bge-small-en"\)\. To use it as an expert, add .*expert\.json such as \{"id":"my-lora",.*"baseModel":"BAAI\/bge-small-en","method":"lora"/,
    );
  });
});
