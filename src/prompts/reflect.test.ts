import { afterEach, describe, expect, it } from 'vitest';
import { createCpuBackend } from '../gpu/cpu';
import { DEFAULT_ENDPOINT_CONFIG, generatorFromConfig } from '../synth/endpoint-config';
import { loadLocalGenerator } from '../synth/local-generator';
import { lastUserMessage, startChatServer, type ChatServer } from '../testing/chat-server';
import { demoDevTest, TINY_QWEN3, tinyQwen3 } from '../testing/prompt-fixture';
import { parseReflection, proposeReflective, reflectMessages } from './reflect';
import { searchPrompts } from './search';

let server: ChatServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
const endpoint = (url: string) =>
  generatorFromConfig({ ...DEFAULT_ENDPOINT_CONFIG, baseUrl: url, model: 'm', retries: 0, timeoutS: 10 });

describe('reflective proposals', () => {
  it('parse a reply leniently and refuse what cannot be an instruction', () => {
    expect(parseReflection('Given a medical question, retrieve answers')).toEqual({
      instruction: 'Given a medical question, retrieve answers',
    });
    expect(
      parseReflection(
        '<think>hmm</think>\n\n**New instruction:** "Find the answer to this health question"\nBecause …',
      ),
    ).toEqual({
      instruction: 'Find the answer to this health question',
    });
    expect(parseReflection('Instruction:\n- “Retrieve passages that answer the question”')).toEqual({
      instruction: 'Retrieve passages that answer the question',
    });
    expect(parseReflection('```\nRetrieve answers\n```')).toEqual({ instruction: 'Retrieve answers' });
    expect(parseReflection('  \n ')).toEqual({ error: 'the reply is empty' });
    expect(parseReflection('""')).toEqual({ error: 'the reply is empty' });
    expect(parseReflection('Retrieve {text} for the query')).toEqual({
      error: 'an instruction may not contain { or }',
    });
    expect(parseReflection('x'.repeat(400))).toEqual({ error: 'the reply is longer than 300 characters' });
  });

  it('show the model the instruction and the failed queries with their passages', () => {
    const m = reflectMessages('Given a question, retrieve passages', [
      {
        query: 'what causes gout?',
        ndcg10: 0,
        relevant: 'Gout is caused by uric acid.',
        wrong: 'Gout, a poem.',
      },
    ]);
    const user = m[m.length - 1].content;
    expect(user).toContain('Current instruction: Given a question, retrieve passages');
    expect(user).toContain('Query: what causes gout?');
    expect(user).toContain('Relevant passage: Gout is caused by uric acid.');
    expect(user).toContain('Passage wrongly ranked first: Gout, a poem.');
  });

  it('go through a real OpenAI-compatible server: good, bad and failed replies', async () => {
    const replies = ['Instruction: "Given a health question, retrieve the answer"', 'Use {text}', ''];
    server = await startChatServer((_req, n) =>
      n < replies.length
        ? { kind: 'ok', content: replies[n] }
        : { kind: 'status', status: 500, body: 'down' },
    );
    const g = endpoint(server.url);
    const o = { current: 'Given a question, retrieve passages', failures: [], seed: 1 };
    expect(await proposeReflective(g, o)).toMatchObject({
      instruction: 'Given a health question, retrieve the answer',
    });
    expect(await proposeReflective(g, o)).toMatchObject({
      error: 'an instruction may not contain { or }',
      reply: 'Use {text}',
    });
    expect(await proposeReflective(g, o)).toMatchObject({ error: 'the reply is empty' });
    expect((await proposeReflective(g, o)) as { error: string }).toHaveProperty(
      'error',
      expect.stringMatching(/500/),
    );
    expect(lastUserMessage(server.requests[0])).toContain(
      'Current instruction: Given a question, retrieve passages',
    );
  });

  it('in a search: the proposal is scored, a bad reply is skipped and logged, the search goes on', async () => {
    const dataset = await demoDevTest();
    const embedder = await tinyQwen3();
    const backend = createCpuBackend();
    const replies = ['Given a health question, retrieve the passage that answers it', '{broken}'];
    server = await startChatServer((_req, n) => ({ kind: 'ok', content: replies[n % 2] }));
    const r = await searchPrompts({
      embedder,
      backend,
      dataset,
      split: 'dev',
      candidates: [],
      taskType: 'consumer-health',
      mutate: false,
      generator: endpoint(server.url),
      seed: 3,
      budget: 5000,
      minQueries: 6,
    });
    const llm = r.leaderboard.filter((s) => s.candidate.origin === 'llm');
    expect(llm.map((s) => s.candidate.instruction)).toEqual([
      'Given a health question, retrieve the passage that answers it',
    ]);
    expect(llm[0].candidate.parent).toMatch(/^c\d+$/);
    expect(r.skipped).toEqual([
      expect.objectContaining({ error: 'an instruction may not contain { or }', reply: '{broken}' }),
    ]);
    // the model was shown failed dev queries with passages
    const asked = lastUserMessage(server.requests[0]);
    expect(asked).toMatch(/Query: .+\nRelevant passage: .+\nPassage wrongly ranked first: /);
    backend.destroy();
  }, 60_000);

  it('with the studio local generator (tiny Qwen3): a request it cannot serve is logged, not thrown', async () => {
    const dataset = await demoDevTest();
    const embedder = await tinyQwen3();
    const backend = createCpuBackend();
    const gen = await loadLocalGenerator(TINY_QWEN3);
    // the tiny model has 64 positions: the reflection prompt does not fit, so every proposal fails
    const r = await searchPrompts({
      embedder,
      backend,
      dataset,
      split: 'dev',
      candidates: [],
      taskType: 'medical-qa',
      mutate: false,
      generator: gen,
      seed: 3,
      budget: 5000,
      minQueries: 6,
    });
    expect(r.skipped?.length).toBe(2);
    expect(r.skipped![0].error).toMatch(/tiny-qwen3: generate: the prompt's \d+ tokens leave no room/);
    expect(r.leaderboard.some((s) => s.candidate.origin === 'llm')).toBe(false);
    expect(r.tried).toBeGreaterThan(2);
    gen.release();
    backend.destroy();
  }, 60_000);
});
