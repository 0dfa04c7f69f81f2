/**
 * The LLM endpoint settings as the Synthesize panel holds them: checked field by field for the form,
 * turned into a generator, and reduced to what may be stored. The API key stays in memory unless the
 * user ticked "remember on this device"; only then does it go into what is stored.
 */
import { chatCompletionsUrl, OpenAIGenerator, type RetryInfo } from './openai';

export interface EndpointConfig {
  /** http://host:port or .../v1 */
  baseUrl: string;
  model: string;
  /** empty: none (a local server) */
  apiKey: string;
  /** keep the key on this device (stored with the settings) */
  rememberKey: boolean;
  concurrency: number;
  timeoutS: number;
  retries: number;
  temperature: number;
}

export const DEFAULT_ENDPOINT_CONFIG: EndpointConfig = {
  baseUrl: 'http://localhost:8080',
  model: '',
  apiKey: '',
  rememberKey: false,
  concurrency: 4,
  timeoutS: 120,
  retries: 3,
  temperature: 0.7,
};

/** The numeric settings' ranges (the CLI's --concurrency, --timeout, --retries, --temperature too). */
export const ENDPOINT_LIMITS = {
  concurrency: { min: 1, max: 64, whole: true },
  timeoutS: { min: 0.001, max: 3600, whole: false },
  retries: { min: 0, max: 10, whole: true },
  temperature: { min: 0, max: 2, whole: false },
} as const;

export type EndpointProblems = Partial<Record<keyof EndpointConfig, string>>;

function range(x: number, lo: number, hi: number, whole: boolean): string | undefined {
  if (!Number.isFinite(x) || x < lo || x > hi) return `a number from ${lo} to ${hi}`;
  if (whole && !Number.isInteger(x)) return `a whole number from ${lo} to ${hi}`;
  return undefined;
}

/**
 * Whether the studio's page may reach the endpoint: its Content-Security-Policy (scripts/vite-site.ts)
 * lets it connect only to an LLM server on this machine, http://localhost:* or http://127.0.0.1:*.
 */
export function reachableFromStudio(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
}

/**
 * What is wrong with each field (empty when the settings can be used). `inStudio`: the settings are for
 * the studio's page, which reaches only a server on this machine.
 */
export function endpointProblems(c: EndpointConfig, opts: { inStudio?: boolean } = {}): EndpointProblems {
  const p: EndpointProblems = {};
  try {
    const url = chatCompletionsUrl(c.baseUrl);
    if (opts.inStudio && !reachableFromStudio(url))
      p.baseUrl =
        `the studio reaches only an LLM server on this machine (http://localhost:<port> or http://127.0.0.1:<port>), ` +
        `not ${url.host}: it sends document text nowhere else. Use \`npm run stm -- synth --endpoint\` for a hosted API`;
  } catch (e) {
    p.baseUrl = (e as Error).message;
  }
  if (!c.model.trim()) p.model = 'the model the endpoint serves (e.g. qwen3:0.6b for Ollama)';
  for (const k of Object.keys(ENDPOINT_LIMITS) as (keyof typeof ENDPOINT_LIMITS)[]) {
    const { min, max, whole } = ENDPOINT_LIMITS[k];
    const m = range(c[k], min, max, whole);
    if (m) p[k] = m;
  }
  return p;
}

/** The generator the settings describe; throws the first problem when there is one. */
export function generatorFromConfig(
  c: EndpointConfig,
  onRetry?: (info: RetryInfo) => void,
  opts: { inStudio?: boolean } = {},
): OpenAIGenerator {
  const problems = Object.entries(endpointProblems(c, opts));
  if (problems.length) throw new Error(`LLM endpoint settings: ${problems[0][0]}: ${problems[0][1]}`);
  return new OpenAIGenerator({
    baseUrl: c.baseUrl,
    model: c.model,
    apiKey: c.apiKey || undefined,
    timeoutMs: Math.round(c.timeoutS * 1000),
    retries: c.retries,
    onRetry,
  });
}

/** What may be stored on this device: the settings, the key only when the user asked to remember it. */
export function storableEndpointConfig(c: EndpointConfig): EndpointConfig {
  return { ...c, apiKey: c.rememberKey ? c.apiKey : '' };
}
