/** Synthesize requests of the worker protocol (synthetic sets, their review, JSONL export/import). */
import type { PseudoOptions } from '../../../synth/pseudo';
import type { SynthFilter } from '../../../synth/review';
import type { ReviewPolicy, ReviewStatus, SynthItem } from '../../../synth/types';
import type { SynthDecision } from '../../../store/synth';
import type { SynthSetRecord } from '../../../store/synth-types';
import { int, isStr, num, type Need } from '../../protocol-check';
import type { EndpointConfig } from '../../../synth/endpoint-config';
import type { BackendPref } from '../../events';

export type { SynthDecision } from '../../../store/synth';
export type { SynthSetRecord } from '../../../store/synth-types';

/** Who writes an LLM set: a chat-completions server on this machine, or a decoder imported in the studio. */
export type LlmWriterSpec =
  { kind: 'endpoint'; config: EndpointConfig } | { kind: 'local'; model: string; backend?: BackendPref };

/** An LLM set's settings: k queries for each of the first `maxDocs` documents. */
export interface SynthLlmSettings {
  writer: LlmWriterSpec;
  perDoc: number;
  /** an LLM is slow: the first N documents of the corpus */
  maxDocs: number;
  temperature: number;
  seed: number;
  /** also write one hard negative per item from its first BM25 look-alike (the paper's prompt) */
  writeNegatives: boolean;
}

interface SynthGenerateCommon {
  dataset: string;
  /** hard negatives per item mined with BM25 from the same corpus (0 or absent: none) */
  negatives?: number;
  /** the set's name (default: "<dataset> <method> <time>") */
  name?: string;
}

/** Writes a new set for a stored dataset: pseudo-queries, or queries an LLM writes. */
export type SynthGenerateRequest =
  | (SynthGenerateCommon & { method: 'ict' | 'title'; options: PseudoOptions })
  | (SynthGenerateCommon & { method: 'llm'; llm: SynthLlmSettings });

export interface SynthPage {
  set: SynthSetRecord;
  items: SynthItem[];
  /** items that pass the filter (the page is items[offset .. offset + limit)) */
  total: number;
  offset: number;
  /** the sources (provenance methods) present in the set, for the filter */
  methods: string[];
}

export interface SynthRequestMap {
  /** pseudo-queries for a stored dataset's documents into a new set; progress phase 'generate' */
  'synth-generate': [SynthGenerateRequest, SynthSetRecord];
  'list-synth-sets': [Record<string, never>, SynthSetRecord[]];
  /** a page of a set's items that pass the filter */
  'synth-items': [{ set: string; filter: SynthFilter; offset: number; limit: number }, SynthPage];
  /** one decision on one item, stored with the set's counts; undo sends { kind: 'restore', item: <before> } */
  'synth-decide': [
    { set: string; item: string; decision: SynthDecision },
    { item: SynthItem; set: SynthSetRecord },
  ];
  /** accepts or rejects every item that passes the filter (one transaction) */
  'synth-bulk-decide': [
    { set: string; filter: SynthFilter; status: ReviewStatus },
    { changed: number; set: SynthSetRecord },
  ];
  'delete-synth-set': [{ set: string }, null];
  /** the set as sentence-transformers JSONL; the items the policy lets through */
  'synth-export': [{ set: string; policy: ReviewPolicy }, { fileName: string; text: string; count: number }];
  /** a JSONL file of {query, positive, negative|negatives} into a new set; a bad line stores nothing */
  'synth-import': [{ file: File; name?: string }, SynthSetRecord];
}
export type SynthRequestType = keyof SynthRequestMap;

const STATUSES: readonly unknown[] = ['pending', 'accepted', 'rejected'];
const isPolicy = (v: unknown): v is ReviewPolicy => v === 'accepted' || v === 'not-rejected';

function checkFilter(f: unknown, t: string, need: Need): void {
  need(typeof f === 'object' && f !== null, `${t} needs a filter (an object, {} for every item)`);
  const x = f as Record<string, unknown>;
  need(
    x.status === undefined || STATUSES.includes(x.status),
    `${t} filter.status must be pending|accepted|rejected`,
  );
  need(x.method === undefined || isStr(x.method), `${t} filter.method must be a non-empty string`);
  need(x.minScore === undefined || num(x.minScore, -1e9, 1e9), `${t} filter.minScore must be a number`);
  need(x.maxScore === undefined || num(x.maxScore, -1e9, 1e9), `${t} filter.maxScore must be a number`);
}

/** Checks pseudo-query options (src/synth/pseudo.ts); names the first bad field. */
function checkOptions(o: unknown, need: Need): void {
  need(typeof o === 'object' && o !== null, 'synth-generate needs options');
  const x = o as Partial<PseudoOptions>;
  need(x.method === 'ict' || x.method === 'title', 'options.method must be ict or title');
  need(int(x.perDoc, 1, 100), 'options.perDoc must be an integer in 1..100');
  need(int(x.minDocWords, 0, 100_000), 'options.minDocWords must be a non-negative integer');
  const q = x.queryWords;
  need(
    typeof q === 'object' && q !== null && int(q.min, 1, 1000) && int(q.max, 1, 1000) && q.min <= q.max,
    'options.queryWords must be { min, max } with 1 <= min <= max <= 1000',
  );
  need(int(x.seed, 0, 0xffffffff), 'options.seed must be an integer in 0..4294967295');
}

/** Checks an LLM set's settings (the endpoint's own fields are checked when its generator is made). */
function checkLlm(o: unknown, need: Need): void {
  need(typeof o === 'object' && o !== null, 'synth-generate method llm needs llm settings');
  const x = o as Partial<SynthLlmSettings>;
  const w = x.writer as Partial<LlmWriterSpec> | undefined;
  need(
    (w?.kind === 'endpoint' && typeof w.config === 'object' && w.config !== null) ||
      (w?.kind === 'local' && isStr(w.model)),
    'llm.writer must be { kind: "endpoint", config } or { kind: "local", model }',
  );
  need(int(x.perDoc, 1, 20), 'llm.perDoc must be an integer in 1..20');
  need(int(x.maxDocs, 1, 1_000_000), 'llm.maxDocs must be a positive integer');
  need(num(x.temperature, 0, 2), 'llm.temperature must be a number in 0..2');
  need(int(x.seed, 0, 0xffffffff), 'llm.seed must be an integer in 0..4294967295');
  need(typeof x.writeNegatives === 'boolean', 'llm.writeNegatives must be true or false');
}

function checkDecision(d: unknown, need: Need): void {
  need(typeof d === 'object' && d !== null, 'synth-decide needs a decision');
  const x = d as Record<string, unknown>;
  switch (x.kind) {
    case 'status':
      need(STATUSES.includes(x.status), 'decision status must be pending|accepted|rejected');
      break;
    case 'edit':
      need(
        (x.query === undefined || isStr(x.query)) && (x.positive === undefined || isStr(x.positive)),
        'an edit needs a non-empty query and/or positive',
      );
      need(
        x.status === undefined || STATUSES.includes(x.status),
        'edit status must be pending|accepted|rejected',
      );
      break;
    case 'false-negative':
      need(int(x.index, 0, 10_000) && typeof x.value === 'boolean', 'false-negative needs index and value');
      break;
    case 'restore':
      need(typeof x.item === 'object' && x.item !== null, 'restore needs the item as it was');
      break;
    default:
      need(false, 'decision.kind must be status|edit|false-negative|restore');
  }
}

/** Validates the body of a synthesize request; `need` throws the ProtocolError. */
export function checkSynthRequest(t: SynthRequestType, m: Record<string, unknown>, need: Need): void {
  switch (t) {
    case 'synth-generate':
      need(isStr(m.dataset), 'synth-generate needs dataset');
      need(
        m.method === 'ict' || m.method === 'title' || m.method === 'llm',
        'synth-generate method must be ict, title or llm',
      );
      if (m.method === 'llm') checkLlm(m.llm, need);
      else {
        checkOptions(m.options, need);
        need(
          (m.options as PseudoOptions).method === m.method,
          'synth-generate options.method must equal method',
        );
      }
      need(m.name === undefined || isStr(m.name), 'synth-generate name must be a non-empty string');
      need(
        m.negatives === undefined || int(m.negatives, 0, 16),
        'synth-generate negatives must be an integer in 0..16',
      );
      break;
    case 'synth-items':
      need(isStr(m.set), 'synth-items needs set');
      checkFilter(m.filter, t, need);
      need(
        int(m.offset, 0, 1e9) && int(m.limit, 1, 10_000),
        'synth-items needs offset >= 0 and limit 1..10000',
      );
      break;
    case 'synth-decide':
      need(isStr(m.set) && isStr(m.item), 'synth-decide needs set and item');
      checkDecision(m.decision, need);
      break;
    case 'synth-bulk-decide':
      need(isStr(m.set), 'synth-bulk-decide needs set');
      checkFilter(m.filter, t, need);
      need(STATUSES.includes(m.status), 'synth-bulk-decide status must be pending|accepted|rejected');
      break;
    case 'delete-synth-set':
      need(isStr(m.set), 'delete-synth-set needs set');
      break;
    case 'synth-export':
      need(isStr(m.set) && isPolicy(m.policy), 'synth-export needs set and policy accepted|not-rejected');
      break;
    case 'synth-import':
      need(typeof m.file === 'object' && m.file !== null, 'synth-import needs a file');
      need(m.name === undefined || isStr(m.name), 'synth-import name must be a non-empty string');
      break;
    case 'list-synth-sets':
      break;
  }
}
