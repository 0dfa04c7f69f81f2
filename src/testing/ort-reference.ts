/**
 * Test-only: runs an ONNX model with onnxruntime-web (wasm EP, one thread) in Node and returns its
 * last_hidden_state (feature extraction) or logits (a causal LM). Parity tests compare the studio's engines
 * against this.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;

function int64Tensor(rows: readonly (readonly number[])[], name: string): ort.Tensor {
  const b = rows.length;
  const t = b ? rows[0].length : 0;
  const data = new BigInt64Array(b * t);
  rows.forEach((r, i) => {
    if (r.length !== t) throw new Error(`${name}: row ${i} has ${r.length} entries, row 0 has ${t}`);
    r.forEach((v, j) => (data[i * t + j] = BigInt(v)));
  });
  return new ort.Tensor('int64', data, [b, t]);
}

/** last_hidden_state [batch * seq * hidden] of modelDir/file (e.g. "onnx/model.onnx") */
export async function runOnnxLastHidden(
  modelDir: string,
  file: string,
  inputIds: number[][],
  attentionMask: number[][],
  tokenTypeIds?: number[][],
): Promise<Float32Array> {
  const bytes = await readFile(join(modelDir, file));
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64Tensor(inputIds, 'input_ids'),
      attention_mask: int64Tensor(attentionMask, 'attention_mask'),
    };
    if (session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = int64Tensor(
        tokenTypeIds ?? inputIds.map((r) => r.map(() => 0)),
        'token_type_ids',
      );
    }
    const out = await session.run(feeds);
    const t = out.last_hidden_state ?? out[session.outputNames[0]];
    return Float32Array.from(t.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** logits [seq * vocab] of one sequence through a causal LM graph (e.g. "onnx/model_lm.onnx") */
export async function runOnnxLogits(
  modelDir: string,
  file: string,
  ids: readonly number[],
): Promise<Float32Array> {
  return runOnnxLastHidden(modelDir, file, [[...ids]], [ids.map(() => 1)]);
}
