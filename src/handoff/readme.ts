/** README.md of a hand-off project: what each file is and how to run it on one GPU or many. */
import { MERGE_PINS, PINS } from './versions';
import type { HandoffSettings, HandoffTask } from './spec';

export interface ReadmeParts {
  /** the top-level run's pairs (null: a merge, trained in experts/<name>/) */
  pairs: number | null;
  /** a merge's expert folders (empty: no merge) */
  merge: readonly string[];
  tasks: readonly HandoffTask[];
}

export function projectReadme(s: HandoffSettings, parts: ReadmeParts): string {
  const pins = PINS.map(([n, v]) => `${n} ${v}`).join(', ');
  const lines = [
    `# ${s.expertName}: hand-off from STM Studio`,
    '',
    `The recipe of the studio's expert, to train at scale with sentence-transformers + PEFT on \`${s.baseModel}\``,
    `(the studio trained it over \`${s.studioBase}\`${s.studioMethod === 'adapter' ? ` as an embedding-space adapter, which PEFT has no form of: here it is LoRA with the run's LoRA settings, r ${s.rank} and alpha ${s.alpha}` : ''}).`,
    '',
    '| file | what |',
    '| --- | --- |',
    `| \`train.py\` | LoRA r ${s.rank}, alpha ${s.alpha}, dropout ${s.dropout}; InfoNCE (MultipleNegativesRankingLoss${s.symmetric ? ', symmetric' : ''}) scale ${s.scale} (τ = ${+(1 / s.scale).toPrecision(3)}), ${s.hardNegatives} hard negative(s) + in-batch; AdamW lr ${s.lr}, batch ${s.batchSize}, ${s.steps} steps, warm-up ${s.warmupSteps}, clipping ${s.maxGradNorm || 'off'} |`,
    ...(parts.pairs !== null
      ? [`| \`data/train.jsonl\` | ${parts.pairs} training pairs \`{query, positive, negatives}\` |`]
      : parts.merge.map((f) => `| \`${f}/\` | train.py + data/train.jsonl of one merged expert |`)),
    `| \`evaluate.py\` | MTEB retrieval (nDCG@10, MAP@100, Recall@100, MRR@10 …) on ${parts.tasks.length ? parts.tasks.map((t) => `${t.name} (${t.split})`).join(', ') : 'the BEIR folders you pass with --task'} |`,
    ...(parts.merge.length
      ? ['| `merge.yml` | the mergekit recipe of the merge (`requirements-merge.txt`) |']
      : []),
    `| \`requirements.txt\` | ${pins} |`,
    '',
    '## Setup',
    '',
    '```sh',
    'python -m venv .venv && . .venv/bin/activate',
    'pip install -r requirements.txt',
    '```',
    '',
    '## Train on one GPU',
    '',
    '```sh',
    'accelerate launch train.py            # or: python train.py',
    '```',
    '',
    '## Train on many GPUs (N on one machine)',
    '',
    '```sh',
    'accelerate launch --multi_gpu --num_processes N train.py',
    'torchrun --nproc_per_node N train.py',
    '```',
    '',
    `Each process takes batches of ${s.batchSize} pairs (the studio's batch, so each query's softmax has the same`,
    'negatives); an optimiser step then sees N× the pairs, and the steps are divided by N so the run covers the',
    'same pairs (`--max-steps` overrides). `--bf16` halves the memory on recent GPUs. The adapter is written to',
    '`output/final` (a sentence-transformers folder with the PEFT `adapter_config.json` + `adapter_model.safetensors`).',
    '',
    '## Evaluate',
    '',
    '```sh',
    'python evaluate.py                                    # the trained adapter',
    `python evaluate.py --model ${s.baseModel} --output results-base   # the base`,
    '```',
    '',
    parts.tasks.length
      ? `The tasks' folders are in \`TASKS\` at the top of evaluate.py; copy the BEIR folders there or pass \`--task name=folder:split\`.`
      : 'Pass each BEIR folder with `--task name=folder:split`.',
    `Queries are embedded as \`${JSON.stringify(s.evalQueryTemplate)}\`, documents as \`${JSON.stringify(s.passageTemplate)}\`.`,
    ...(parts.merge.length
      ? [
          '',
          '## Merge',
          '',
          'Train each merged expert in its folder and write base + LoRA as a full model where `merge.yml` names it,',
          'then merge in a separate environment:',
          '',
          '```sh',
          ...parts.merge.map((f) => `(cd ${f} && accelerate launch train.py --save-merged merged)`),
          `pip install ${MERGE_PINS.map(([n, v]) => `${n}==${v}`).join(' ')}`,
          'mergekit-yaml merge.yml merged/',
          'python evaluate.py --model merged/',
          '```',
        ]
      : []),
    ...(s.droppedModules.length
      ? [
          '',
          `Note: the studio's modules ${s.droppedModules.join(', ')} have no Hugging Face counterpart and are not adapted.`,
        ]
      : []),
    ...(s.fusedModules.length
      ? [
          '',
          `Note: target_modules also names the fused modules of row slices (${s.fusedModules.join(', ')}): on a model with fused projections (Phi-3's qkv_proj, gate_up_proj) PEFT adapts the whole fused matrix, where the studio adapts the slice's rows only; on other models the added names match nothing.`,
        ]
      : []),
    '',
  ];
  return lines.join('\n');
}
