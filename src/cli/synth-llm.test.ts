import { parseArgs } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../testing/chat-server';
import { UsageError } from './args';
import {
  LLM_OPTIONS,
  llmBatchOptions,
  llmGenerator,
  parseLlmArgs,
  refuseKeyOnArgv,
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
    expect(llmBatchOptions(a)).toEqual({ concurrency: 8, sampling: { temperature: 0 } });
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
