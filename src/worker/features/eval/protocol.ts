/** Evaluation requests of the worker protocol (evaluate, stored runs, drill-down): their types and validation. */
import type { RunRecord } from '../../../store/db';
import type { Scores } from '../../../eval/types';
import type { HybridSpec } from '../../../eval/hybrid-label';
import type { BackendPref } from '../../events';
import { isPref, isStr, optNum, type Need } from '../../protocol-check';

/** 'bm25' (lexical, no backend needed), a dense model ('expert:<id>' included) or BM25 + dense fused. */
export type RetrieverChoice = 'bm25' | { model: string } | { hybrid: HybridSpec };
export interface Bm25Params {
  k1?: number;
  b?: number;
}

export interface EvaluateRequest {
  dataset: string;
  split: string;
  retriever: RetrieverChoice;
  backend: BackendPref;
  bm25?: Bm25Params;
  /** ranked list depth (default 1000) */
  depth?: number;
  /** hits per query kept for drill-down (default 100) */
  keep?: number;
}

/** One document line of a drill-down. */
export interface DocView {
  id: string;
  title: string;
  /** the start of the text */
  snippet: string;
  /** qrels grade, or null when unjudged */
  grade: number | null;
  /** 1-based rank in the stored hits, null when below the kept depth */
  rank: number | null;
  score: number | null;
}
export interface QueryDetails {
  runId: string;
  qid: string;
  text: string;
  metrics: Scores;
  top: DocView[];
  /** relevant (grade > 0) docs that are not in the top 10, best rank first */
  missed: DocView[];
  /** hits kept per query: a missed doc with rank null ranked below this */
  kept: number;
}

export interface EvalRequestMap {
  evaluate: [EvaluateRequest, RunRecord];
  'list-runs': [{ dataset?: string }, RunRecord[]];
  'query-details': [{ runId: string; qid: string }, QueryDetails];
  'delete-run': [{ runId: string }, null];
}

function isHybrid(h: unknown): boolean {
  if (typeof h !== 'object' || h === null) return false;
  const x = h as Record<string, unknown>;
  return isStr(x.dense) && (x.fusion === 'rrf' || x.fusion === 'wsum') && optNum(x.alpha, 0, 1);
}

/** Validates the body of an evaluation request; `need` throws the ProtocolError. */
export function checkEvalRequest(t: keyof EvalRequestMap, m: Record<string, unknown>, need: Need): void {
  switch (t) {
    case 'evaluate': {
      need(isStr(m.dataset) && isStr(m.split), 'evaluate needs dataset and split');
      const r = m.retriever;
      need(
        r === 'bm25' ||
          (typeof r === 'object' && r !== null && isStr((r as { model?: unknown }).model)) ||
          (typeof r === 'object' && r !== null && isHybrid((r as { hybrid?: unknown }).hybrid)),
        "evaluate retriever must be 'bm25', { model } or { hybrid: { dense, fusion: 'rrf'|'wsum', alpha? } }",
      );
      need(isPref(m.backend), 'evaluate needs backend auto|webgpu|cpu');
      const bm = (m.bm25 ?? {}) as Record<string, unknown>;
      need(optNum(bm.k1, 0, 100) && optNum(bm.b, 0, 1), 'bm25 k1 must be in 0..100 and b in 0..1');
      need(optNum(m.depth, 1, 10000) && optNum(m.keep, 10, 1000), 'depth must be 1..10000 and keep 10..1000');
      break;
    }
    case 'list-runs':
      need(m.dataset === undefined || isStr(m.dataset), 'list-runs dataset must be a string');
      break;
    case 'query-details':
      need(isStr(m.runId) && isStr(m.qid), 'query-details needs runId and qid');
      break;
    case 'delete-run':
      need(isStr(m.runId), 'delete-run needs runId');
      break;
  }
}
