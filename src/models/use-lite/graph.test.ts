import { describe, expect, it } from 'vitest';
import { nodeAssetFetcher } from '../node-assets';
import { GraphFormatError, parseModelJson, readGraph, shardPaths } from './graph';
import { USE_LITE_DIR } from './model';
import { readUseLiteWeights } from './weights';

/** a tiny graph-model: w [2,3] f32 and n [] i32, split over two shards */
function tiny(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder' },
        { name: 'y', op: 'MatMul', input: ['x', 'w'] },
      ],
    },
    weightsManifest: [
      {
        paths: ['s1', 's2'],
        weights: [
          { name: 'w', shape: [2, 3], dtype: 'float32' },
          { name: 'n', shape: [], dtype: 'int32' },
        ],
      },
    ],
    ...overrides,
  });
}

function shards(): ArrayBuffer[] {
  const all = new ArrayBuffer(28);
  new Float32Array(all, 0, 6).set([1, 2, 3, 4, 5, 6]);
  new Int32Array(all, 24, 1)[0] = 7;
  return [all.slice(0, 10), all.slice(10)]; // a tensor straddles the shard boundary
}

describe('TF.js graph reader', () => {
  it('reads nodes and slices tensors across shards in manifest order', () => {
    const m = parseModelJson(tiny());
    expect(shardPaths(m)).toEqual(['s1', 's2']);
    const g = readGraph(m, shards());
    expect([...g.f32('w', [2, 3])]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(g.scalar('n', 'int32')).toBe(7);
    expect(g.node('y', 'MatMul', ['x', 'w']).inputs).toEqual(['x', 'w']);
  });

  it('names the tensor or node on every mismatch', () => {
    const g = readGraph(parseModelJson(tiny(), 'm.json'), shards(), 'm.json');
    expect(() => g.f32('w', [3, 2])).toThrow(/m\.json: tensor "w" has shape \[2,3\], expected \[3,2\]/);
    expect(() => g.tensor('n', [], 'float32')).toThrow(/tensor "n" is int32, expected float32/);
    expect(() => g.f32('missing', [1])).toThrow(/tensor "missing" is missing/);
    expect(() => g.node('y', 'Add')).toThrow(/node "y" is MatMul, expected Add/);
    expect(() => g.node('y', 'MatMul', ['w', 'x'])).toThrow(/node "y" reads \[x, w\]/);
    expect(() => g.node('z', 'Relu')).toThrow(GraphFormatError);
  });

  it('rejects truncated or oversized shards and a wrong shard count', () => {
    const m = parseModelJson(tiny(), 'm.json');
    const [a, b] = shards();
    expect(() => readGraph(m, [a, b.slice(0, 16)], 'm.json')).toThrow(
      /tensor "n" needs bytes 24\.\.28 .* hold only 26 bytes/,
    );
    expect(() => readGraph(m, [a, new ArrayBuffer(22)], 'm.json')).toThrow(
      /hold 32 bytes, the manifest accounts for 28/,
    );
    expect(() => readGraph(m, [a], 'm.json')).toThrow(/1 shard buffers given, the manifest lists 2/);
  });

  it('rejects malformed model.json', () => {
    const bad = (o: Record<string, unknown>) => () => parseModelJson(tiny(o), 'm.json');
    expect(() => parseModelJson('{', 'm.json')).toThrow(/m\.json: not valid JSON/);
    expect(bad({ modelTopology: {} })).toThrow(/modelTopology\.node is missing/);
    expect(bad({ weightsManifest: [] })).toThrow(/weightsManifest is missing or empty/);
    const w = (spec: Record<string, unknown>) => ({ weightsManifest: [{ paths: ['s1'], weights: [spec] }] });
    expect(bad(w({ name: 'h', shape: [2], dtype: 'float16' }))).toThrow(
      /tensor "h": dtype "float16" is not supported/,
    );
    expect(bad(w({ name: 'h', shape: [2, -1], dtype: 'float32' }))).toThrow(/tensor "h": shape \[2,-1\]/);
    expect(bad(w({ name: 'q', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8' } }))).toThrow(
      /"q": quantised/,
    );
    expect(bad({ weightsManifest: [{ paths: ['../x'], weights: [] }] })).toThrow(/bad shard path "\.\.\/x"/);
    const twice = { name: 'd', shape: [1], dtype: 'float32' };
    expect(bad({ weightsManifest: [{ paths: ['s'], weights: [twice, twice] }] })).toThrow(
      /tensor "d" is listed twice/,
    );
  });
});

describe('USE-lite graph (real weights)', () => {
  it('has the structure and constants the forward pass assumes', async () => {
    const fetch = nodeAssetFetcher();
    const text = new TextDecoder().decode(await fetch(`${USE_LITE_DIR}/model.json`));
    const model = parseModelJson(text);
    const g = readGraph(
      model,
      await Promise.all(shardPaths(model).map((p) => fetch(`${USE_LITE_DIR}/${p}`))),
    );
    const w = readUseLiteWeights(g);
    expect([w.vocabRows, w.embDim, w.outDim, w.maxLength]).toEqual([8002, 256, 512, 128]);
    expect(w.lnEps).toBeCloseTo(1e-6, 12);
    expect(w.minTimescale).toBeCloseTo(1, 5);
    expect(w.maxTimescale).toBeCloseTo(1e4, 0);
    expect(w.layers.map((L) => [L.dIn, L.dModel, L.dFf, L.heads, L.residual !== null])).toEqual([
      [256, 512, 1536, 4, true],
      [512, 512, 1536, 4, false],
    ]);
    expect(w.layers[0].qScale).toBeCloseTo(1 / Math.sqrt(64), 7);
    expect(w.layers[1].qScale).toBeCloseTo(1 / Math.sqrt(128), 7);
    // the fused qkv kernel [1,1,256,768] was split by columns: row 1 of k starts at element 768 + 256
    const qkv = g.f32(
      'module/Encoder_en/KonaTransformer/Encode/Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0',
      [1, 1, 256, 768],
    );
    expect(w.layers[0].wk[256]).toBe(qkv[768 + 256]);
    expect(w.layers[0].wv[256 + 5]).toBe(qkv[768 + 512 + 5]);
  });
});
