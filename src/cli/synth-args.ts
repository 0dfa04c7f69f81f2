/** `stm synth`'s options: the pseudo-query settings, mining, and the LLM writer (src/cli/synth-llm.ts). */
import { num, oneOf, strictOptions, UsageError } from './args';
import { LLM_OPTIONS, parseLlmArgs, refuseKeyOnArgv, type LlmArgs, type LlmOptionValues } from './synth-llm';

export interface SynthArgs {
  dataset: string;
  method: 'ict' | 'title' | 'llm';
  perDoc: number;
  queryWords: { min: number; max: number };
  minDocWords: number;
  /** llm: one mined negative, then one written by the LLM from it (the paper's prompt) */
  negatives: { kind: 'mined'; n: number } | { kind: 'none' } | { kind: 'llm' };
  model: string;
  mineRange: [number, number];
  /** who writes for --method llm / --negatives llm: an endpoint, or a decoder run here (--generator) */
  writer: { kind: 'endpoint'; llm: LlmArgs } | { kind: 'local'; source: string; temperature: number } | null;
  backend: 'auto' | 'cpu' | 'webgpu';
  seed: number;
  out: string;
  json: boolean;
}

export type LlmWriterArgs = SynthArgs['writer'];

/** The LLM writer the options name: one of --endpoint (with its options) or --generator; null: none. */
export function llmWriterArgs(v: LlmOptionValues): LlmWriterArgs {
  const source = v.generator;
  if (source !== undefined) {
    if (!source.trim()) throw new UsageError('--generator needs a model folder or a hub id (org/name)');
    const endpointOnly = (Object.keys(LLM_OPTIONS) as (keyof LlmOptionValues)[]).find(
      (k) => k !== 'generator' && k !== 'temperature' && v[k] !== undefined,
    );
    if (endpointOnly)
      throw new UsageError(
        `--${endpointOnly} goes with --endpoint; --generator runs the model here: give one of the two`,
      );
  }
  const llm = source === undefined ? parseLlmArgs(v) : null;
  const temperature = num('temperature', v.temperature ?? '0.7', 0, 2);
  return llm
    ? { kind: 'endpoint', llm }
    : source !== undefined
      ? { kind: 'local', source, temperature }
      : null;
}

/** The LLM writer of `stm synth`: one of --endpoint (with its options) or --generator, when needed. */
function synthWriter(v: LlmOptionValues, needed: boolean): SynthArgs['writer'] {
  const writer = llmWriterArgs(v);
  if (needed && !writer)
    throw new UsageError(
      '--method llm and --negatives llm need an LLM: --endpoint <url> --llm-model <name> (a chat-completions server), or --generator <folder|org/name> (a decoder run here)',
    );
  if (!needed && writer)
    throw new UsageError(
      `--${writer.kind === 'local' ? 'generator' : 'endpoint'} is used only with --method llm or --negatives llm`,
    );
  return writer;
}

export function parseSynthArgs(argv: string[]): SynthArgs {
  const str = (def?: string) => ({ type: 'string' as const, ...(def === undefined ? {} : { default: def }) });
  refuseKeyOnArgv(argv);
  const v = strictOptions(argv, {
    ...LLM_OPTIONS,
    dataset: str(),
    method: str(),
    'per-doc': str('1'),
    'query-words': str('4:20'),
    'min-doc-words': str('30'),
    negatives: str('none'),
    model: str('use-lite'),
    'mine-range': str('0:50'),
    backend: str('auto'),
    seed: str('42'),
    out: str(),
    json: { type: 'boolean', default: false },
  });
  if (!v.dataset) throw new UsageError('synth needs --dataset <dir|demo>');
  if (!v.method) throw new UsageError('synth needs --method ict|title|llm');
  if (!v.out) throw new UsageError('synth needs --out <pairs.jsonl> (or - for stdout)');
  const int = (name: string, x: string, min: number, max: number) => {
    const n = num(name, x, min, max);
    if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got "${x}"`);
    return n;
  };
  const pair = (name: string, x: string, min: number) => {
    const m = /^(\d+):(\d+)$/.exec(x);
    if (!m || Number(m[1]) < min || Number(m[2]) < Number(m[1]))
      throw new UsageError(`--${name} must be <a>:<b> with ${min} <= a <= b, got "${x}"`);
    return [Number(m[1]), Number(m[2])] as [number, number];
  };
  const neg = v.negatives!;
  const mined = /^mined:(\d+)$/.exec(neg);
  if (neg !== 'none' && neg !== 'llm' && (!mined || Number(mined[1]) < 1))
    throw new UsageError(`--negatives must be none, mined:<n> (n >= 1) or llm, got "${neg}"`);
  const method = oneOf('method', v.method, ['ict', 'title', 'llm'] as const);
  const writer = synthWriter(v, method === 'llm' || neg === 'llm');
  const [qMin, qMax] = pair('query-words', v['query-words']!, 1);
  const range = pair('mine-range', v['mine-range']!, 0);
  if (range[1] === range[0])
    throw new UsageError(`--mine-range must be <a>:<b> with b > a, got "${v['mine-range']}"`);
  return {
    dataset: v.dataset,
    method,
    perDoc: int('per-doc', v['per-doc']!, 1, 1000),
    queryWords: { min: qMin, max: qMax },
    minDocWords: int('min-doc-words', v['min-doc-words']!, 0, 1e9),
    negatives: mined
      ? { kind: 'mined', n: Number(mined[1]) }
      : neg === 'llm'
        ? { kind: 'llm' }
        : { kind: 'none' },
    model: v.model!,
    mineRange: range,
    writer,
    backend: oneOf('backend', v.backend!, ['auto', 'cpu', 'webgpu'] as const),
    seed: int('seed', v.seed!, 0, 2 ** 32 - 1),
    out: v.out,
    json: v.json!,
  };
}
