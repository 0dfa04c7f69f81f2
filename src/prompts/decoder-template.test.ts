/**
 * The tiny generated Qwen3 decoder with an instruction template, end to end: a search on the dev split,
 * the winner put into the model's query template, evaluate() on the test split the search never saw.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from '../eval/evaluate';
import { MemoryEmbeddingCache } from '../eval/embed-cache';
import { createCpuBackend } from '../gpu/cpu';
import { applyTemplate } from '../models/types';
import { demoDevTest, tinyQwen3 } from '../testing/prompt-fixture';
import { scorePrompt, searchPrompts } from './search';
import { queryPrompt, withInstruction } from './template';

describe('prompt search on the tiny Qwen3 decoder', () => {
  it('search → template → evaluation: the report carries the winner, with scorePrompt’s figure', async () => {
    const dataset = await demoDevTest(2);
    const base = await tinyQwen3();
    const backend = createCpuBackend();
    const cache = new MemoryEmbeddingCache();
    expect(queryPrompt(base).format).toBe('{instruction}\nQuery: {text}');
    const r = await searchPrompts({
      embedder: base,
      backend,
      dataset,
      split: 'dev',
      candidates: [
        { id: 'u', instruction: 'Given a question, retrieve the passage that answers it', origin: 'user' },
      ],
      taskType: 'consumer-health',
      seed: 4,
      budget: 2000,
      minQueries: 8,
      cache,
    });
    const winner = r.best.candidate.instruction;
    expect(winner).not.toBeNull();
    expect(winner).not.toBe(queryPrompt(base).instruction);

    const tuned = withInstruction(base, winner);
    expect(applyTemplate(tuned.templates.query, { text: 'what is gout?' })).toBe(
      `${winner}\nQuery: what is gout?`,
    );
    expect(tuned.templates.passage).toBe(base.templates.passage);
    const { report } = await evaluate({
      dataset,
      split: 'test',
      retriever: { kind: 'dense', embedder: tuned, backend, cache },
    });
    expect(report.instruction).toBe(winner);
    expect(report.queryTemplate).toBe(`${winner}\nQuery: {text}`);
    const once = await scorePrompt({
      embedder: base,
      backend,
      dataset,
      split: 'test',
      instruction: winner,
      cache,
    });
    expect(report.queries).toBe(once.queries);
    expect(report.metrics['ndcg@10']).toBe(once.ndcg10);
    expect(once.ndcg10).toBeGreaterThan(0);
    for (const [qid, s] of Object.entries(report.perQuery))
      expect(once.perQuery[qid], qid).toBe(s['ndcg@10']);
    // and the instruction matters: the model's default instruction scores the test split differently
    const plain = await evaluate({
      dataset,
      split: 'test',
      retriever: { kind: 'dense', embedder: base, backend, cache },
    });
    expect(plain.report.instruction).toBe(queryPrompt(base).instruction);
    expect(Object.values(plain.report.perQuery).map((s) => s['ndcg@10'])).not.toEqual(
      Object.values(once.perQuery),
    );
    backend.destroy();
  }, 120_000);
});
