/**
 * The prompt search: successive halving over instruction candidates on a dev split (src/prompts/search-types.ts
 * is its contract; docs/prompt-search.md explains it).
 *
 * The split's judged queries are put in one seeded order; rung r scores its candidates on the first n_r of
 * them (n_0 = minQueries, n_{r+1} = eta·n_r, the last rung the whole split), so every score of a rung is on
 * the same queries and a survivor only embeds the queries it has not yet. Rung 0 holds the baseline (no
 * instruction), the embedder's current instruction, the given and the library's candidates; the top 1/eta
 * go on. Between rungs, mutations and LLM proposals of the survivors are scored on rung 0's queries and
 * join the survivors when they beat the weakest of them there. The budget counts query embeddings: a step
 * that would pass it is not taken (the baseline's catch-up to the best's queries is reserved).
 */
import { qrelsOf } from '../data/qrels-check';
import { isTestSplitName } from '../data/split';
import type { Query } from '../data/types';
import { embedCorpus } from '../eval/dense';
import { permutation, subSeed } from '../util/rng';
import { bootstrapCI } from './bootstrap';
import { libraryInstructions } from './library';
import { mutations } from './mutate';
import { checkInstruction, PromptError } from './policy';
import { proposeReflective, truncate, type FailedQuery } from './reflect';
import { judgedQueries, SCORE_DEPTH, scoreQueries, throwIfAborted } from './score';
import type {
  CandidateOrigin,
  PromptCandidate,
  PromptScore,
  PromptSearchOptions,
  PromptSearchResult,
} from './search-types';
import { queryPrompt } from './template';

export { scorePrompt, type PromptFigure, type ScorePromptOptions } from './score';

export const DEFAULT_ETA = 3;
export const DEFAULT_MIN_QUERIES = 50;
export const DEFAULT_REFLECT_ROUNDS = 2;
/** survivors whose instructions are mutated between rungs */
export const MUTATE_PARENTS = 2;
/** failed queries shown to the LLM */
export const REFLECT_EXAMPLES = 3;

interface Entry {
  c: PromptCandidate;
  /** nDCG@10 of the first ndcg.length queries of the search order */
  ndcg: number[];
  /** top-ranked doc index per query */
  top: number[];
  ci: [number, number];
}

const mean = (xs: readonly number[], n = xs.length) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  return n > 0 ? s / n : 0;
};
const order = (a: Entry, b: Entry) => {
  const d = mean(b.ndcg) - mean(a.ndcg);
  return d !== 0 ? d : Number(a.c.id.slice(1)) - Number(b.c.id.slice(1));
};

/** Queries per rung: minQueries, ×eta, … up to the whole split. */
export function halvingSchedule(total: number, minQueries: number, eta: number): number[] {
  const out = [Math.min(total, minQueries)];
  while (out[out.length - 1] < total)
    out.push(Math.min(total, Math.max(out[out.length - 1] + 1, Math.round(out[out.length - 1] * eta))));
  return out;
}

function checkOptions(o: PromptSearchOptions): { eta: number; minQueries: number } {
  if (isTestSplitName(o.split))
    throw new PromptError(
      `prompt search: split "${o.split}" is a test split; search on a dev split (the winner's test score is computed once, after the search, on the split it never saw)`,
    );
  const eta = o.eta ?? DEFAULT_ETA;
  const minQueries = o.minQueries ?? DEFAULT_MIN_QUERIES;
  if (!Number.isInteger(o.budget) || o.budget < 1)
    throw new PromptError(
      `prompt search: the budget must be a positive whole number of query embeddings, got ${o.budget}`,
    );
  if (!Number.isFinite(eta) || eta < 1.5 || eta > 100)
    throw new PromptError(`prompt search: eta must be in [1.5, 100], got ${eta}`);
  if (!Number.isInteger(minQueries) || minQueries < 1)
    throw new PromptError(`prompt search: minQueries must be a positive whole number, got ${minQueries}`);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new PromptError(`prompt search: bad seed ${o.seed}`);
  return { eta, minQueries };
}

export async function searchPrompts(o: PromptSearchOptions): Promise<PromptSearchResult> {
  const { eta, minQueries } = checkOptions(o);
  const { embedder, backend, dataset, signal, seed, budget } = o;
  const qrels = qrelsOf(dataset, o.split);
  const pool = judgedQueries(dataset, qrels);
  if (pool.length === 0)
    throw new PromptError(
      `prompt search: split "${o.split}" of "${dataset.name}" has no judged query with text`,
    );
  const queries: Query[] = permutation(pool.length, subSeed(seed, 1)).map((i) => pool[i]);
  const ns = halvingSchedule(queries.length, minQueries, eta);
  const rungs = ns.length;
  const ciSeed = subSeed(seed, 3);
  const docIndex = new Map(dataset.docs.map((d, i) => [d.id, i]));

  // candidates, deduplicated by instruction ('' is the baseline's)
  const entries: Entry[] = [];
  const seen = new Set<string>();
  const add = (
    instruction: string | null,
    origin: CandidateOrigin,
    extra: { parent?: string; note?: string } = {},
  ): Entry | null => {
    const text = instruction === null ? null : checkInstruction(instruction, `candidate (${origin})`);
    const key = text ?? '';
    if (seen.has(key)) return null;
    seen.add(key);
    const e: Entry = {
      c: { id: `c${entries.length}`, instruction: text, origin, ...extra },
      ndcg: [],
      top: [],
      ci: [0, 0],
    };
    entries.push(e);
    return e;
  };
  const baseline = add(null, 'baseline')!;
  const current = queryPrompt(embedder).instruction;
  if (current) add(current, 'current');
  for (const c of o.candidates)
    add(c.instruction, c.origin, {
      ...(c.note !== undefined ? { note: c.note } : {}),
    });
  if (o.taskType) for (const s of libraryInstructions(o.taskType)) add(s, 'library', { note: o.taskType });

  const progress = (phase: 'embed-corpus' | 'propose' | 'score', rung: number, done: number, total: number) =>
    o.onProgress?.({ phase, rung, rungs, done, total, spent, budget, leaderboard: board() });
  const scoreOf = (e: Entry): PromptScore => ({
    candidate: e.c,
    ndcg10: mean(e.ndcg),
    ci: e.ci,
    queries: e.ndcg.length,
    rung: Math.max(0, ns.indexOf(e.ndcg.length)),
  });
  const board = (): PromptScore[] =>
    entries
      .filter((e) => e.ndcg.length > 0)
      .sort((a, b) => b.ndcg.length - a.ndcg.length || order(a, b))
      .map(scoreOf);

  let spent = 0;
  progress('embed-corpus', 0, 0, dataset.docs.length);
  const corpus = await embedCorpus({
    dataset,
    queries: [],
    embedder,
    backend,
    depth: SCORE_DEPTH,
    cache: o.cache,
    signal,
    onProgress: (p) => progress('embed-corpus', 0, p.done, p.total),
  });

  /** scores e on the first n queries of the order (only those it has not been scored on) */
  const ensure = async (e: Entry, n: number) => {
    if (e.ndcg.length >= n) return;
    throwIfAborted(signal);
    const s = await scoreQueries({
      embedder,
      backend,
      dataset,
      corpus,
      qrels,
      instruction: e.c.instruction,
      queries: queries.slice(e.ndcg.length, n),
      signal,
    });
    spent += n - e.ndcg.length;
    e.ndcg.push(...s.ndcg);
    e.top.push(...s.top);
    e.ci = bootstrapCI(e.ndcg, ciSeed);
  };
  const cost = (es: readonly Entry[], n: number) =>
    es.reduce((s, e) => s + Math.max(0, n - e.ndcg.length), 0);
  /**
   * Whether scoring `es` on n queries fits the budget with the baseline's catch-up to `reserve` queries
   * kept aside (the baseline is always scored on the best's queries at the end).
   */
  const fits = (es: readonly Entry[], n: number, reserve = n) =>
    spent +
      cost(
        es.filter((e) => e !== baseline),
        n,
      ) +
      cost([baseline], Math.max(reserve, es.includes(baseline) ? n : 0)) <=
    budget;
  let stopped: string | undefined;
  const stop = (what: string, need: number, n: number) => {
    stopped = `budget: ${what} needs ${need} more query embeddings (${cost([baseline], n) > 0 ? 'with the baseline on the same queries ' : ''}${spent} of ${budget} spent)`;
  };

  // rung 0: the baseline first, then the others in the order they were made, while the budget allows
  const first = entries.slice();
  if (ns[0] > budget)
    throw new PromptError(
      `prompt search: the budget (${budget} query embeddings) does not cover the baseline on the first rung's ${ns[0]} queries; raise the budget or lower minQueries`,
    );
  let alive: Entry[] = [];
  for (let i = 0; i < first.length; i++) {
    if (!fits([first[i]], ns[0])) {
      stop(`scoring the rest of rung 0 (${first.length - i} candidates)`, ns[0] * (first.length - i), ns[0]);
      break;
    }
    await ensure(first[i], ns[0]);
    alive.push(first[i]);
    progress('score', 0, i + 1, first.length);
  }

  const skipped: { parent: string; error: string; reply?: string }[] = [];
  const rounds = o.reflectRounds ?? DEFAULT_REFLECT_ROUNDS;
  const proposing = (o.mutate ?? true) || o.generator !== undefined;
  let round = 0;
  let r = 0;
  while (!stopped) {
    alive.sort(order);
    if (proposing && round < rounds) {
      const made = await propose(alive, round++);
      const keepNow = alive.slice(0, Math.max(1, Math.ceil(alive.length / eta)));
      const bar = Math.min(...keepNow.map((e) => mean(e.ndcg, ns[0])));
      for (let i = 0; i < made.length && !stopped; i++) {
        if (!fits([made[i]], ns[0], ns[r])) {
          stop(`scoring ${made.length - i} proposals on rung 0`, ns[0] * (made.length - i), ns[r]);
          break;
        }
        await ensure(made[i], ns[0]);
        progress('score', r, i + 1, made.length);
        if (r > 0 && mean(made[i].ndcg, ns[0]) < bar) continue;
        if (r > 0) {
          if (!fits([made[i]], ns[r])) {
            stop(`promoting a proposal to rung ${r}`, ns[r] - ns[0], ns[r]);
            break;
          }
          await ensure(made[i], ns[r]);
        }
        alive.push(made[i]);
      }
      alive.sort(order);
    }
    if (stopped || alive.length <= 1 || r === rungs - 1) break;
    const keep = alive.slice(0, Math.max(1, Math.ceil(alive.length / eta)));
    const need = cost(keep, ns[r + 1]);
    if (!fits(keep, ns[r + 1])) {
      stop(`rung ${r + 1} (${keep.length} candidates on ${ns[r + 1]} queries)`, need, ns[r + 1]);
      break;
    }
    r++;
    for (let i = 0; i < keep.length; i++) {
      await ensure(keep[i], ns[r]);
      progress('score', r, i + 1, keep.length);
    }
    alive = keep;
  }

  alive.sort(order);
  // the baseline on the best's queries (reserved in every budget check)
  await ensure(baseline, alive[0].ndcg.length);
  const leaderboard = board();
  progress('score', r, 1, 1);
  return {
    dataset: dataset.name,
    split: o.split,
    seed,
    model: embedder.id,
    best: leaderboard[0],
    baseline: scoreOf(baseline),
    tried: leaderboard.length,
    spent,
    leaderboard,
    schedule: ns,
    ...(stopped ? { stopped } : {}),
    ...(skipped.length ? { skipped } : {}),
  };

  /** mutations of the top survivors and one reflective LLM proposal from the best */
  async function propose(ranked: readonly Entry[], k: number): Promise<Entry[]> {
    progress('propose', r, 0, 1);
    const made: Entry[] = [];
    if (o.mutate ?? true) {
      const parents = ranked.filter((e) => e.c.instruction !== null).slice(0, MUTATE_PARENTS);
      parents.forEach((p, j) => {
        for (const m of mutations(p.c.instruction!, {
          task: o.taskType,
          seed: subSeed(seed, 1000 + 16 * k + j),
        })) {
          const e = add(m.instruction, 'mutation', { parent: p.c.id, note: m.rule });
          if (e) made.push(e);
        }
      });
    }
    if (o.generator) {
      const best = ranked[0];
      const got = await proposeReflective(o.generator, {
        current: best.c.instruction,
        failures: failures(best),
        seed: subSeed(seed, 2000 + k),
        temperature: o.temperature,
        signal,
      });
      if ('error' in got)
        skipped.push({
          parent: best.c.id,
          error: got.error,
          ...(got.reply !== undefined ? { reply: got.reply } : {}),
        });
      else {
        const e = add(got.instruction, 'llm', { parent: best.c.id });
        if (e) made.push(e);
        else skipped.push({ parent: best.c.id, error: 'the proposal repeats a candidate', reply: got.reply });
      }
    }
    progress('propose', r, 1, 1);
    return made;
  }

  /** the best's worst queries, each with a relevant passage and the passage it ranked first */
  function failures(e: Entry): FailedQuery[] {
    const text = (i: number) => {
      const d = dataset.docs[i];
      return truncate(d.title ? `${d.title}. ${d.text}` : d.text);
    };
    return e.ndcg
      .map((v, i) => ({ v, i }))
      .filter((x) => x.v < 1)
      .sort((a, b) => a.v - b.v || a.i - b.i)
      .slice(0, REFLECT_EXAMPLES)
      .map(({ v, i }) => {
        const q = queries[i];
        const judged = qrels.get(q.id)!;
        const rel = [...judged].filter(([id, g]) => g > 0 && docIndex.has(id)).sort((a, b) => b[1] - a[1])[0];
        const top = e.top[i];
        const topRel = top >= 0 ? (judged.get(dataset.docs[top].id) ?? 0) > 0 : false;
        return {
          query: q.text,
          ndcg10: v,
          relevant: rel ? text(docIndex.get(rel[0])!) : null,
          wrong: top >= 0 && !topRel ? text(top) : null,
        };
      });
  }
}
