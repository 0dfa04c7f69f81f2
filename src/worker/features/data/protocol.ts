/** Dataset requests of the worker protocol: their types and validation. */
import { isDatasetGroup, type DatasetGroup } from '../../../data/group';
import type { SplitPart } from '../../../data/split';
import type { DatasetMeta } from '../../../store/db';
import { int, isStr, num, type Need } from '../../protocol-check';

/** Deal the judged queries of split `from` into new splits of the same dataset (src/data/split.ts). */
export interface SplitDatasetRequest {
  dataset: string;
  from: string;
  into: SplitPart[];
  seed: number;
  /** replace splits of the same names (their runs are deleted); without it such a name is refused */
  replace?: boolean;
}
export interface SplitDatasetResult {
  meta: DatasetMeta;
  /** new split -> judged queries */
  sizes: Record<string, number>;
  /** runs deleted with the splits they replaced */
  deletedRuns: number;
}

export interface DataRequestMap {
  'list-datasets': [Record<string, never>, DatasetMeta[]];
  /**
   * Without a name: the folder's name (else "imported"), made unique ("med (2)") when a dataset with
   * other contents has it. With a name that a dataset with other contents has: refused with a
   * DatasetExistsError (saying how many runs would be deleted) unless `replace` (the user confirmed).
   */
  'import-dataset': [{ files: File[]; name?: string; replace?: boolean }, DatasetMeta];
  'load-demo': [Record<string, never>, DatasetMeta];
  'delete-dataset': [{ name: string }, null];
  /** new query splits of a stored dataset (corpus, queries, embeddings and other runs untouched) */
  'split-dataset': [SplitDatasetRequest, SplitDatasetResult];
  /** qid -> query text of a stored dataset (for per-query lists) */
  'query-texts': [{ dataset: string }, Record<string, string>];
  /** the dashboard group (medical or general) of a stored dataset */
  'set-dataset-group': [{ name: string; group: DatasetGroup }, DatasetMeta];
}

/** Validates the body of a dataset request; `need` throws the ProtocolError. */
export function checkDataRequest(t: keyof DataRequestMap, m: Record<string, unknown>, need: Need): void {
  switch (t) {
    case 'import-dataset':
      need(Array.isArray(m.files) && m.files.length > 0, 'import-dataset needs at least one file');
      need(m.name === undefined || isStr(m.name), 'import-dataset name must be a non-empty string');
      need(
        m.replace === undefined || typeof m.replace === 'boolean',
        'import-dataset replace must be a boolean',
      );
      break;
    case 'delete-dataset':
      need(isStr(m.name), 'delete-dataset needs name');
      break;
    case 'query-texts':
      need(isStr(m.dataset), 'query-texts needs dataset');
      break;
    case 'set-dataset-group':
      need(isStr(m.name), 'set-dataset-group needs name');
      need(isDatasetGroup(m.group), "set-dataset-group group must be 'medical' or 'general'");
      break;
    case 'split-dataset': {
      need(isStr(m.dataset) && isStr(m.from), 'split-dataset needs dataset and from');
      const into = m.into as { name?: unknown; fraction?: unknown }[];
      need(
        Array.isArray(into) && into.every((p) => isStr(p?.name) && num(p?.fraction, 0, 1)),
        'split-dataset into must be [{name, fraction}, ...]',
      );
      need(int(m.seed, 0, 0xffffffff), 'split-dataset seed must be an integer in 0..4294967295');
      need(
        m.replace === undefined || typeof m.replace === 'boolean',
        'split-dataset replace must be a boolean',
      );
      break;
    }
    case 'list-datasets':
    case 'load-demo':
      break;
  }
}
