/** `stm handoff`'s options. */
import { parseArgs } from 'node:util';
import { UsageError } from './args';

export const HANDOFF_USAGE = `  handoff export an expert's recipe as a runnable Python project (sentence-transformers + PEFT train.py,
          pairs JSONL, MTEB evaluate.py, mergekit merge.yml, pinned requirements.txt, README)
          <expert>                  an expert folder, its expert.json, or a stm train --out folder with a checkpoint
          --out <dir>               a new or empty folder for the project
          --base <hub id|folder>    the model Python trains (default the expert's base; required when that
                                    is a studio built-in such as use-lite)
          --pairs <jsonl>           the training pairs {query, positive, negatives} (default the expert's
                                    recorded source, when it is a pairs file on this machine)
          --merge <recipe.yml>      a mergekit recipe whose models are expert folders: merge.yml and one
                                    experts/<name>/ project per merged expert
          --task <name=dir[:split]> a BEIR folder evaluate.py scores (repeatable; default split test;
                                    default the expert's BEIR source, when it has a test split)`;

export interface HandoffArgs {
  expert: string;
  out: string;
  base?: string;
  pairs?: string;
  merge?: string;
  tasks: { name: string; path: string; split: string }[];
}

export function parseTask(spec: string): { name: string; path: string; split: string } {
  const m = /^([^=]+)=(.+?)(?::([^:/\\]+))?$/.exec(spec);
  if (!m)
    throw new UsageError(
      `--task ${spec}: expected name=folder[:split], e.g. med=../shared/datasets/med:test`,
    );
  return { name: m[1], path: m[2], split: m[3] ?? 'test' };
}

export function parseHandoffArgs(argv: string[]): HandoffArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        base: { type: 'string' },
        pairs: { type: 'string' },
        merge: { type: 'string' },
        task: { type: 'string', multiple: true },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(
      `stm handoff takes one expert (a folder, expert.json or checkpoint folder), got ${positionals.length}`,
    );
  if (!v.out) throw new UsageError('stm handoff needs --out <dir>');
  return {
    expert: positionals[0],
    out: v.out,
    ...(v.base ? { base: v.base } : {}),
    ...(v.pairs ? { pairs: v.pairs } : {}),
    ...(v.merge ? { merge: v.merge } : {}),
    tasks: (v.task ?? []).map(parseTask),
  };
}
