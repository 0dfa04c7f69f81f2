/**
 * The LLM part of `stm synth`: its options, their checks, and the OpenAI-compatible generator they make.
 * The API key is read from an environment variable (named by --api-key-env, default OPENAI_API_KEY),
 * never from the command line, where it would show in `ps` and the shell history.
 */
import { OpenAIGenerator, chatCompletionsUrl, type RetryInfo } from '../synth/openai';
import { num, UsageError } from './args';

/** node:util parseArgs options to merge into the synth command's own. */
export const LLM_OPTIONS = {
  endpoint: { type: 'string' },
  'llm-model': { type: 'string' },
  'api-key-env': { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  temperature: { type: 'string' },
} as const;

/** Usage lines for the synth command's help. */
export const LLM_USAGE = `          --endpoint <url>          OpenAI-compatible chat-completions server: http://host:port or .../v1
                                    (llama.cpp server, Ollama, vLLM, a hosted API)
          --llm-model <name>        the model the endpoint serves
          --api-key-env <NAME>      environment variable holding the API key (default OPENAI_API_KEY;
                                    none needed for a local server); never pass a key on the command line
          --concurrency <n>         requests in flight (default 4)
          --timeout <s>             per request (default 120)
          --retries <n>             retries on 429/5xx/network errors/timeouts, with back-off (default 3)
          --temperature <x>         sampling temperature (default 0.7)`;

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

function int(name: string, v: string, min: number, max: number): number {
  const x = num(name, v, min, max);
  if (!Number.isInteger(x))
    throw new UsageError(`--${name} must be a whole number in [${min}, ${max}], got "${v}"`);
  return x;
}

/**
 * The LLM options checked: null when no LLM option is given; a UsageError for a missing partner
 * (--endpoint without --llm-model or the reverse), a bad URL or an out-of-range number.
 */
export function parseLlmArgs(v: LlmOptionValues): LlmArgs | null {
  const given = (Object.keys(LLM_OPTIONS) as (keyof typeof LLM_OPTIONS)[]).filter((k) => v[k] !== undefined);
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
    concurrency: int('concurrency', v.concurrency ?? '4', 1, 64),
    timeoutS: num('timeout', v.timeout ?? '120', 0.001, 3600),
    retries: int('retries', v.retries ?? '3', 0, 10),
    temperature: num('temperature', v.temperature ?? '0.7', 0, 2),
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
  return new OpenAIGenerator({
    baseUrl: a.endpoint,
    model: a.model,
    apiKey: key || undefined,
    timeoutMs: Math.round(a.timeoutS * 1000),
    retries: a.retries,
    onRetry,
  });
}

/** The batch settings the options give (for llmQueryItems / llmNegatives). */
export function llmBatchOptions(a: LlmArgs): { concurrency: number; sampling: { temperature: number } } {
  return { concurrency: a.concurrency, sampling: { temperature: a.temperature } };
}

/** A one-line note for stderr when a request is retried. */
export function retryNote(i: RetryInfo): string {
  return `${i.item ? `${i.item}: ` : ''}${i.reason}; retry ${i.attempt} in ${(i.delayMs / 1000).toFixed(1)} s`;
}
