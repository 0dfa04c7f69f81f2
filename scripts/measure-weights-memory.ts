/**
 * Peak memory while loading a sharded checkpoint (issue 13 item 2): not a test. Writes a Qwen3-shaped
 * random checkpoint (~370 MB f32, 4 shards + index) to a folder, then, in a fresh process per run, loads
 * it with the studio's loader from a source tree (this one, or e.g. /work/main for the old packing path)
 * and reads every tensor (`read`) or uploads the model to WebGPU (`webgpu`), printing peak RSS (VmHWM)
 * and the JS heap + ArrayBuffers after loading (`webgpu-f16`: the linears uploaded as f16).
 *
 *   npx tsx scripts/measure-weights-memory.ts make /tmp/stm-big
 *   npx tsx scripts/measure-weights-memory.ts run /tmp/stm-big read|webgpu|webgpu-f16 [source-root]
 */
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = resolve(import.meta.dirname, '..');
const TINY = join(here, 'test-assets', 'tiny-models', 'tiny-qwen3');
const CFG = { hidden: 1024, inter: 3072, layers: 6, vocab: 16000, heads: 16, kv: 8, hd: 64 };

function tensors(): { name: string; shape: number[] }[] {
  const { hidden: H, inter: I, layers, vocab: V, heads, kv, hd } = CFG;
  const out = [
    { name: 'model.embed_tokens.weight', shape: [V, H] },
    { name: 'model.norm.weight', shape: [H] },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [H] },
      { name: `${p}post_attention_layernorm.weight`, shape: [H] },
      { name: `${p}self_attn.q_proj.weight`, shape: [heads * hd, H] },
      { name: `${p}self_attn.k_proj.weight`, shape: [kv * hd, H] },
      { name: `${p}self_attn.v_proj.weight`, shape: [kv * hd, H] },
      { name: `${p}self_attn.o_proj.weight`, shape: [H, heads * hd] },
      { name: `${p}self_attn.q_norm.weight`, shape: [hd] },
      { name: `${p}self_attn.k_norm.weight`, shape: [hd] },
      { name: `${p}mlp.gate_proj.weight`, shape: [I, H] },
      { name: `${p}mlp.up_proj.weight`, shape: [I, H] },
      { name: `${p}mlp.down_proj.weight`, shape: [H, I] },
    );
  }
  return out;
}

async function make(dir: string): Promise<void> {
  const { safetensorsHeader } = await import(pathToFileURL(join(here, 'src/models/hf/safetensors.ts')).href);
  mkdirSync(dir, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(TINY, f), join(dir, f));
  const cfg = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'));
  Object.assign(cfg, {
    vocab_size: CFG.vocab,
    hidden_size: CFG.hidden,
    intermediate_size: CFG.inter,
    num_hidden_layers: CFG.layers,
    num_attention_heads: CFG.heads,
    num_key_value_heads: CFG.kv,
    head_dim: CFG.hd,
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  const all = tensors();
  const shards: (typeof all)[] = [[], [], [], []];
  let bytes = 0;
  const total = all.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1) * 4, 0);
  for (const t of all) {
    shards[Math.min(3, Math.floor((bytes / total) * 4))].push(t);
    bytes += t.shape.reduce((a, b) => a * b, 1) * 4;
  }
  const weightMap: Record<string, string> = {};
  let seed = 12345;
  shards.forEach((part, k) => {
    const file = `model-0000${k + 1}-of-00004.safetensors`;
    const { head } = safetensorsHeader(part);
    const fd = openSync(join(dir, file), 'w');
    writeSync(fd, head);
    for (const t of part) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      const norm = t.shape.length === 1;
      for (let i = 0; i < n; i++) {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        data[i] = norm ? 1 : ((seed / 2 ** 32) * 2 - 1) * 0.05;
      }
      writeSync(fd, new Uint8Array(data.buffer));
      weightMap[t.name] = file;
    }
    closeSync(fd);
  });
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }),
  );
  console.log(`${dir}: ${(total / 2 ** 20).toFixed(0)} MiB in 4 shards`);
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

async function run(dir: string, mode: string, root: string): Promise<void> {
  const base = process.memoryUsage().rss;
  const { loadHfModel } = await import(pathToFileURL(join(root, 'src/models/hf/load.ts')).href);
  let backend: { destroy(): void } | null = null;
  if (mode.startsWith('webgpu')) {
    const { createWebGPUBackend } = await import(pathToFileURL(join(root, 'src/gpu/webgpu.ts')).href);
    backend = await createWebGPUBackend();
  }
  const afterDevice = hwm();
  const t0 = performance.now();
  const model = await loadHfModel(dir, { weightFormat: mode === 'webgpu-f16' ? 'f16' : 'f32' });
  const m = process.memoryUsage();
  const loaded = `after load: heap ${mib(m.heapUsed)}, ArrayBuffers ${mib(m.arrayBuffers)}, rss ${mib(m.rss)}`;
  if (mode === 'read') {
    const src = model.weightFile.src;
    for (const n of src.names) src.get(n);
  } else {
    model.model.on(backend);
    await (backend as unknown as { flush(): Promise<void> }).flush();
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${root} ${mode}: ${loaded}; peak RSS ${mib(hwm())} (start ${mib(base)}, with device ${mib(afterDevice)}); ${s} s`,
  );
  backend?.destroy();
}

const [cmd, dir, mode, root] = process.argv.slice(2);
if (cmd === 'make') await make(dir);
else if (cmd === 'run') await run(dir, mode ?? 'read', resolve(root ?? here));
else console.log('usage: make <dir> | run <dir> read|webgpu|webgpu-f16 [source-root]');
