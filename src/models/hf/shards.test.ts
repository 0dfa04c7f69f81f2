/**
 * Checkpoints read tensor by tensor (tensor-source.ts, shards.ts): a sharded copy of tiny-qwen3 (its
 * tensors split into two shards + index, made here) embeds exactly as the single file, from a folder
 * (file descriptors) and from picked Files (Blobs); a file over 2 GiB is read at its offsets; a tensor in
 * two shards, a missing shard and a truncated one are errors naming the file and the tensor.
 */
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { createCpuBackend } from '../../gpu/cpu';
import { loadHfModel } from './load';
import { safetensorsHeader, SafetensorsFile, writeSafetensors } from './safetensors';
import { SHARD_INDEX } from './shards';

const QWEN = join(TINY_MODELS_DIR, 'tiny-qwen3');
const dir = mkdtempSync(join(tmpdir(), 'stm-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TEXTS = ['heart attack symptoms', 'what causes high blood pressure in adults'];
const be = createCpuBackend();

const whole = (() => {
  const b = readFileSync(join(QWEN, 'model.safetensors'));
  return SafetensorsFile.open(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
})();

function folder(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(QWEN, f), join(d, f));
  return d;
}

/** tiny-qwen3's tensors in two shards (the first `cut` names, then the rest) with an index */
function sharded(name: string, cut = 7, extra: Record<string, string[]> = {}): string {
  const d = folder(name);
  const names = whole.names;
  const weightMap: Record<string, string> = {};
  const parts = [names.slice(0, cut), names.slice(cut)];
  parts.forEach((part, k) => {
    const file = `model-0000${k + 1}-of-00002.safetensors`;
    const inFile = [...part, ...(extra[file] ?? [])];
    writeFileSync(
      join(d, file),
      new Uint8Array(writeSafetensors(new Map(inFile.map((n) => [n, whole.get(n)])))),
    );
    for (const n of part) weightMap[n] = file;
  });
  const total = names.reduce((s, n) => s + whole.info(n).end - whole.info(n).begin, 0);
  writeFileSync(
    join(d, SHARD_INDEX),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }),
  );
  return d;
}

let reference: Float32Array;
beforeAll(async () => {
  reference = await (await loadHfModel(QWEN)).embed(be, TEXTS, 'query');
});

describe('sharded and large checkpoints, read tensor by tensor (issue 13 item 2)', () => {
  it('a sharded tiny-qwen3 (index + two shards) embeds exactly as the single file, from a folder and from picked files', async () => {
    const d = sharded('ok');
    const m = await loadHfModel(d);
    expect(m.weightFile.src.file).toBe(`${d}/${SHARD_INDEX}`);
    expect(Array.from(await m.embed(be, TEXTS, 'query'))).toEqual(Array.from(reference));
    const picked = readdirSync(d).map((f) => {
      const file = new File([readFileSync(join(d, f))], f);
      Object.defineProperty(file, 'webkitRelativePath', { value: `ok/${f}` });
      return file;
    });
    const p = await loadHfModel(picked);
    expect(Array.from(await p.embed(be, TEXTS, 'query'))).toEqual(Array.from(reference));
  });

  it('reads tensors stored past 2 GiB of a file (no whole-file read)', async () => {
    const d = folder('huge');
    const pad = 2 ** 29 + 8; // f32 values: 2 GiB + 32 bytes of zeros (sparse), before the model's tensors
    const entries = [
      { name: 'pad', shape: [pad] },
      ...whole.names.map((n) => ({ name: n, shape: whole.info(n).shape, dtype: whole.info(n).dtype })),
    ];
    const { head } = safetensorsHeader(entries);
    const f = join(d, 'model.safetensors');
    const fd = openSync(f, 'w');
    try {
      writeSync(fd, head, 0, head.length, 0);
      let at = head.length + pad * 4;
      const raw = readFileSync(join(QWEN, 'model.safetensors'));
      for (const n of whole.names) {
        const { begin, end } = whole.info(n);
        writeSync(fd, raw, begin, end - begin, at);
        at += end - begin;
      }
    } finally {
      closeSync(fd);
    }
    const m = await loadHfModel(d);
    expect(Array.from(await m.embed(be, TEXTS, 'query'))).toEqual(Array.from(reference));
  });

  it('names the files and the tensor: a tensor in two shards, a missing shard, a truncated shard', async () => {
    const second = 'model-00002-of-00002.safetensors';
    const first = 'model-00001-of-00002.safetensors';
    const dup = whole.names[0];
    const twice = sharded('twice', 7, { [second]: [dup] });
    await expect(loadHfModel(twice)).rejects.toThrow(
      `${twice}/${second}: tensor "${dup}": is also in ${twice}/${first}`,
    );

    const missing = sharded('missing');
    rmSync(join(missing, second));
    await expect(loadHfModel(missing)).rejects.toThrow(
      `${missing}/${second}: missing (listed in ${missing}/${SHARD_INDEX})`,
    );

    const cut = sharded('cut');
    truncateSync(join(cut, second), readFileSync(join(cut, second)).length - 10);
    await expect(loadHfModel(cut)).rejects.toThrow(
      new RegExp(
        `^${cut}/${second}: tensor "[^"]+": data_offsets \\[\\d+, \\d+\\] run past the end of the data section .*truncated file`,
      ),
    );

    // the index places a tensor in a shard that does not hold it
    const moved = sharded('moved');
    const idx = JSON.parse(readFileSync(join(moved, SHARD_INDEX), 'utf8'));
    idx.weight_map[dup] = second;
    writeFileSync(join(moved, SHARD_INDEX), JSON.stringify(idx));
    await expect(loadHfModel(moved)).rejects.toThrow(
      `${moved}/${SHARD_INDEX}: tensor "${dup}": is listed in shard ${second} but found in ${moved}/${first}`,
    );
  });

  it('a file cut after its header was read fails at the tensor, naming file and tensor', async () => {
    const d = sharded('later');
    const m = await loadHfModel(d);
    const second = join(d, 'model-00002-of-00002.safetensors');
    truncateSync(second, 100);
    await expect((async () => m.embed(be, TEXTS, 'query'))()).rejects.toThrow(
      new RegExp(`^${second}: tensor "[^"]+": read \\d+ of bytes \\[\\d+, \\d+\\) \\(file truncated`),
    );
  });
});
