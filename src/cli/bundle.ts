/** `stm bundle inspect <file> [--json]`: a project bundle's manifest, every part's checksum verified. */
import { readFile } from 'node:fs/promises';
import { BundleError } from '../store/bundle-error';
import { readBundle } from '../store/bundle-read';
import { DB_VERSION } from '../store/db';
import { UsageError } from './args';

export const BUNDLE_USAGE = `stm bundle inspect <file.stmbundle> [--json]
  Prints a project bundle's manifest (format, schema version, creation time, app version, each part's
  records, bytes and SHA-256) after verifying every checksum and decoding every record; a damaged bundle
  exits with 1 naming the part. --json prints the manifest as JSON.`;

/** A bundle that does not verify: the file and the part named. */
export class BundleInspectError extends Error {
  constructor(file: string, e: BundleError) {
    super(`${file}: bundle part ${e.part}: ${e.problem}`);
    this.name = 'BundleError';
  }
}

export function parseBundleArgs(args: string[]): { file: string; json: boolean } {
  const [sub, ...rest] = args;
  if (sub !== 'inspect') throw new UsageError(`stm bundle needs "inspect", not ${JSON.stringify(sub ?? '')}`);
  const json = rest.includes('--json');
  const files = rest.filter((a) => a !== '--json');
  const unknown = files.find((a) => a.startsWith('--'));
  if (unknown) throw new UsageError(`stm bundle inspect: unknown option ${unknown}`);
  if (files.length !== 1) throw new UsageError('stm bundle inspect needs exactly one bundle file');
  return { file: files[0], json };
}

export async function runBundleInspect(
  opts: { file: string; json: boolean },
  print = console.log,
): Promise<void> {
  const bytes = await readFile(opts.file).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${opts.file}: cannot read the bundle (${e.code ?? e.message})`);
  });
  const { manifest } = await readBundle(new Uint8Array(bytes)).catch((e: unknown) => {
    throw e instanceof BundleError ? new BundleInspectError(opts.file, e) : e;
  });
  if (opts.json) {
    print(JSON.stringify({ ...manifest, verified: true }, null, 2));
    return;
  }
  const migrated =
    manifest.schemaVersion < DB_VERSION ? `, imports through the migrations to ${DB_VERSION}` : '';
  print(`file:       ${opts.file} (${bytes.byteLength.toLocaleString('en-US')} bytes)`);
  print(`format:     ${manifest.format} v${manifest.formatVersion}`);
  print(`schema:     version ${manifest.schemaVersion}${migrated}`);
  print(`created:    ${manifest.createdAt} by STM Studio ${manifest.appVersion}`);
  print(['part'.padEnd(18), 'records'.padStart(9), 'bytes'.padStart(12), '  sha256'].join(''));
  for (const p of manifest.parts)
    print(
      [
        p.name.padEnd(18),
        String(p.records).padStart(9),
        String(p.bytes).padStart(12),
        `  ${p.sha256}  ok`,
      ].join(''),
    );
  for (const o of manifest.omitted) print(`left out:   ${o.what}: ${o.why}`);
  print(`verified:   all ${manifest.parts.length} part checksums match and every record decodes`);
}
