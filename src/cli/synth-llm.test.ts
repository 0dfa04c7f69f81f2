import { parseArgs } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Doc } from '../data/types';
import type { SynthItem } from '../synth/types';
import { lastUserMessage, startChatServer, type ChatServer } from '../testing/chat-server';
import { UsageError } from './args';
import {
  LLM_OPTIONS,
  endpointWriter,
  llmGenerator,
  parseLlmArgs,
  refuseKeyOnArgv,
  runLlmNegatives,
  runLlmQueries,
  type LlmOptionValues,
} from './synth-llm';

/** parses argv with only the LLM options, as the synth command does with its own merged in */
function values(argv: string[]): LlmOptionValues {
  return parseArgs({ args: argv, strict: true, options: LLM_OPTIONS }).values;
}

const parse = (argv: string[]) => parseLlmArgs(values(argv));

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('stm synth LLM options', () => {
  it('are absent when no LLM option is given', () => {
    expect(parse([])).toBeNull();
  });

  it('take defaults and explicit values', () => {
    expect(parse(['--endpoint', 'http://localhost:8080', '--llm-model', 'qwen3'])).toEqual({
      endpoint: 'http://localhost:8080',
      model: 'qwen3',
      apiKeyEnv: 'OPENAI_API_KEY',
      apiKeyEnvGiven: false,
      concurrency: 4,
      timeoutS: 120,
      retries: 3,
      temperature: 0.7,
    });
    const a = parse([
      '--endpoint=https://api.example.com/v1',
      '--llm-model=m',
      '--api-key-env=MY_KEY',
      '--concurrency=8',
      '--timeout=2.5',
      '--retries=0',
      '--temperature=0',
    ])!;
    expect(a).toMatchObject({
      apiKeyEnv: 'MY_KEY',
      concurrency: 8,
      timeoutS: 2.5,
      retries: 0,
      temperature: 0,
    });
    expect(endpointWriter(a, { log: () => undefined }, { MY_KEY: 'k' })).toMatchObject({
      concurrency: 8,
      temperature: 0,
    });
  });

  it.each([
    [['--llm-model', 'm'], '--llm-model needs --endpoint <url>'],
    [['--concurrency', '2'], '--concurrency needs --endpoint <url>'],
    [['--endpoint', 'http://h:1'], '--endpoint needs --llm-model <name>'],
    [
      ['--endpoint', 'localhost:8080', '--llm-model', 'm'],
      '--endpoint: "localhost:8080" is not an http(s) URL: give the endpoint as http://host:port',
    ],
    [['--endpoint', 'http://u:secret@h/v1', '--llm-model', 'm'], 'the URL carries credentials'],
    [
      ['--endpoint', 'http://h:1', '--llm-model', 'm', '--concurrency', '0'],
      '--concurrency must be a number in [1, 64], got "0"',
    ],
    [
      ['--endpoint', 'http://h:1', '--llm-model', 'm', '--concurrency', '2.5'],
      '--concurrency must be a whole number',
    ],
    [
      ['--endpoint', 'http://h:1', '--llm-model', 'm', '--retries=-1'],
      '--retries must be a number in [0, 10]',
    ],
    [['--endpoint', 'http://h:1', '--llm-model', 'm', '--timeout', 'soon'], '--timeout must be a number'],
    [
      ['--endpoint', 'http://h:1', '--llm-model', 'm', '--temperature', '3'],
      '--temperature must be a number in [0, 2]',
    ],
    [
      ['--endpoint', 'http://h:1', '--llm-model', 'm', '--api-key-env', 'sk-abc123secret'],
      'not the key itself',
    ],
  ])('refuse %j', (argv, message) => {
    let err: unknown;
    try {
      parse(argv);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).not.toContain('secret');
  });

  it('refuse an API key on the command line', () => {
    expect(() => refuseKeyOnArgv(['--endpoint', 'x', '--api-key', 'sk-1'])).toThrow(UsageError);
    expect(() => refuseKeyOnArgv(['--api-key=sk-1'])).toThrow(/--api-key is not accepted/);
    expect(() => refuseKeyOnArgv(['--api-key-env', 'K'])).not.toThrow();
  });

  it('read the key from the named environment variable and send it to the endpoint', async () => {
    server = await startChatServer(() => ({ kind: 'ok', content: 'hello' }));
    const a = parse(['--endpoint', server.url, '--llm-model', 'm', '--api-key-env', 'STM_TEST_KEY'])!;
    expect(() => llmGenerator(a, {})).toThrow(/STM_TEST_KEY is not set or empty/);
    const g = llmGenerator(a, { STM_TEST_KEY: 'sk-from-env' });
    expect(g.id).toBe(`${server.url}/v1#m`);
    await g.generate([{ role: 'user', content: 'hi' }], { maxTokens: 5, temperature: 0, topP: 1, seed: 1 });
    expect(server.requests[0].headers.authorization).toBe('Bearer sk-from-env');
    // the default variable is optional: a local server needs no key
    const local = llmGenerator(parse(['--endpoint', server.url, '--llm-model', 'm'])!, {});
    await local.generate([{ role: 'user', content: 'hi' }], {
      maxTokens: 5,
      temperature: 0,
      topP: 1,
      seed: 1,
    });
    expect(server.requests[1].headers.authorization).toBeUndefined();
  });
});

describe('runLlmQueries / runLlmNegatives (what stm synth --method llm / --negatives llm run)', () => {
  const docs: Doc[] = Array.from({ length: 5 }, (_, i) => ({
    id: `d${i}`,
    title: '',
    text: `Passage ${i}: aspirin prevents clots after a heart attack in many patients.`,
  }));
  const report = () => {
    const lines: string[] = [];
    const steps: [string, number, number][] = [];
    return {
      lines,
      steps,
      log: (m: string) => lines.push(m),
      progress: (w: string, d: number, t: number) => steps.push([w, d, t]),
    };
  };
  const argv = (url: string) => [
    '--endpoint',
    url,
    '--llm-model',
    'm',
    '--retries',
    '1',
    '--concurrency',
    '2',
  ];

  it('writes queries, reports progress, lists per-document failures and keeps going', async () => {
    server = await startChatServer((req) =>
      /Passage 3:/.test(lastUserMessage(req))
        ? { kind: 'status', status: 400, body: { error: { message: 'too long' } } }
        : {
            kind: 'ok',
            content: `1. aspirin after heart attack ${/Passage (\d)/.exec(lastUserMessage(req))?.[1]}\n2. why aspirin ${/Passage (\d)/.exec(lastUserMessage(req))?.[1]}`,
          },
    );
    const r = report();
    const items = await runLlmQueries(
      docs,
      endpointWriter(parse(argv(server.url))!, r, {}),
      { k: 2, set: 'x', seed: 1 },
      r,
    );
    expect(items).toHaveLength(8);
    expect(items.map((i) => i.docId)).not.toContain('d3');
    expect(r.steps.at(-1)).toEqual(['llm queries', 5, 5]);
    expect(r.lines).toContain('llm queries: 1 failure of 5 (kept going):');
    expect(
      r.lines.some(
        (l) => l.startsWith('  d3: chat completion failed') && l.includes('HTTP 400 Bad Request: too long'),
      ),
    ).toBe(true);
    expect(r.lines.at(-1)).toBe('llm queries: 8 queries for 4 docs');
  });

  it('logs retries, and throws when the batch is stopped by a wrong key', async () => {
    server = await startChatServer((_req, n) =>
      n === 0
        ? { kind: 'status', status: 503, headers: { 'Retry-After': '0' } }
        : { kind: 'status', status: 401, body: { error: 'bad key' } },
    );
    const r = report();
    await expect(
      runLlmQueries(docs, endpointWriter(parse(argv(server.url))!, r, {}), { k: 1, set: 'x', seed: 1 }, r),
    ).rejects.toThrow(/^llm queries stopped: .*HTTP 401 Unauthorized: bad key/);
    expect(r.lines.some((l) => /^d\d: HTTP 503 Service Unavailable; retry 1 in 0\.0 s$/.test(l))).toBe(true);
  });

  it('throws when every document fails', async () => {
    server = await startChatServer(() => ({ kind: 'raw', body: '<html>proxy error</html>' }));
    await expect(
      runLlmQueries(
        docs,
        endpointWriter(parse(argv(server.url))!, report(), {}),
        { k: 1, set: 'x', seed: 1 },
        report(),
      ),
    ).rejects.toThrow(/^llm queries: every request failed; nothing was written \(first: .*not valid JSON/);
  });

  it('adds written negatives and counts the refused ones', async () => {
    server = await startChatServer((req) =>
      /Query: q0/.test(lastUserMessage(req))
        ? {
            kind: 'ok',
            content:
              'Warfarin is an anticoagulant that patients take to prevent strokes in atrial fibrillation.',
          }
        : { kind: 'ok', content: docs[1].text },
    );
    const items: SynthItem[] = docs.slice(0, 2).map((d, i) => ({
      id: `${d.id}#llm-0`,
      set: 'x',
      docId: d.id,
      query: `q${i}`,
      positive: d.text,
      negatives: [],
      provenance: { method: 'llm', settings: {}, createdAt: '2026-12-03T00:00:00Z' },
      status: 'pending',
    }));
    const r = report();
    const out = await runLlmNegatives(items, endpointWriter(parse(argv(server.url))!, r, {}), { seed: 1 }, r);
    expect(out.map((x) => x.negatives.length)).toEqual([1, 0]);
    expect(r.lines).toContain('llm negatives: 1 written, 1 refused by the guard, 0 failed, of 2 items');
    expect(r.lines.some((l) => l.startsWith('  refused for d1#llm-0: too close to the positive'))).toBe(true);
  });
});
