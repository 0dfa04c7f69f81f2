/** Project bundle requests of the worker protocol: export everything stored as one file, import one. */
import type { BundleImportSummary } from '../../../store/bundle-apply';
import type { BundleManifest } from '../../../store/bundle-format';
import type { Need } from '../../protocol-check';

export interface BundleRequestMap {
  /** every store but the embedding cache, as one bundle file (src/store/bundle-format.ts) */
  'export-bundle': [Record<string, never>, { blob: Blob; fileName: string; manifest: BundleManifest }];
  /**
   * verifies the whole file first (a damaged one is refused naming the part, nothing written), then writes
   * it in one transaction; stored datasets with other contents are refused (BundleConflictError) unless
   * `replace` (the user confirmed)
   */
  'import-bundle': [{ file: Blob; replace?: boolean }, BundleImportSummary];
}

/** Validates the body of a bundle request; `need` throws the ProtocolError. */
export function checkBundleRequest(t: keyof BundleRequestMap, m: Record<string, unknown>, need: Need): void {
  if (t !== 'import-bundle') return;
  need(typeof Blob !== 'undefined' && m.file instanceof Blob, 'import-bundle needs a file');
  need(m.replace === undefined || typeof m.replace === 'boolean', 'import-bundle replace must be a boolean');
}
