/** Local model folders: a sharded checkpoint reads like one file; a file over 2 GiB is refused before it is read. */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { createCpuBackend } from '../../gpu/cpu';
import { loadHfModel } from './load';
import { SafetensorsFile, writeSafetensors } from './safetensors';
import { SHARD_INDEX } from './shards';

const BERT = join(TINY_MODELS_DIR, 'tiny-bert');
const dir = mkdtempSync(join(tmpdir(), 'stm-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(BERT, f), join(d, f));
  return d;
}

describe('model folders: shards and files over 2 GiB (issue 8 item 12)', () => {
  it('reads a sharded checkpoint (index + two shards) to the same embeddings as the single file', async () => {
    const b = readFileSync(join(BERT, 'model.safetensors'));
    const whole = SafetensorsFile.open(
      b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer,
    );
    const names = whole.names;
    const d = folder('sharded');
    const weightMap: Record<string, string> = {};
    for (const [k, part] of [names.slice(0, 5), names.slice(5)].entries()) {
      const file = `model-0000${k + 1}-of-00002.safetensors`;
      const t = new Map(part.map((n) => [n, { ...whole.get(n), dtype: whole.get(n).dtype }]));
      writeFileSync(join(d, file), new Uint8Array(writeSafetensors(t)));
      for (const n of part) weightMap[n] = file;
    }
    writeFileSync(join(d, SHARD_INDEX), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const be = createCpuBackend();
    const a = await (await loadHfModel(BERT)).embed(be, ['heart attack symptoms'], 'query');
    const s = await (await loadHfModel(d)).embed(be, ['heart attack symptoms'], 'query');
    expect(Array.from(s)).toEqual(Array.from(a));
  });

  it('refuses a model.safetensors over 2 GiB before reading it, naming it and pointing to shards', async () => {
    const d = folder('huge');
    const f = join(d, 'model.safetensors');
    writeFileSync(f, '');
    truncateSync(f, 2 ** 31 + 4096); // sparse: no 2 GiB written
    await expect(loadHfModel(d)).rejects.toThrow(
      `${f}: is 2.00 GiB, over the 2 GiB a single file can be read here: save the model as sharded safetensors`,
    );
  });
});
