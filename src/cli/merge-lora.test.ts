/** `stm merge` over LoRA experts of a Hugging Face base (issue 10 item 6): a folded expert, one expert at
 * weight 1 embeds as itself, and a low-rank LoRA result with its kept energy. The other merges: merge.test.ts. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readExpertDir, writeExpertDir } from '../experts/files-node';
import { resolveModelNode } from '../experts/resolve-node';
import { createCpuBackend } from '../gpu/cpu';
import { layerCount, layerIndex } from '../merge/layer-params';
import { adapterExpertRecord } from '../testing/expert-record';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { randomPeft, tinyHf } from '../testing/lora-experts';
import { mergeCli } from '../testing/cli-merge';
import { DEFAULT_LORA } from '../train/lora';
import { selectModules } from '../train/lora-modules';
import { defaultTrainConfig } from '../train/defaults';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-merge-lora-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const merge = mergeCli;

describe('stm merge: LoRA experts (issue 10 item 6)', () => {
  it('merges LoRA experts over a Hugging Face base into a folded expert; one expert at weight 1 embeds as itself', async () => {
    const baseDir = join(TINY_MODELS_DIR, 'tiny-bert');
    const { model } = await tinyHf('tiny-bert');
    const cfg = { ...DEFAULT_LORA, rank: 4, alpha: 8 };
    const dirs: string[] = [];
    for (const seed of [1, 2]) {
      const d = join(dir, `lora${seed}`);
      const config = { ...defaultTrainConfig('lora'), lora: cfg };
      await writeExpertDir(
        d,
        adapterExpertRecord({
          id: `lora${seed}`,
          name: `L${seed}`,
          method: 'lora',
          baseModel: baseDir,
          config,
        }),
        randomPeft(selectModules(model.linears, cfg.targetModules), cfg, seed),
      );
      dirs.push(d);
    }
    const one = join(dir, 'lora-one');
    await merge(['--method', 'task_arithmetic', '--experts', dirs[0], '--weights', '1', '--out', one]);
    const be = createCpuBackend();
    const texts = ['heart attack symptoms', 'a second text'];
    const want = await (await resolveModelNode(dirs[0], () => undefined)).embed(be, texts, 'query');
    const got = await (await resolveModelNode(one, () => undefined)).embed(be, texts, 'query');
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    // --config with per-layer values resolves per module: 0 on the query projections, a gradient
    // 0.5 → 1 over the layers elsewhere; against the plain weight-1 merge of the same expert
    const perLayerYml = join(dir, 'lora-per-layer.yml');
    writeFileSync(
      perLayerYml,
      `merge_method: task_arithmetic\nbase_model: ${baseDir}\nmodels:\n  - model: ${dirs[0]}\n    parameters:\n      weight:\n        - filter: query\n          value: 0\n        - value: [0.5, 1]\n`,
    );
    const layered = join(dir, 'lora-layered');
    await merge(['--config', perLayerYml, '--out', layered]);
    const [plainW, layeredW] = [(await readExpertDir(one)).weights, (await readExpertDir(layered)).weights];
    const layers = layerCount(model.linears.map((m) => m.path));
    expect(layers).toBeGreaterThan(1);
    const kinds = new Set<string>();
    for (const [name, t] of plainW) {
      const i = layerIndex(name)!;
      const w = name.includes('query') ? 0 : 0.5 + (0.5 * i) / (layers - 1);
      kinds.add(name.includes('query') ? 'query' : `layer ${i}`);
      const got = layeredW.get(name)!.data;
      t.data.forEach((x, j) => expect(Math.abs(got[j] - w * x), name).toBeLessThan(1e-6));
    }
    expect(kinds.has('query') && kinds.size >= 3, [...kinds].join(', ')).toBe(true);
    const two = join(dir, 'lora-two');
    await merge([
      '--method',
      'ties',
      '--experts',
      dirs.join(','),
      '--weights',
      '0.5,0.5',
      '--densities',
      '0.5',
      '--out',
      two,
    ]);
    const merged = await readExpertDir(two);
    expect(merged.record.method).toBe('lora');
    expect(merged.record.merge?.method).toBe('ties');
    const e2 = await (await resolveModelNode(two, () => undefined)).embed(be, texts, 'query');
    expect(e2.some((x, i) => Math.abs(x - want[i]) > 1e-4)).toBe(true);
    be.destroy();
    // LoRA out: the same merge as PEFT files at full rank embeds as the merge; the full model as the base's
    // safetensors with W + ΔW folded in embeds the same too
    const peft = join(dir, 'lora-peft');
    const full = join(dir, 'lora-full.safetensors');
    const log: string[] = [];
    await merge(
      [
        '--method',
        'ties',
        '--experts',
        dirs.join(','),
        '--weights',
        '0.5,0.5',
        '--densities',
        '0.5',
        '--lora-rank',
        '32',
        '--full-model',
        full,
        '--out',
        peft,
      ],
      log,
    );
    expect(readdirSync(peft).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'expert.json',
    ]);
    expect(log.join('\n')).toMatch(/LoRA out: r \d+; energy kept: mean 100\.00%/);
    const be2 = createCpuBackend();
    const viaPeft = await (await resolveModelNode(peft, () => undefined)).embed(be2, texts, 'query');
    for (let i = 0; i < e2.length; i++) expect(Math.abs(viaPeft[i] - e2[i])).toBeLessThan(1e-4);
    const fb = readFileSync(full);
    const { model: folded } = await tinyHf(
      'tiny-bert',
      2,
      fb.buffer.slice(fb.byteOffset, fb.byteOffset + fb.byteLength) as ArrayBuffer,
    );
    const viaFull = await folded.embed(be2, texts, 'query');
    for (let i = 0; i < e2.length; i++) expect(Math.abs(viaFull[i] - e2[i])).toBeLessThan(1e-4);
    const low: string[] = [];
    await merge(
      [
        '--method',
        'ties',
        '--experts',
        dirs.join(','),
        '--weights',
        '0.5,0.5',
        '--lora-rank',
        '1',
        '--out',
        join(dir, 'lora-r1'),
      ],
      low,
    );
    expect(low.join('\n')).toMatch(/LoRA out: r 1; energy kept: mean (\d+\.\d+)%/);
    expect(Number(/mean (\d+\.\d+)%/.exec(low.join('\n'))![1])).toBeLessThan(100);
    be2.destroy();
  });
});
