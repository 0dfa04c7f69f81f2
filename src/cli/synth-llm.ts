/**
 * The LLM part of `stm synth`: its options, their checks, and the OpenAI-compatible generator they make.
 * The API key is read from an environment variable (named by --api-key-env, default OPENAI_API_KEY),
 * never from the command line, where it would show in `ps` and the shell history.
 */
import { existsSync } from 'node:fs';
import type { Doc } from '../data/types';
import type { BackendPreference } from '../gpu/select';
import type { TextGenerator } from '../synth/generator';
import { loadLocalGenerator } from '../synth/local-generator';
import {
  DEFAULT_ENDPOINT_CONFIG as D,
  ENDPOINT_LIMITS as L,
  generatorFromConfig,
} from '../synth/endpoint-config';
import type { NegativeGuardOptions } from '../synth/llm-negatives';
import { llmNegatives, llmQueryItems, type LlmBatchResult } from '../synth/llm-synth';
import { chatCompletionsUrl, type OpenAIGenerator, type RetryInfo } from '../synth/openai';
import type { SynthItem } from '../synth/types';
import { plural } from '../util/words';
import { num, UsageError } from './args';
import { cliBackend } from './backend';
import type { Reporter } from './progress';

/** node:util parseArgs options to merge into the synth command's own. */
export const LLM_OPTIONS = {
  endpoint: { type: 'string' },
  'llm-model': { type: 'string' },
  'api-key-env': { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  temperature: { type: 'string' },
  generator: { type: 'string' },
} as const;

/** Usage lines for the synth command's help. */
export const LLM_USAGE = `          --generator <folder|org/name>  write with a Hugging Face decoder run here (Qwen3/Qwen2/Llama/
                                    Gemma/Phi-3), on the studio's own engine (its chat template; --backend
                                    applies)
          --endpoint <url>          OpenAI-compatible chat-completions server: http://host:port or .../v1
                                    (llama.cpp server, Ollama, vLLM, a hosted API)
          --llm-model <name>        the model the endpoint serves
          --api-key-env <NAME>      environment variable holding the API key (default OPENAI_API_KEY;
                                    none needed for a local server); never pass a key on the command line
          --concurrency <n>         requests in flight (default 4)
          --timeout <s>             per request (default 120)
          --retries <n>             retries on 429/5xx/network errors/timeouts, with back-off (default 3)
          --temperature <x>         sampling temperature (default 0.7), for either writer`;

export type LlmOptionValues = { [K in keyof typeof LLM_OPTIONS]?: string };

export interface LlmArgs {
  endpoint: string;
  model: string;
  apiKeyEnv: string;
  /** --api-key-env was given (then the variable must be set) */
  apiKeyEnvGiven: boolean;
  concurrency: number;
  timeoutS: number;
  retries: number;
  temperature: number;
}

export const DEFAULT_API_KEY_ENV = 'OPENAI_API_KEY';

/** Refuses an API key on the command line, before the strict parser calls it an unknown option. */
export function refuseKeyOnArgv(argv: readonly string[]): void {
  const bad = argv.find((a) => /^--(api-key|key|token)(=|$)/.test(a));
  if (bad)
    throw new UsageError(
      `${bad.split('=')[0]} is not accepted: a key on the command line shows in ps and the shell history. ` +
        `Put it in an environment variable and name it with --api-key-env <NAME> (default ${DEFAULT_API_KEY_ENV})`,
    );
}

function setting(name: string, v: string, limits: { min: number; max: number; whole: boolean }): number {
  const x = num(name, v, limits.min, limits.max);
  if (limits.whole && !Number.isInteger(x))
    throw new UsageError(`--${name} must be a whole number in [${limits.min}, ${limits.max}], got "${v}"`);
  return x;
}

/**
 * The LLM options checked: null when no LLM option is given; a UsageError for a missing partner
 * (--endpoint without --llm-model or the reverse), a bad URL or an out-of-range number.
 */
export function parseLlmArgs(v: LlmOptionValues): LlmArgs | null {
  const given = (Object.keys(LLM_OPTIONS) as (keyof typeof LLM_OPTIONS)[]).filter(
    (k) => k !== 'generator' && v[k] !== undefined,
  );
  if (given.length === 0) return null;
  if (v.endpoint === undefined)
    throw new UsageError(
      `--${given[0]} needs --endpoint <url> (an OpenAI-compatible chat-completions server)`,
    );
  if (v['llm-model'] === undefined || !v['llm-model'].trim())
    throw new UsageError('--endpoint needs --llm-model <name>: the model the endpoint serves');
  try {
    chatCompletionsUrl(v.endpoint);
  } catch (e) {
    throw new UsageError(`--endpoint: ${(e as Error).message}`);
  }
  const keyEnv = v['api-key-env'];
  if (keyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv))
    throw new UsageError(
      '--api-key-env takes the NAME of an environment variable (letters, digits, _), not the key itself; ' +
        'the value given is not such a name (not shown, in case it is a key)',
    );
  return {
    endpoint: v.endpoint,
    model: v['llm-model'].trim(),
    apiKeyEnv: keyEnv ?? DEFAULT_API_KEY_ENV,
    apiKeyEnvGiven: keyEnv !== undefined,
    concurrency: setting('concurrency', v.concurrency ?? String(D.concurrency), L.concurrency),
    timeoutS: setting('timeout', v.timeout ?? String(D.timeoutS), L.timeoutS),
    retries: setting('retries', v.retries ?? String(D.retries), L.retries),
    temperature: setting('temperature', v.temperature ?? String(D.temperature), L.temperature),
  };
}

/**
 * The generator the options describe, its key read from the environment. A UsageError when
 * --api-key-env names a variable that is unset or empty.
 */
export function llmGenerator(
  a: LlmArgs,
  env: Readonly<Record<string, string | undefined>> = process.env,
  onRetry?: (info: RetryInfo) => void,
): OpenAIGenerator {
  const key = env[a.apiKeyEnv];
  if (a.apiKeyEnvGiven && !key)
    throw new UsageError(
      `--api-key-env ${a.apiKeyEnv}: the environment variable ${a.apiKeyEnv} is not set or empty`,
    );
  return generatorFromConfig(
    {
      baseUrl: a.endpoint,
      model: a.model,
      apiKey: key ?? '',
      rememberKey: false,
      concurrency: a.concurrency,
      timeoutS: a.timeoutS,
      retries: a.retries,
      temperature: a.temperature,
    },
    onRetry,
  );
}

/** A one-line note for stderr when a request is retried. */
export function retryNote(i: RetryInfo): string {
  return `${i.item ? `${i.item}: ` : ''}${i.reason}; retry ${i.attempt} in ${(i.delayMs / 1000).toFixed(1)} s`;
}

type Report = Pick<Reporter, 'log' | 'progress'>;

/** What writes the LLM texts of a synth run: a generator and how to drive it. */
export interface LlmWriter {
  generator: TextGenerator;
  /** requests in flight */
  concurrency: number;
  temperature: number;
  /** frees what the writer holds (a local model's weights) */
  release(): void;
}

/** An endpoint writer from the checked options (its key from the environment). */
export function endpointWriter(
  a: LlmArgs,
  report: Pick<Report, 'log'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LlmWriter {
  const generator = llmGenerator(a, env, (i) => report.log(retryNote(i)));
  return { generator, concurrency: a.concurrency, temperature: a.temperature, release: () => undefined };
}

/**
 * A local writer: a Hugging Face decoder (folder or hub id) on the studio's engine. One request at a
 * time: the backend runs one generation step at a time anyway.
 */
export async function localWriter(
  source: string,
  temperature: number,
  backend: BackendPreference,
  report: Report,
): Promise<LlmWriter> {
  const be = await cliBackend(backend, report.log);
  const local = existsSync(source);
  try {
    const generator = await loadLocalGenerator(source, {
      backend: async () => be,
      onProgress: (p) =>
        report.progress(`${local ? 'read' : 'download'} ${p.file}`, p.loaded, p.total ?? p.loaded),
    });
    if (generator.templateNote) report.log(`warning: ${generator.templateNote}`);
    report.log(`generator ${generator.id}`);
    return {
      generator,
      concurrency: 1,
      temperature,
      release: () => {
        generator.release();
        be.destroy();
      },
    };
  } catch (e) {
    be.destroy();
    throw e;
  }
}

/** Logs a batch's per-item errors (the first few in full); throws when it was stopped or nothing succeeded. */
function settle(what: string, total: number, r: LlmBatchResult, failedAll: boolean, report: Report): void {
  if (r.stoppedBy) throw new Error(`${what} stopped: ${r.stoppedBy}`);
  if (r.cancelled) throw new DOMException(`${what} cancelled`, 'AbortError');
  if (r.errors.length) {
    report.log(`${what}: ${plural(r.errors.length, 'failure')} of ${total} (kept going):`);
    for (const e of r.errors.slice(0, 5)) report.log(`  ${e.id}: ${e.message}`);
    if (r.errors.length > 5) report.log(`  … and ${r.errors.length - 5} more`);
  }
  if (failedAll)
    throw new Error(`${what}: every request failed; nothing was written (first: ${r.errors[0]?.message})`);
}

/**
 * `stm synth --method llm`: k queries per document from the endpoint, with progress and retry notes on
 * stderr. Per-document failures are listed and skipped; a wrong key / unknown model, or every document
 * failing, throws.
 */
export async function runLlmQueries(
  docs: readonly Doc[],
  w: LlmWriter,
  opts: { k: number; set: string; seed: number; signal?: AbortSignal },
  report: Report,
): Promise<SynthItem[]> {
  const { generator, concurrency, temperature } = w;
  report.log(`llm queries: ${generator.id}, ${opts.k} per document, ${concurrency} in flight`);
  const r = await llmQueryItems(docs, generator, {
    k: opts.k,
    set: opts.set,
    concurrency,
    sampling: { temperature, seed: opts.seed },
    signal: opts.signal,
    onProgress: (p) => report.progress('llm queries', p.done, p.total),
  });
  settle('llm queries', docs.length, r, r.items.length === 0 && docs.length > 0, report);
  report.log(
    `llm queries: ${plural(r.items.length, 'query', 'queries')} for ${docs.length - r.errors.length} docs`,
  );
  return r.items;
}

/**
 * `stm synth --negatives llm`: one written hard negative per item (the item's first mined negative in the
 * prompt when it has one), guarded against near-copies of the positive. Every item comes back; refused
 * negatives and failures are counted on stderr.
 */
export async function runLlmNegatives(
  items: readonly SynthItem[],
  w: LlmWriter,
  opts: { seed: number; guard?: NegativeGuardOptions; signal?: AbortSignal },
  report: Report,
): Promise<SynthItem[]> {
  const { generator, concurrency, temperature } = w;
  report.log(`llm negatives: ${generator.id}, ${concurrency} in flight`);
  const r = await llmNegatives(items, generator, {
    concurrency,
    sampling: { temperature, seed: opts.seed },
    guard: opts.guard,
    signal: opts.signal,
    onProgress: (p) => report.progress('llm negatives', p.done, p.total),
  });
  settle('llm negatives', items.length, r, r.errors.length === items.length && items.length > 0, report);
  report.log(
    `llm negatives: ${r.written} written, ${r.rejected.length} refused by the guard, ${r.errors.length} failed, of ${items.length} items`,
  );
  for (const x of r.rejected.slice(0, 3)) report.log(`  refused for ${x.itemId}: ${x.reason}`);
  return r.items;
}
