/**
 * Issue 8 item 3: a model whose weights overflow float32 (one weight 3e38, finite in the file) gave `null`
 * embeddings with exit 0. Now embedding, dense evaluation, training and the worker fail, naming the
 * model and the first layer whose output is not finite.
 */
import 'fake-indexeddb/auto';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli';
import { TINY_MODELS_DIR } from '../../scripts/make-tiny-models';
import { tinyBertWeights } from '../../scripts/onnx/tiny-bert';
import { encodeSafetensors } from '../../scripts/onnx/weights';
import { createCpuBackend } from '../gpu/cpu';
import { resolveModelNode } from '../experts/resolve-node';
import { nodeEngineDeps } from '../testing/engine-deps';
import { tinyModelFiles } from '../testing/tiny-model-files';
import { connectInProcess } from '../worker/local';
import { NonFiniteError } from './finite';

const BAD = 'encoder.layer.0.intermediate.dense.weight';

/** tiny-bert's safetensors with the first row of BAD set to 3e38 (finite in the file, overflowing any input) */
function overflowingWeights(): Uint8Array<ArrayBuffer> {
  const ws = tinyBertWeights();
  const t = ws.map.get(BAD)!;
  t.data.fill(3e38, 0, t.shape[1]);
  return new Uint8Array(encodeSafetensors(ws.map));
}

/** a copy of the tiny-bert folder with the overflowing weights */
function overflowFolder(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'stm-overflow-')), 'tiny-bert-overflow');
  mkdirSync(dir);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
    copyFileSync(join(TINY_MODELS_DIR, 'tiny-bert', f), join(dir, f));
  writeFileSync(join(dir, 'model.safetensors'), overflowingWeights());
  return dir;
}

const TEXTS = ['the heart pumps blood', 'kidney stones cause pain'];

describe('non-finite embeddings (issue 8 item 3)', () => {
  const folder = overflowFolder();
  const layerOf =
    /the first non-finite activation is the output of encoder\.layer\.0\.intermediate\.dense \(its weights\)/;

  it('embedding names the model and the layer', async () => {
    const model = await resolveModelNode(folder, () => undefined);
    const err = await model.embed(createCpuBackend(), TEXTS, 'passage').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteError);
    const e = err as NonFiniteError;
    expect(e.model).toBe(model.id);
    expect(e.text).toBeGreaterThanOrEqual(0);
    expect(e.message).toMatch(layerOf);
    // the unmodified model embeds finitely (the check does not fire on a healthy model)
    const ok = await resolveModelNode(join(TINY_MODELS_DIR, 'tiny-bert'), () => undefined);
    const v = await ok.embed(createCpuBackend(), TEXTS, 'passage');
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('stm embed and stm eval exit 1 with the message instead of printing null', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-overflow-cli-'));
    writeFileSync(join(dir, 'texts.txt'), TEXTS.join('\n') + '\n');
    const e = await runCli(['embed', '--model', folder, '--backend', 'cpu', '--input', join(dir, 'texts.txt'), '--json']);
    expect(e.code).toBe(1);
    expect(e.stdout).not.toMatch(/null/);
    expect(e.stderr).toMatch(/model ".*tiny-bert-overflow.*" gives a non-finite \(NaN or infinite\) embedding for text 1/);
    expect(e.stderr).toMatch(layerOf);
    const ev = await runCli(['eval', '--dataset', 'demo', '--model', folder, '--backend', 'cpu', '--json']);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toMatch(layerOf);
    expect(ev.stderr).toMatch(/embedding for document "\w+"/);
    expect(ev.stdout).not.toMatch(/ndcg/);
  }, 120_000); // prettier-ignore

  it('stm train stops naming the model and layer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-overflow-train-'));
    const pairs = Array.from({ length: 8 }, (_, i) => JSON.stringify({ query: `q ${i} heart`, positive: `doc ${i} blood` }));
    writeFileSync(join(dir, 'pairs.jsonl'), pairs.join('\n') + '\n');
    const args = ['train', '--base', folder, '--train', join(dir, 'pairs.jsonl'), '--method', 'lora', '--negatives', 'none'];
    const t = await runCli([...args, '--steps', '1', '--batch', '4', '--backend', 'cpu', '--out', join(dir, 'out')]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(layerOf);
  }, 120_000); // prettier-ignore

  it('the worker answers an evaluation with an error event naming the model and layer', async () => {
    const deps = nodeEngineDeps(`finite-${Date.now()}`);
    const { client } = connectInProcess(deps);
    await client.request('init', { baseUrl: 'http://localhost/', backend: 'cpu' });
    const files = tinyModelFiles('tiny-bert', [], { 'model.safetensors': overflowingWeights() });
    const entry = await client.request('import-model', { files });
    await client.request('load-demo', {});
    const run = client.request('evaluate', { dataset: 'demo', split: 'test', retriever: { model: entry.id }, backend: 'cpu' });
    await expect(run).rejects.toThrow(layerOf);
    await expect(run).rejects.toThrow(new RegExp(`model "${entry.id}"`));
  }, 120_000); // prettier-ignore
});
