import { afterEach, describe, expect, it } from 'vitest';
import { startChatServer, type ChatReply, type ChatServer } from '../testing/chat-server';
import { DEFAULT_GENERATE, type GenerateOptions } from './generator';
import {
  ChatRequestError,
  chatCompletionsUrl,
  OpenAIGenerator,
  parseRetryAfter,
  type RetryInfo,
} from './openai';

const MSGS = [
  { role: 'system' as const, content: 'You write search queries.' },
  { role: 'user' as const, content: 'Write one query.' },
];
const OPTS: GenerateOptions = { ...DEFAULT_GENERATE, item: 'doc7#llm-0' };
const KEY = 'sk-test-SECRET-1234567890';

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(script: (n: number) => ChatReply): Promise<ChatServer> {
  server = await startChatServer((_req, n) => script(n));
  return server;
}

function client(s: ChatServer, extra: Partial<ConstructorParameters<typeof OpenAIGenerator>[0]> = {}) {
  return new OpenAIGenerator({ baseUrl: s.url, model: 'tiny-chat', apiKey: KEY, backoffMs: 20, ...extra });
}

async function failure(p: Promise<unknown>): Promise<ChatRequestError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ChatRequestError);
  return e as ChatRequestError;
}

describe('chatCompletionsUrl', () => {
  it('accepts host:port, .../v1 and the full path', () => {
    expect(chatCompletionsUrl('http://localhost:8080').href).toBe(
      'http://localhost:8080/v1/chat/completions',
    );
    expect(chatCompletionsUrl('http://localhost:8080/').href).toBe(
      'http://localhost:8080/v1/chat/completions',
    );
    expect(chatCompletionsUrl('http://h:11434/v1').href).toBe('http://h:11434/v1/chat/completions');
    expect(chatCompletionsUrl('https://h/openai/v1/').href).toBe('https://h/openai/v1/chat/completions');
    expect(chatCompletionsUrl('https://h/v1/chat/completions').href).toBe('https://h/v1/chat/completions');
  });
  it('refuses non-http URLs and URLs with credentials', () => {
    expect(() => chatCompletionsUrl('localhost:8080')).toThrow('"localhost:8080" is not an http(s) URL');
    expect(() => chatCompletionsUrl('not a url')).toThrow(/is not a URL/);
    expect(() => chatCompletionsUrl('ftp://h/v1')).toThrow(/is not an http\(s\) URL/);
    expect(() => chatCompletionsUrl('http://user:pw@h/v1')).toThrow(/carries credentials/);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('Thu, 03 Dec 2026 07:00:00 GMT');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 03 Dec 2026 07:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 06:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('OpenAIGenerator against a local chat-completions server', () => {
  it('posts the request and reads the completion; the key goes in the Authorization header', async () => {
    const s = await serve(() => ({ kind: 'ok', content: 'statin muscle pain', finish: 'length' }));
    const g = client(s);
    expect(g.id).toBe(`${s.url}/v1#tiny-chat`);
    const r = await g.generate(MSGS, { ...OPTS, stop: ['\n\n'], temperature: 0.3, topP: 0.9, seed: 7 });
    expect(r).toEqual({ text: 'statin muscle pain', finish: 'length', tokens: 3 });
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toMatchObject({
      model: 'tiny-chat',
      messages: MSGS,
      max_tokens: 256,
      temperature: 0.3,
      top_p: 0.9,
      seed: 7,
      stop: ['\n\n'],
    });
  });

  it('sends no Authorization header without a key', async () => {
    const s = await serve(() => ({ kind: 'ok', content: 'x' }));
    await client(s, { apiKey: undefined }).generate(MSGS, OPTS);
    expect(s.requests[0].headers.authorization).toBeUndefined();
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const s = await serve((n) =>
      n === 0
        ? {
            kind: 'status',
            status: 429,
            body: { error: { message: 'rate limited' } },
            headers: { 'Retry-After': '1' },
          }
        : { kind: 'ok', content: 'after the wait' },
    );
    const retries: RetryInfo[] = [];
    const t = Date.now();
    const r = await client(s, { onRetry: (i) => retries.push(i) }).generate(MSGS, OPTS);
    expect(r.text).toBe('after the wait');
    expect(Date.now() - t).toBeGreaterThanOrEqual(950);
    expect(s.requests).toHaveLength(2);
    expect(retries).toEqual([
      { attempt: 1, delayMs: 1000, reason: 'HTTP 429 Too Many Requests: rate limited', item: 'doc7#llm-0' },
    ]);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const s = await serve((n) =>
      n === 0
        ? {
            kind: 'status',
            status: 503,
            headers: { 'Retry-After': new Date(Date.now() + 2000).toUTCString() },
          }
        : { kind: 'ok', content: 'ok' },
    );
    const t = Date.now();
    await client(s).generate(MSGS, OPTS);
    // an HTTP date has whole seconds: the wait is between 1 and 2 s
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
    expect(s.requests).toHaveLength(2);
  });

  it('gives up at once when Retry-After is longer than it will wait', async () => {
    const s = await serve(() => ({ kind: 'status', status: 429, headers: { 'Retry-After': '3600' } }));
    const e = await failure(client(s).generate(MSGS, OPTS));
    expect(e.message).toMatch(/retry after 3600 s, more than the 120 s/);
    expect(s.requests).toHaveLength(1);
  });

  it('retries a 500 with back-off, then succeeds', async () => {
    const s = await serve((n) =>
      n < 2 ? { kind: 'status', status: 500, body: 'oops' } : { kind: 'ok', content: 'fine' },
    );
    const retries: RetryInfo[] = [];
    const r = await client(s, { onRetry: (i) => retries.push(i) }).generate(MSGS, OPTS);
    expect(r.text).toBe('fine');
    expect(s.requests).toHaveLength(3);
    // back-off doubles (20 ms, 40 ms), jitter keeps each in [half, full]
    expect(retries.map((x) => x.attempt)).toEqual([1, 2]);
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(10);
    expect(retries[0].delayMs).toBeLessThanOrEqual(20);
    expect(retries[1].delayMs).toBeGreaterThanOrEqual(20);
    expect(retries[1].delayMs).toBeLessThanOrEqual(40);
  });

  it('gives up on a 500 after the retries, naming the status, the server message and the request', async () => {
    const s = await serve(() => ({
      kind: 'status',
      status: 500,
      body: { error: { message: 'model crashed' } },
    }));
    const e = await failure(client(s, { retries: 2 }).generate(MSGS, OPTS));
    expect(s.requests).toHaveLength(3);
    expect(e.kind).toBe('http');
    expect(e.status).toBe(500);
    expect(e.attempts).toBe(3);
    expect(e.message).toBe(
      `chat completion failed (endpoint ${s.url}/v1/chat/completions, model tiny-chat, item doc7#llm-0): ` +
        'HTTP 500 Internal Server Error: model crashed — gave up after 3 attempts',
    );
  });

  it('does not retry a 400 and gives the error JSON message', async () => {
    const s = await serve(() => ({
      kind: 'status',
      status: 400,
      body: { error: { message: "'max_tokens' is too large", type: 'invalid_request_error' } },
    }));
    const e = await failure(client(s).generate(MSGS, OPTS));
    expect(s.requests).toHaveLength(1);
    expect(e.status).toBe(400);
    expect(e.message).toContain("HTTP 400 Bad Request: 'max_tokens' is too large");
    expect(e.message).not.toContain('gave up');
  });

  it('reports malformed JSON without retrying', async () => {
    const s = await serve(() => ({ kind: 'raw', body: '{"choices": [ {"message": ' }));
    const e = await failure(client(s).generate(MSGS, OPTS));
    expect(s.requests).toHaveLength(1);
    expect(e.kind).toBe('malformed');
    expect(e.message).toMatch(/the reply is not valid JSON .*\{\\"choices\\"/);
  });

  it('reports a reply without choices', async () => {
    const s = await serve(() => ({ kind: 'raw', body: '{"object":"chat.completion","choices":[]}' }));
    const e = await failure(client(s).generate(MSGS, OPTS));
    expect(e.kind).toBe('no-choices');
    expect(e.message).toContain('the reply has no choices');
  });

  it('reports a truncated body (Content-Length larger than sent, then the socket closes) after retrying', async () => {
    const s = await serve(() => ({
      kind: 'truncate',
      body: '{"choices":[{"message":{"content":"hal',
      declared: 500,
    }));
    const e = await failure(client(s, { retries: 1 }).generate(MSGS, OPTS));
    expect(s.requests).toHaveLength(2);
    expect(e.kind).toBe('truncated');
    expect(e.message).toMatch(/the reply body was cut off \(HTTP 200, Content-Length 500\)/);
  });

  it('recovers when a truncated body is followed by a whole one', async () => {
    const s = await serve((n) =>
      n === 0 ? { kind: 'truncate', body: '{"choi', declared: 90 } : { kind: 'ok', content: 'whole' },
    );
    expect((await client(s).generate(MSGS, OPTS)).text).toBe('whole');
  });

  it('times out a hanging server, retries, and names the timeout', async () => {
    const s = await serve(() => ({ kind: 'hang' }));
    const t = Date.now();
    const e = await failure(client(s, { timeoutMs: 300, retries: 1 }).generate(MSGS, OPTS));
    expect(Date.now() - t).toBeGreaterThanOrEqual(600);
    expect(s.requests).toHaveLength(2);
    expect(e.kind).toBe('timeout');
    expect(e.message).toContain('no complete reply within 0.3 s (timeout) — gave up after 2 attempts');
  });

  it('times out a body that stops arriving after the headers', async () => {
    const s = await serve(() => ({ kind: 'truncate', body: '{"choices":[', declared: 400, stall: true }));
    const e = await failure(client(s, { timeoutMs: 300, retries: 0 }).generate(MSGS, OPTS));
    expect(e.kind).toBe('timeout');
    expect(e.attempts).toBe(1);
  });

  it('cancels a request in flight with an AbortError and does not retry', async () => {
    const s = await serve(() => ({ kind: 'hang' }));
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const t = Date.now();
    const e = await client(s, { timeoutMs: 30_000 })
      .generate(MSGS, { ...OPTS, signal: ctl.signal })
      .catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(DOMException);
    expect((e as Error).name).toBe('AbortError');
    expect((e as Error).message).toContain('item doc7#llm-0');
    expect(Date.now() - t).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(s.requests).toHaveLength(1);
  });

  it('cancels during the back-off wait without another attempt', async () => {
    const s = await serve(() => ({ kind: 'status', status: 429, headers: { 'Retry-After': '30' } }));
    const ctl = new AbortController();
    const p = client(s, { onRetry: () => setTimeout(() => ctl.abort(), 50) }).generate(MSGS, {
      ...OPTS,
      signal: ctl.signal,
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.requests).toHaveLength(1);
  });

  it('reports a refused connection as a network error after retrying', async () => {
    const s = await serve(() => ({ kind: 'ok', content: 'x' }));
    const url = s.url;
    await s.close();
    server = undefined;
    const g = new OpenAIGenerator({ baseUrl: url, model: 'm', retries: 1, backoffMs: 10 });
    const e = await failure(g.generate(MSGS, OPTS));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(/network error: .*ECONNREFUSED/);
  });

  it('keeps the API key out of every error message, even when the server echoes it', async () => {
    const s = await serve((n) =>
      n % 2 === 0
        ? { kind: 'status', status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}` } } }
        : { kind: 'raw', body: `not json ${KEY}` },
    );
    const g = client(s);
    expect(g.id).not.toContain(KEY);
    const e1 = await failure(g.generate(MSGS, OPTS));
    expect(e1.message).toContain('HTTP 401 Unauthorized: Incorrect API key provided: ***');
    const e2 = await failure(g.generate(MSGS, OPTS));
    for (const e of [e1, e2]) {
      expect(e.message).not.toContain(KEY);
      expect(JSON.stringify(e)).not.toContain(KEY);
      expect(e.detail).not.toContain(KEY);
    }
    expect(s.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
  });
});
