/**
 * A TextGenerator for any OpenAI-compatible chat-completions endpoint (llama.cpp server, Ollama, vLLM,
 * hosted APIs), on plain `fetch` so it runs in Node, the page and the worker. Retries 429, 5xx, network
 * errors, truncated bodies and timeouts with exponential back-off and jitter (honouring Retry-After);
 * a cancel through the AbortSignal ends it at once with an AbortError. The API key goes only into the
 * Authorization header: it is never in the generator's id nor in an error message.
 */
import type { ChatMessage, GenerateOptions, GenerateResult, TextGenerator } from './generator';

export interface OpenAIGeneratorOptions {
  /** `http://host:port` (then `/v1` is added), `.../v1`, or a full `.../chat/completions` URL */
  baseUrl: string;
  model: string;
  /** sent as `Authorization: Bearer <key>`; kept out of ids and messages */
  apiKey?: string;
  /** per attempt, headers and body together (default 120 s) */
  timeoutMs?: number;
  /** further attempts after the first on 429/5xx/network/timeout (default 3) */
  retries?: number;
  /** first back-off (default 500 ms); doubles each retry, with jitter in [½, 1] of it */
  backoffMs?: number;
  /** longest back-off (default 30 s) */
  maxBackoffMs?: number;
  /** a Retry-After longer than this gives up at once instead of waiting (default 120 s) */
  maxRetryAfterMs?: number;
  /** told before each retry (for a progress line) */
  onRetry?: (info: RetryInfo) => void;
  /** jitter source (default Math.random) */
  random?: () => number;
}

export interface RetryInfo {
  /** the attempt that failed, 1-based */
  attempt: number;
  delayMs: number;
  reason: string;
  item?: string;
}

export type ChatErrorKind = 'http' | 'network' | 'timeout' | 'truncated' | 'malformed' | 'no-choices';

/** A failed chat-completions request: which request (endpoint, model, item) and why. */
export class ChatRequestError extends Error {
  constructor(
    readonly kind: ChatErrorKind,
    readonly endpoint: string,
    readonly model: string,
    readonly item: string | undefined,
    readonly detail: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(
      `chat completion failed (endpoint ${endpoint}, model ${model}${item ? `, item ${item}` : ''}): ${detail}` +
        (attempts > 1 ? ` — gave up after ${attempts} attempts` : ''),
    );
    this.name = 'ChatRequestError';
  }
}

/** The chat-completions URL for a base URL; throws on a URL that is not http(s) or carries credentials. */
export function chatCompletionsUrl(baseUrl: string): URL {
  let u: URL;
  try {
    u = new URL(baseUrl.trim());
  } catch {
    throw new Error(`"${baseUrl}" is not a URL: give the endpoint as http://host:port or https://host/v1`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new Error(
      `"${baseUrl}" is not an http(s) URL: give the endpoint as http://host:port or https://host/v1`,
    );
  if (u.username || u.password)
    throw new Error(
      `endpoint ${u.host}: the URL carries credentials; give the API key separately (an environment variable)`,
    );
  let path = u.pathname.replace(/\/+$/, '');
  path = path.replace(/\/chat\/completions$/, '');
  if (path === '') path = '/v1';
  u.pathname = `${path}/chat/completions`;
  u.hash = '';
  return u;
}

/**
 * Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), null when absent or
 * unreadable; a date in the past is 0.
 */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - now);
}

/** The server's own words from an error body: `{error:{message}}`, `{error:"..."}`, `{message}`, `{detail}` or text. */
function serverMessage(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const e = j.error;
    const m =
      (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string'
        ? (e as { message: string }).message
        : undefined) ??
      (typeof e === 'string' ? e : undefined) ??
      (typeof j.message === 'string' ? j.message : undefined) ??
      (typeof j.detail === 'string' ? j.detail : undefined);
    if (m) return m;
    if (j && typeof j === 'object' && Object.keys(j).length === 0) return '';
  } catch {
    // not JSON: the text itself
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

const RETRY_STATUS = new Set([408, 409, 425, 429]);

/** A failure of one attempt: retry it or not. */
class AttemptFailure {
  constructor(
    readonly kind: ChatErrorKind,
    readonly detail: string,
    readonly retry: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number | null,
  ) {}
}

function abortError(what: string): DOMException {
  return new DOMException(`${what} cancelled`, 'AbortError');
}

/** Waits ms, or rejects with an AbortError when the signal fires first. */
function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(what));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(what));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The cause of a failed fetch; `beforeReply`: no reply came at all (then a browser hint about CORS). */
function networkCause(e: unknown, beforeReply: boolean): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err?.cause;
  const code = cause?.code ? ` (${cause.code})` : '';
  const msg = cause?.message ?? err?.message ?? String(e);
  // a browser hides why: an unreachable server and a refused cross-origin request look the same
  const browser =
    beforeReply && /failed to fetch|networkerror|load failed/i.test(msg)
      ? ' — is the server running, on this machine (the studio reaches only http://localhost or 127.0.0.1), ' +
        'and does it allow requests from this page (CORS; Ollama: OLLAMA_ORIGINS)?'
      : '';
  return `${msg}${code}${browser}`;
}

/** The OpenAI-compatible chat-completions client. */
export class OpenAIGenerator implements TextGenerator {
  readonly id: string;
  /** the chat-completions URL without its query string (what errors name) */
  readonly endpoint: string;
  readonly model: string;
  private readonly url: URL;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly onRetry?: (info: RetryInfo) => void;
  private readonly random: () => number;

  constructor(opts: OpenAIGeneratorOptions) {
    if (!opts.model.trim()) throw new Error('an LLM endpoint needs a model name');
    this.url = chatCompletionsUrl(opts.baseUrl);
    this.endpoint = `${this.url.origin}${this.url.pathname}`;
    this.model = opts.model.trim();
    this.id = `${this.endpoint.replace(/\/chat\/completions$/, '')}#${this.model}`;
    this.apiKey = opts.apiKey || undefined;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.retries = Math.max(0, Math.floor(opts.retries ?? 3));
    this.backoffMs = opts.backoffMs ?? 500;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 120_000;
    this.onRetry = opts.onRetry;
    this.random = opts.random ?? Math.random;
  }

  /** Replaces the API key wherever a server echoed it. */
  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('***') : text;
  }

  async generate(messages: readonly ChatMessage[], opts: GenerateOptions): Promise<GenerateResult> {
    const what = `chat request to ${this.endpoint} (model ${this.model}${opts.item ? `, item ${opts.item}` : ''})`;
    const body = JSON.stringify({
      model: this.model,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      max_tokens: opts.maxTokens,
      temperature: opts.temperature,
      top_p: opts.topP,
      seed: opts.seed,
      ...(opts.stop && opts.stop.length ? { stop: opts.stop } : {}),
      stream: false,
    });
    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted) throw abortError(what);
      const out = await this.attempt(body, opts.signal, what);
      if (!(out instanceof AttemptFailure)) return out;
      const fail = (detail = out.detail) =>
        new ChatRequestError(
          out.kind,
          this.endpoint,
          this.model,
          opts.item,
          this.redact(detail),
          attempt,
          out.status,
        );
      if (!out.retry || attempt > this.retries) throw fail();
      let delay: number;
      if (out.retryAfterMs != null) {
        if (out.retryAfterMs > this.maxRetryAfterMs)
          throw fail(
            `${out.detail}; the server asks to retry after ${Math.ceil(out.retryAfterMs / 1000)} s, ` +
              `more than the ${Math.round(this.maxRetryAfterMs / 1000)} s this client waits`,
          );
        delay = out.retryAfterMs;
      } else {
        const full = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
        delay = Math.round(full * (0.5 + 0.5 * this.random()));
      }
      this.onRetry?.({ attempt, delayMs: delay, reason: this.redact(out.detail), item: opts.item });
      await sleep(delay, opts.signal, what);
    }
  }

  /** One POST: the result, or why it failed and whether to retry; throws only an AbortError on cancel. */
  private async attempt(
    body: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<GenerateResult | AttemptFailure> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, this.timeoutMs);
    const onAbort = () => ctl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const stopped = (): DOMException | AttemptFailure | null =>
      signal?.aborted
        ? abortError(what)
        : timedOut
          ? new AttemptFailure(
              'timeout',
              `no complete reply within ${this.timeoutMs / 1000} s (timeout)`,
              true,
            )
          : null;
    try {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        Accept: 'application/json',
      };
      if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
      let res: Response;
      try {
        res = await fetch(this.url, { method: 'POST', headers, body, signal: ctl.signal });
      } catch (e) {
        const s = stopped();
        if (s instanceof DOMException) throw s;
        return s ?? new AttemptFailure('network', `network error: ${networkCause(e, true)}`, true);
      }
      let text: string;
      try {
        text = await res.text();
      } catch (e) {
        const s = stopped();
        if (s instanceof DOMException) throw s;
        const len = res.headers.get('content-length');
        return (
          s ??
          new AttemptFailure(
            'truncated',
            `the reply body was cut off (HTTP ${res.status}${len ? `, Content-Length ${len}` : ''}): ${networkCause(e, false)}`,
            true,
          )
        );
      }
      if (!res.ok) {
        const msg = serverMessage(text);
        const retry = res.status >= 500 || RETRY_STATUS.has(res.status);
        return new AttemptFailure(
          'http',
          `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${msg ? `: ${msg}` : ''}`,
          retry,
          res.status,
          // a browser shows Retry-After of a cross-origin reply only when the server exposes it
          // (Access-Control-Expose-Headers); without it the exponential back-off applies
          retry ? parseRetryAfter(res.headers.get('retry-after')) : null,
        );
      }
      return this.parseReply(text);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private parseReply(text: string): GenerateResult | AttemptFailure {
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch (e) {
      const head = text.length > 120 ? `${text.slice(0, 120)}…` : text;
      return new AttemptFailure(
        'malformed',
        `the reply is not valid JSON (${(e as Error).message}): ${JSON.stringify(head)}`,
        false,
      );
    }
    const choices = (j as { choices?: unknown })?.choices;
    if (!Array.isArray(choices) || choices.length === 0) {
      const err = j && typeof j === 'object' && 'error' in j ? serverMessage(text) : '';
      return new AttemptFailure(
        'no-choices',
        `the reply has no choices${err ? ` (server says: ${err})` : ''}`,
        false,
      );
    }
    const first = choices[0] as { message?: { content?: unknown }; text?: unknown; finish_reason?: unknown };
    const content = first?.message?.content ?? first?.text;
    if (typeof content !== 'string')
      return new AttemptFailure('no-choices', "the reply's first choice has no message content", false);
    const usage = (j as { usage?: { completion_tokens?: unknown } }).usage;
    const tokens = typeof usage?.completion_tokens === 'number' ? usage.completion_tokens : undefined;
    return {
      text: content,
      finish: first.finish_reason === 'length' ? 'length' : 'stop',
      ...(tokens !== undefined ? { tokens } : {}),
    };
  }
}
