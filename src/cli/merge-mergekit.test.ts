/**
 * `stm merge` on safetensors checkpoints against tools/mergekit_ref.py, an independent numpy reference of
 * mergekit's rules: deterministic methods to 1e-5; DARE / DELLA by their keep-mask statistics (seeded
 * masks from another RNG cannot match element by element) and the L1 rescale rule.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSafetensors, writeSafetensors } from '../models/hf/safetensors';
import { Rng } from '../util/rng';
import { mergeCli } from '../testing/cli-merge';

const TOOL = join(process.cwd(), 'tools/mergekit_ref.py');
const probe = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
const numpy = probe.status === 0 ? probe.stdout.trim() : null;
const SKIP = numpy
  ? ''
  : ' — SKIPPED: python3 with numpy was not found (apt-get install python3-numpy; .ci/run installs it)';
if (!numpy) console.warn(`merge-mergekit.test.ts${SKIP}`);

const dir = mkdtempSync(join(tmpdir(), 'stm-mergekit-ref-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

function write(name: string, t: Tensors): string {
  const p = join(dir, name);
  writeFileSync(p, new Uint8Array(writeSafetensors(new Map(Object.entries(t)))));
  return p;
}

function read(path: string): Map<string, Float32Array> {
  const b = readFileSync(path);
  const t = parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, path);
  return new Map([...t].map(([k, v]) => [k, v.data]));
}

/** base ~ N(0, .5²); each expert = base + N(0, .3²) (+ a shared drift so signs sometimes agree) */
function models(shapes: Record<string, number[]>, experts: number, seed: number): string[] {
  const rng = new Rng(seed);
  const draw = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
  const base: Tensors = {};
  for (const [k, shape] of Object.entries(shapes))
    base[k] = {
      shape,
      data: draw(
        shape.reduce((a, b) => a * b, 1),
        0.5,
      ),
    };
  const drift = Object.fromEntries(Object.entries(base).map(([k, t]) => [k, draw(t.data.length, 0.2)]));
  const paths = [write(`base-${seed}.safetensors`, base)];
  for (let e = 0; e < experts; e++) {
    const t: Tensors = {};
    for (const [k, b] of Object.entries(base)) {
      const noise = draw(b.data.length, 0.3);
      t[k] = { shape: b.shape, data: b.data.map((x, j) => x + drift[k][j] + noise[j]) };
    }
    paths.push(write(`e${e}-${seed}.safetensors`, t));
  }
  return paths;
}

async function stm(argv: string[]): Promise<void> {
  await mergeCli(argv);
}

const python = (args: string[]) => execFileSync('python3', [TOOL, ...args], { encoding: 'utf8' });

/** a flag list without the unset ones */
const flags = (o: Record<string, string | undefined>) =>
  Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v]));

describe.skipIf(!numpy)(
  `stm merge vs an independent numpy reference of mergekit (issue 10, Done means)${SKIP}`,
  () => {
    const SHAPES = { 'layers.0.mlp.weight': [16, 24], 'layers.0.bias': [24], small: [7] };
    const [base, ...experts] = models(SHAPES, 3, 11);

    const cases: { method: string; n: number; o: Record<string, string | undefined> }[] = [
      { method: 'linear', n: 3, o: { weights: '0.5,0.3,0.2' } },
      { method: 'linear', n: 2, o: { weights: '0.5,0.25', normalize: 'false' } },
      { method: 'task_arithmetic', n: 3, o: { weights: '0.7,-0.3,0.5', lambda: '0.8' } },
      { method: 'ties', n: 3, o: { weights: '0.6,0.4,0.5', densities: '0.5,0.7,0.3' } },
      {
        method: 'ties',
        n: 3,
        o: { weights: '1,0.5,0.25', densities: '0.4', normalize: 'false', lambda: '1.2' },
      },
      { method: 'ties', n: 2, o: { weights: '0.5', densities: '0.6', rescale: 'true' } },
      // small: int(0.05·7) = 0 large entries dropped (mergekit's slice bug would zero it)
      { method: 'breadcrumbs', n: 3, o: { weights: '0.5,0.3,0.4', densities: '0.8', gamma: '0.05' } },
      { method: 'breadcrumbs_ties', n: 3, o: { weights: '0.5,0.8,0.4', densities: '0.6', gamma: '0.1' } },
      {
        method: 'breadcrumbs_ties',
        n: 2,
        o: { weights: '1,1', densities: '0.9', gamma: '0.2', normalize: 'true' },
      },
      { method: 'slerp', n: 1, o: { t: '0.3' } },
      { method: 'model_stock', n: 3, o: {} },
      { method: 'model_stock', n: 2, o: {} },
    ];

    it.each(cases.map((c, i) => ({ ...c, i })))('$method $o agrees to 1e-5', async ({ method, n, o, i }) => {
      const ours = join(dir, `ours-${i}.safetensors`);
      const ref = join(dir, `ref-${i}.safetensors`);
      const models = experts.slice(0, n).join(',');
      await stm(['--method', method, '--base', base, '--experts', models, ...flags(o), '--out', ours]);
      python(['merge', '--method', method, '--base', base, '--models', models, ...flags(o), '--out', ref]);
      const [a, b, b0] = [read(ours), read(ref), read(base)];
      expect([...a.keys()]).toEqual(Object.keys(SHAPES));
      let moved = 0;
      for (const [name, want] of b) {
        const got = a.get(name)!;
        expect(got.length).toBe(want.length);
        let worst = 0;
        for (let j = 0; j < want.length; j++) {
          worst = Math.max(worst, Math.abs(got[j] - want[j]));
          moved = Math.max(moved, Math.abs(want[j] - b0.get(name)![j]));
        }
        expect(worst, `${method} tensor ${name}`).toBeLessThanOrEqual(1e-5);
      }
      // the merge is not the base itself (a comparison that could not fail would prove nothing)
      expect(moved).toBeGreaterThan(0.05);
    });

    it('reads F16 and BF16 checkpoints as mergekit does (ties, output float32) to 1e-5', async () => {
      const conv = (path: string, dtype: 'F16' | 'BF16') => {
        const t = read(path);
        const shaped = new Map(
          Object.entries(SHAPES).map(([k, shape]) => [k, { shape, data: t.get(k)!, dtype }] as const),
        );
        const out = path.replace('.safetensors', `-${dtype}.safetensors`);
        writeFileSync(out, new Uint8Array(writeSafetensors(shaped)));
        return out;
      };
      const models = [conv(experts[0], 'BF16'), conv(experts[1], 'F16')].join(',');
      const half = conv(base, 'BF16');
      const [ours, ref] = [join(dir, 'ours-half.safetensors'), join(dir, 'ref-half.safetensors')];
      const o = { weights: '0.6,0.5', densities: '0.5' };
      await stm(['--method', 'ties', '--base', half, '--experts', models, ...flags(o), '--out', ours]);
      python(['merge', '--method', 'ties', '--base', half, '--models', models, ...flags(o), '--out', ref]);
      const [a, b] = [read(ours), read(ref)];
      for (const [name, want] of b)
        want.forEach((x, j) => expect(Math.abs(a.get(name)![j] - x), name).toBeLessThanOrEqual(1e-5));
    });

    it("per-layer values (mergekit's TIES example: gradients, filters, top-level fallbacks) agree to 1e-5", async () => {
      const LAYERED = {
        'model.embed_tokens.weight': [6, 5],
        'model.layers.0.mlp.weight': [8, 6],
        'model.layers.1.self_attn.weight': [8, 6],
        'model.layers.1.mlp.weight': [8, 6],
        'model.layers.2.mlp.weight': [8, 6],
        'model.layers.3.self_attn.weight': [8, 6],
        'model.norm.weight': [6],
      };
      const [b0, ...ex] = models(LAYERED, 3, 31);
      // the same settings as mergekit YAML (for stm) and as JSON (for the reference)
      const settings = {
        models: [
          { density: [1, 0.7, 0.1], weight: 1 },
          { density: 0.5, weight: [0, 0.3, 0.7, 1] },
          { density: [{ filter: 'self_attn', value: [0.2, 0.9] }], weight: [{ filter: 'mlp', value: 0.5 }] },
        ],
        parameters: { weight: 0.2, lambda: [{ filter: 'mlp', value: [1, 1.5] }, { value: 0.8 }] },
      };
      const yml = join(dir, 'layered.yml');
      writeFileSync(
        yml,
        [
          'merge_method: ties',
          `base_model: ${b0}`,
          'models:',
          ...ex.flatMap((m, i) => [
            `  - model: ${m}`,
            '    parameters:',
            ...Object.entries(settings.models[i]).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
          ]),
          'parameters:',
          ...Object.entries(settings.parameters).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
          '',
        ].join('\n'),
      );
      const [ours, ref] = [join(dir, 'ours-layered.safetensors'), join(dir, 'ref-layered.safetensors')];
      await stm(['--config', yml, '--out', ours]);
      python(
        ['merge', '--method', 'ties', '--base', b0, '--models', ex.join(','), '--out', ref].concat([
          '--settings',
          JSON.stringify(settings),
        ]),
      );
      const [a, b] = [read(ours), read(ref)];
      for (const [name, want] of b)
        want.forEach((x, j) => expect(Math.abs(a.get(name)![j] - x), name).toBeLessThanOrEqual(1e-5));
      // per-layer values change the result: the same recipe with plain values differs
      const plain = join(dir, 'ours-plain.safetensors');
      await stm([
        '--method',
        'ties',
        '--base',
        b0,
        '--experts',
        ex.join(','),
        '--weights',
        '1,0,0.2',
        '--densities',
        '1,0.5,1',
        '--out',
        plain,
      ]);
      const p = read(plain);
      const diff = Math.max(
        ...[...b].map(([n, w]) => Math.max(...w.map((x, j) => Math.abs(p.get(n)![j] - x)))),
      );
      expect(diff).toBeGreaterThan(0.01);
    });

    interface Stats {
      n: number;
      kept: number;
      expected: number;
      variance: number;
      moved_outside_delta: number;
      max_abs_error: number;
      l1_ratio: number;
      rank_quartiles?: { n: number; kept: number; expected: number; variance: number }[];
    }
    /** |kept − expected| within 5 binomial standard deviations (+1 for tiny tensors) */
    const withinBinomial = (s: { kept: number; expected: number; variance: number }, what: string) =>
      expect(Math.abs(s.kept - s.expected), what).toBeLessThanOrEqual(5 * Math.sqrt(s.variance) + 1);

    const BIG = { 'layers.0.mlp.weight': [64, 96], 'layers.0.bias': [500], small: [7] };
    const [bigBase, bigExpert] = models(BIG, 1, 23);

    const stochastic = [
      { method: 'dare_linear', o: { weights: '0.7', densities: '0.3', lambda: '1.3', seed: '5' } },
      { method: 'dare_ties', o: { weights: '1', densities: '0.6', seed: '9' } },
      { method: 'della', o: { weights: '0.8', densities: '0.5', epsilon: '0.2', seed: '3' } },
      {
        method: 'della_linear',
        o: { weights: '0.5', densities: '0.4', epsilon: '0.1', lambda: '0.9', seed: '1' },
      },
    ];

    it.each(stochastic.map((c, i) => ({ ...c, i })))(
      '$method $o: keep rates within binomial bounds, L1 rescale, mixing to 1e-5',
      async ({ method, o, i }) => {
        const ours = join(dir, `ours-s${i}.safetensors`);
        await stm([
          '--method',
          method,
          '--base',
          bigBase,
          '--experts',
          bigExpert,
          ...flags(o),
          '--out',
          ours,
        ]);
        const stats = JSON.parse(
          python(
            ['stats', '--method', method, '--base', bigBase, '--model', bigExpert, '--merged', ours].concat(
              flags({ weight: o.weights, density: o.densities, epsilon: o.epsilon, lambda: o.lambda }),
            ),
          ),
        ) as Record<string, Stats>;
        expect(Object.keys(stats).sort()).toEqual(Object.keys(BIG).sort());
        const density = Number(o.densities);
        for (const [name, s] of Object.entries(stats)) {
          const what = `${method} tensor ${name}`;
          expect(s.moved_outside_delta, what).toBe(0);
          withinBinomial(s, what);
          expect(s.max_abs_error, what).toBeLessThanOrEqual(1e-5);
          // rescale (on by default for DARE/DELLA): ‖sparsified δ‖₁ = ‖δ‖₁ — not the DARE paper's 1/density
          expect(Math.abs(s.l1_ratio - 1), what).toBeLessThanOrEqual(1e-5);
          if (s.n > 1000) expect(Math.abs(s.kept / s.n - density), what).toBeLessThan(0.05);
          if (method.startsWith('della')) {
            const q = s.rank_quartiles!;
            for (const [k, b] of q.entries()) withinBinomial(b, `${what} rank quartile ${k}`);
            if (s.n > 1000) {
              // the largest |δ| of each row are kept more often: p rises by 2ε across the ranks
              const eps = Number(o.epsilon);
              const rate = (b: (typeof q)[number]) => b.kept / b.n;
              expect(rate(q[3]) - rate(q[0]), what).toBeGreaterThan(eps);
            }
          }
        }
      },
    );
  },
);
