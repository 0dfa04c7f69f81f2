/**
 * The hand-off project of a real expert config, checked with Python: the scripts parse (ast), train.py's
 * pairs reader puts the queries under the expert's instructions, evaluate.py reads a real BEIR folder under
 * its templates, merge.yml loads with PyYAML, requirements pin the versions the scripts are written for.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExpertRecord } from '../experts/record';
import { defaultTrainConfig } from '../train/defaults';
import { handoffProject } from './project';
import { HandoffError } from './spec';
import { PINS } from './versions';
import { crc32, zipStore } from '../util/zip';

const dir = mkdtempSync(join(tmpdir(), 'stm-handoff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MED = resolve('../shared/datasets/med');

function python(code: string, cwd: string): string {
  const r = spawnSync('python3', ['-c', code], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function write(files: Map<string, string>, name: string): string {
  const out = join(dir, name);
  for (const [f, text] of files) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    writeFileSync(join(out, f), text);
  }
  return out;
}

/** A LoRA expert as stm train writes it over a Hugging Face BERT model, every setting off its default. */
function record(over: Partial<ExpertRecord> = {}): ExpertRecord {
  const config = {
    ...defaultTrainConfig('lora'),
    lora: { rank: 8, alpha: 24, dropout: 0.05, targetModules: ['query', 'value'] },
    lr: 3e-4,
    batchSize: 12,
    scale: 33,
    symmetric: true,
    hardNegatives: 2,
    maxGradNorm: 0.5,
    steps: 700,
    warmupSteps: 100,
    seed: 7,
    prompts: {
      kind: 'gp' as const,
      format: '{instruction}\nQuery: {text}',
      instructions: ['Find the abstract that answers the medical question', 'Retrieve the relevant study'],
    },
  };
  return {
    id: 'e1',
    name: 'med "lora" expert',
    baseModel: 'BAAI/bge-small-en-v1.5',
    method: 'lora',
    config,
    data: { source: 'pairs.jsonl', pairs: 3, negatives: 'mined:2' },
    templates: { query: '{text}', passage: '{title}\n{text}' },
    createdAt: new Date(0).toISOString(),
    history: [],
    prompts: config.prompts,
    ...over,
  };
}

const pairs = [
  { query: 'lens proteins', positive: 'crystallins of the "lens"', negatives: ['retina', 'cornea', 'iris'] },
  { query: 'fetal glucose', positive: 'maternal and fetal plasma', negatives: ['adult \\ insulin', 'liver'] },
  { query: 'ü-umlaut query', positive: 'naïve text', negatives: ['n1', 'n2'] },
];
const task = { name: 'med', path: MED, split: 'test' };

describe('handoffProject', () => {
  it("writes train.py with the expert's settings, its pairs, an MTEB evaluate.py, and pinned requirements", () => {
    const files = handoffProject({ expert: { record: record(), pairs }, tasks: [task] });
    expect([...files.keys()].sort()).toEqual(
      ['README.md', 'data/train.jsonl', 'evaluate.py', 'requirements.txt', 'train.py'].sort(),
    );
    const out = write(files, 'one');
    const got = JSON.parse(
      python(
        `import ast, json, train, evaluate
for f in ("train.py", "evaluate.py"): ast.parse(open(f).read())
rows = [json.loads(l) for l in open("data/train.jsonl")]
cols = train.read_pairs("data/train.jsonl", train.CONFIG["hard_negatives"], train.CONFIG["seed"])
corpus, queries, qrels = evaluate.load_beir(evaluate.TASKS[0]["path"], evaluate.TASKS[0]["split"])
print(json.dumps({"config": train.CONFIG, "rows": rows, "cols": cols, "q": queries["1"],
  "docs": len(corpus), "qrels": len(qrels), "qt": evaluate.QUERY_TEMPLATE}))`,
        out,
      ),
    ) as Record<string, never>;
    const c = got.config as Record<string, unknown>;
    // the expert's own settings, not defaults
    expect(c).toMatchObject({
      base_model: 'BAAI/bge-small-en-v1.5',
      lora_r: 8,
      lora_alpha: 24,
      lora_dropout: 0.05,
      target_modules: ['query', 'value'],
      learning_rate: 3e-4,
      batch_size: 12,
      scale: 33,
      symmetric: true,
      hard_negatives: 2,
      max_grad_norm: 0.5,
      max_steps: 700,
      warmup_steps: 70, // the studio's cap: 10% of the steps
      seed: 7,
      prompt_kind: 'gp',
    });
    expect(got.rows).toEqual(pairs);
    const cols = got.cols as Record<string, string[]>;
    expect(Object.keys(cols)).toEqual(['anchor', 'positive', 'negative_1', 'negative_2']);
    for (const [i, a] of cols.anchor.entries()) {
      expect(a).toMatch(
        /^(Find the abstract that answers the medical question|Retrieve the relevant study)\nQuery: /,
      );
      expect(a.endsWith(pairs[i].query)).toBe(true);
    }
    expect(cols.positive[0]).toBe('crystallins of the "lens"');
    expect(cols.negative_2[1]).toBe('liver');
    // evaluation: the default instruction (the policy's first) on the real med queries
    expect(got.qt).toBe('Find the abstract that answers the medical question\nQuery: {text}');
    expect(got.q).toBe(
      'Find the abstract that answers the medical question\nQuery: the crystalline lens in vertebrates, including humans.',
    );
    expect([got.docs, got.qrels]).toEqual([1033, 30]);
    const train = files.get('train.py')!;
    expect(train).toContain('losses.MultipleNegativesSymmetricRankingLoss(model, scale=CONFIG["scale"])');
    expect(train).toContain('max_grad_norm=CONFIG["max_grad_norm"]');
    const req = files
      .get('requirements.txt')!
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(req).toEqual(PINS.map(([n, v]) => `${n}==${v}`));
    for (const n of [
      'sentence-transformers',
      'peft',
      'transformers',
      'torch',
      'accelerate',
      'mteb',
      'datasets',
    ])
      expect(req.some((l) => new RegExp(`^${n}==\\d+\\.\\d+\\.\\d+$`).test(l))).toBe(true);
  });

  it('a chosen instruction, a plain run and USE-lite module names reach the scripts', () => {
    const plain = record({
      baseModel: 'use-lite',
      prompts: undefined,
      instruction: 'Which abstract answers this?',
      config: {
        ...record().config,
        prompts: undefined,
        symmetric: false,
        lora: {
          rank: 4,
          alpha: 4,
          dropout: 0,
          targetModules: ['encoder.layers.0.attention.query', 'ffn.conv2'],
        },
      },
    });
    expect(() => handoffProject({ expert: { record: plain, pairs }, tasks: [] })).toThrow(HandoffError);
    const files = handoffProject({ expert: { record: plain, pairs }, base: 'bert-base-uncased', tasks: [] });
    const got = JSON.parse(
      python(
        `import json, re, train, evaluate
cols = train.read_pairs("data/train.jsonl", 2, 1)
t = train.CONFIG["target_modules"]
names = ["encoder.layer.0.attention.self.query", "encoder.layer.1.attention.self.query",
  "encoder.layer.3.output.dense", "encoder.layer.3.attention.output.dense", "model.layers.5.mlp.down_proj"]
print(json.dumps({"a": cols["anchor"][0], "qt": evaluate.QUERY_TEMPLATE, "hit": [bool(re.fullmatch(t, n)) for n in names]}))`,
        write(files, 'plain'),
      ),
    ) as { a: string; qt: string; hit: boolean[] };
    expect(got.a).toBe('lens proteins');
    expect(got.qt).toBe('Which abstract answers this?\nQuery: {text}');
    expect(got.hit).toEqual([true, false, true, false, true]);
    expect(files.get('train.py')).toContain(
      'losses.MultipleNegativesRankingLoss(model, scale=CONFIG["scale"])',
    );
  });

  it('a merge: merge.yml loads in PyYAML with one experts/<name>/ project per merged expert', () => {
    const a = record({ id: 'a', name: 'med expert' });
    const b = record({ id: 'b', name: 'cran expert' });
    const merged = record({
      id: 'm',
      name: 'merged',
      merge: {
        method: 'ties',
        baseModel: 'BAAI/bge-small-en-v1.5',
        experts: [
          { id: 'a', name: 'med expert', params: { weight: 0.7, density: 0.5 } },
          { id: 'b', name: 'cran expert', params: { weight: 0.3, density: 0.5 } },
        ],
        options: { normalize: true },
      },
    });
    const files = handoffProject({
      expert: { record: merged, pairs: [] },
      merge: {
        experts: [
          { record: a, pairs },
          { record: b, pairs: pairs.slice(0, 2) },
        ],
      },
      tasks: [task],
    });
    expect(files.has('train.py')).toBe(false);
    const out = write(files, 'merge');
    const y = JSON.parse(
      python(
        `import json, yaml
y = yaml.safe_load(open("merge.yml"))
n = [len(open(f"experts/{e}/data/train.jsonl").read().splitlines()) for e in ("med-expert", "cran-expert")]
print(json.dumps({"y": y, "n": n}))`,
        out,
      ),
    ) as { y: Record<string, unknown>; n: number[] };
    expect(y.y).toMatchObject({
      merge_method: 'ties',
      base_model: 'BAAI/bge-small-en-v1.5',
      models: [
        { model: 'experts/med-expert/merged', parameters: { weight: 0.7, density: 0.5 } },
        { model: 'experts/cran-expert/merged', parameters: { weight: 0.3, density: 0.5 } },
      ],
    });
    expect(y.n).toEqual([3, 2]);
    expect(files.get('README.md')).toContain(
      '(cd experts/med-expert && accelerate launch train.py --save-merged merged)',
    );
    expect(() =>
      handoffProject({ expert: { record: merged, pairs: [] }, merge: { experts: [] }, tasks: [] }),
    ).toThrow(/2 experts .*0 of them found/);
  });

  it('zipStore writes an archive Python reads back byte for byte', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const files = handoffProject({ expert: { record: record(), pairs }, tasks: [task] });
    const zip = join(dir, 'p.zip');
    writeFileSync(zip, zipStore(files));
    const got = JSON.parse(
      python(
        `import json, zipfile
z = zipfile.ZipFile(${JSON.stringify(zip)})
assert z.testzip() is None
print(json.dumps({n: z.read(n).decode("utf-8") for n in z.namelist()}))`,
        dir,
      ),
    ) as Record<string, string>;
    expect(got).toEqual(Object.fromEntries(files));
  });
});
