/** The project-bundle part of the UI store: what the last export or import did (or why it was refused). */
import type { BundleImportSummary } from '../../store/bundle-apply';
import type { BundleManifest } from '../../store/bundle-format';

export type BundleOutcome =
  | { kind: 'exported'; fileName: string; bytes: number; manifest: BundleManifest }
  | { kind: 'imported'; file: string; summary: BundleImportSummary }
  | { kind: 'refused'; file: string; message: string };

export interface BundleSlice {
  bundleOutcome: BundleOutcome | null;
  /** packs every store into one file (the caller downloads it); undefined when it failed */
  exportProject(): Promise<{ blob: Blob; fileName: string } | undefined>;
  /** verifies and imports a bundle file; a damaged one is refused naming the part, nothing imported */
  importProject(file: File): Promise<void>;
  dismissBundleOutcome(): void;
}
