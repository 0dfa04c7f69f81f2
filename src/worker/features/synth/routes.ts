/** The synthesize feature: pseudo-query sets of stored datasets, their review, JSONL export and import. */
import { parseTrainingPairsFile } from '../../../train/data';
import { withBm25Negatives } from '../../../synth/bm25-negatives';
import { pseudoQueries } from '../../../synth/pseudo';
import { exportJsonl, itemsFromPairs, matchesFilter } from '../../../synth/review';
import {
  createSynthSet,
  decideSynthItems,
  deleteSynthSet,
  getSynthSet,
  listSynthItems,
  listSynthSets,
  pageSynthItems,
} from '../../../store/synth';
import { newId } from '../../../store/training';
import { freeName } from '../../../store/names';
import type { StudioDB } from '../../../store/db';
import {
  checkSynthRequest,
  type SynthGenerateRequest,
  type SynthRequestMap,
  type SynthSetRecord,
} from './protocol';
import { writeLlmNegatives, writeLlmQueries } from './llm-set';
import type { SynthItem } from '../../../synth/types';
import type { Feature } from '../feature';

const stamp = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** What a set records of the form that made it (an endpoint's key never: only its URL and model). */
function generateSettings(req: SynthGenerateRequest): SynthSetRecord['settings'] {
  if (req.method !== 'llm') {
    const o = req.options;
    return {
      perDoc: o.perDoc,
      minDocWords: o.minDocWords,
      queryWordsMin: o.queryWords.min,
      queryWordsMax: o.queryWords.max,
      seed: o.seed,
    };
  }
  const l = req.llm;
  const w = l.writer;
  return {
    writer: w.kind === 'endpoint' ? `${w.config.baseUrl} (${w.config.model})` : w.model,
    perDoc: l.perDoc,
    maxDocs: l.maxDocs,
    temperature: l.temperature,
    seed: l.seed,
    writeNegatives: l.writeNegatives,
  };
}

/** `wanted`, or "wanted (2)"… when a set of that name exists. */
async function setName(wanted: string, db: StudioDB): Promise<string> {
  const names = new Set((await listSynthSets(db)).map((s) => s.name));
  return freeName(wanted, (n) => names.has(n));
}

export const synth: Feature<SynthRequestMap> = {
  check: checkSynthRequest,
  routes: {
    'synth-generate': {
      queued: true,
      run: async (req, ctx, host) => {
        ctx.progress('read', 0, 1, req.dataset);
        const ds = await host.dataset(req.dataset, ctx.db);
        const id = newId('synth');
        const llm = req.method === 'llm' ? req.llm : null;
        let written: SynthItem[];
        let model: string | undefined;
        let writer: Awaited<ReturnType<typeof writeLlmQueries>> | null = null;
        if (req.method === 'llm') {
          writer = await writeLlmQueries(req.llm, ds.docs, id, ctx, host);
          ({ items: written, model } = writer);
        } else {
          const opts = req.options;
          written = pseudoQueries(ds.docs, id, opts, (done, total) => {
            ctx.signal.throwIfAborted();
            ctx.progress('generate', done, total);
          });
          ctx.signal.throwIfAborted();
          if (written.length === 0)
            throw new Error(
              `no ${req.method} item could be written for "${req.dataset}": no document has ${opts.minDocWords} words or more; lower "minimum document length" and generate again`,
            );
        }
        const now = new Date().toISOString();
        // the paper's prompt writes a negative from a mined one: at least one look-alike for it
        const negatives = Math.max(req.negatives ?? 0, llm?.writeNegatives ? 1 : 0);
        let items = await withBm25Negatives(
          written,
          ds.docs,
          negatives,
          now,
          (done, total) => ctx.progress('mine', done, total),
          ctx.signal,
        );
        ctx.signal.throwIfAborted();
        if (llm?.writeNegatives && writer)
          items = await writeLlmNegatives(llm, items, writer.gen, writer.concurrency, ctx);
        ctx.progress('save', 0, 1);
        return createSynthSet(
          {
            id,
            name: await setName(req.name?.trim() || `${req.dataset} ${req.method} ${stamp(now)}`, ctx.db),
            dataset: req.dataset,
            method: req.method,
            settings: { ...generateSettings(req), bm25Negatives: negatives },
            ...(model ? { model } : {}),
            createdAt: now,
          },
          items,
          ctx.db,
        );
      },
    },
    'list-synth-sets': { run: (_req, ctx) => listSynthSets(ctx.db) },
    'synth-items': {
      run: async (req, ctx) => {
        const set = await getSynthSet(req.set, ctx.db);
        const f = req.filter;
        // a status filter alone (or none) pages through the index; the counts give the total
        if (f.method === undefined && f.minScore === undefined && f.maxScore === undefined) {
          const items = await pageSynthItems(req.set, f.status, req.offset, req.limit, ctx.db);
          const total = f.status ? set.counts[f.status] : set.counts.total;
          return { set, items, total, offset: req.offset, methods: [set.method] };
        }
        const all = await listSynthItems(req.set, undefined, ctx.db);
        const shown = all.filter((it) => matchesFilter(it, f));
        const methods = [...new Set(all.map((it) => it.provenance.method))].sort();
        return {
          set,
          items: shown.slice(req.offset, req.offset + req.limit),
          total: shown.length,
          offset: req.offset,
          methods,
        };
      },
    },
    'synth-decide': {
      run: async (req, ctx) => {
        const r = await decideSynthItems(req.set, [{ item: req.item, decision: req.decision }], ctx.db);
        return { item: r.items[0], set: r.set };
      },
    },
    'synth-bulk-decide': {
      queued: true,
      run: async (req, ctx) => {
        const all = await listSynthItems(req.set, undefined, ctx.db);
        const ids = all
          .filter((it) => matchesFilter(it, req.filter) && it.status !== req.status)
          .map((it) => it.id);
        const decision = { kind: 'status', status: req.status } as const;
        const r = await decideSynthItems(
          req.set,
          ids.map((item) => ({ item, decision })),
          ctx.db,
        );
        return { changed: ids.length, set: r.set };
      },
    },
    'delete-synth-set': {
      run: async (req, ctx) => {
        await deleteSynthSet(req.set, ctx.db);
        return null;
      },
    },
    'synth-export': {
      run: async (req, ctx) => {
        const set = await getSynthSet(req.set, ctx.db);
        const { text, count } = exportJsonl(await listSynthItems(req.set, undefined, ctx.db), req.policy);
        const safe = set.name.replace(/[^\w.-]+/g, '_');
        return {
          fileName: `${safe}.${req.policy === 'accepted' ? 'accepted' : 'not-rejected'}.jsonl`,
          text,
          count,
        };
      },
    },
    'synth-import': {
      queued: true,
      run: async (req, ctx) => {
        ctx.progress('read', 0, 1, req.file.name);
        // a bad line throws a DataError naming file:line before anything is stored
        const pairs = parseTrainingPairsFile(new Uint8Array(await req.file.arrayBuffer()), req.file.name);
        ctx.signal.throwIfAborted();
        ctx.progress('save', 0, 1);
        const id = newId('synth');
        const now = new Date().toISOString();
        return createSynthSet(
          {
            id,
            name: await setName(req.name?.trim() || req.file.name.replace(/\.jsonl?$/i, ''), ctx.db),
            dataset: '',
            method: 'import',
            settings: { file: req.file.name },
            createdAt: now,
          },
          itemsFromPairs(pairs, id, req.file.name, now),
          ctx.db,
        );
      },
    },
  },
};
