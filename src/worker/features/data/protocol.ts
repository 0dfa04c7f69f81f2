/** Dataset requests of the worker protocol: their types and validation. */
import type { DatasetMeta } from '../../../store/db';
import { isStr, type Need } from '../../protocol-check';

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
  /** qid -> query text of a stored dataset (for per-query lists) */
  'query-texts': [{ dataset: string }, Record<string, string>];
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
    case 'list-datasets':
    case 'load-demo':
      break;
  }
}
