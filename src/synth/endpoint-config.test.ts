import { afterEach, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../testing/chat-server';
import {
  DEFAULT_ENDPOINT_CONFIG,
  endpointProblems,
  generatorFromConfig,
  storableEndpointConfig,
  type EndpointConfig,
} from './endpoint-config';

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ok: EndpointConfig = { ...DEFAULT_ENDPOINT_CONFIG, model: 'qwen3:0.6b', apiKey: 'sk-mem' };

describe('LLM endpoint settings', () => {
  it('name each bad field', () => {
    expect(endpointProblems(ok)).toEqual({});
    expect(
      endpointProblems({
        ...ok,
        baseUrl: 'localhost:11434',
        model: ' ',
        concurrency: 0,
        retries: 1.5,
        timeoutS: NaN,
      }),
    ).toEqual({
      baseUrl:
        '"localhost:11434" is not an http(s) URL: give the endpoint as http://host:port or https://host/v1',
      model: 'the model the endpoint serves (e.g. qwen3:0.6b for Ollama)',
      concurrency: 'a number from 1 to 64',
      retries: 'a whole number from 0 to 10',
      timeoutS: 'a number from 0.001 to 3600',
    });
    expect(() => generatorFromConfig({ ...ok, temperature: 5 })).toThrow(
      'LLM endpoint settings: temperature: a number from 0 to 2',
    );
  });

  it('in the studio, allow only a server on this machine (the page CSP lets nothing else through)', () => {
    for (const u of ['http://localhost:11434', 'http://127.0.0.1:8080/v1'])
      expect(endpointProblems({ ...ok, baseUrl: u }, { inStudio: true })).toEqual({});
    expect(
      endpointProblems({ ...ok, baseUrl: 'https://api.openai.com/v1' }, { inStudio: true }).baseUrl,
    ).toMatch(
      /^the studio reaches only an LLM server on this machine .* not api\.openai\.com: .*stm -- synth --endpoint/,
    );
    expect(endpointProblems({ ...ok, baseUrl: 'https://api.openai.com/v1' })).toEqual({});
    expect(() =>
      generatorFromConfig({ ...ok, baseUrl: 'http://10.0.0.2:8000' }, undefined, { inStudio: true }),
    ).toThrow(/baseUrl: the studio reaches only/);
  });

  it('keep the key out of what is stored unless the user asked to remember it', () => {
    expect(storableEndpointConfig(ok).apiKey).toBe('');
    expect(storableEndpointConfig({ ...ok, rememberKey: true }).apiKey).toBe('sk-mem');
    expect(ok.apiKey).toBe('sk-mem'); // the settings in memory keep it
  });

  it('make a generator that sends the key', async () => {
    server = await startChatServer(() => ({ kind: 'ok', content: 'hi' }));
    const g = generatorFromConfig({ ...ok, baseUrl: `${server.url}/v1/` });
    expect(g.id).toBe(`${server.url}/v1#qwen3:0.6b`);
    await g.generate([{ role: 'user', content: 'x' }], { maxTokens: 4, temperature: 0, topP: 1, seed: 1 });
    expect(server.requests[0].headers.authorization).toBe('Bearer sk-mem');
  });
});
