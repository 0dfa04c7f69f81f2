/**
 * The project bundle container: one file, readable and writable by a browser without libraries.
 *
 *   bytes 0..8    "STMBUNDL"
 *   bytes 8..12   manifest length L (u32, little-endian)
 *   bytes 12..44  SHA-256 of the manifest bytes
 *   bytes 44..44+L  the manifest (UTF-8 JSON, `BundleManifest`)
 *   then the parts, one per object store, at the manifest's offsets (relative to byte 44+L), each with its
 *   SHA-256 in the manifest; a part's contents are bundle-codec's binary records.
 *
 * `parseContainer` checks all of it (magic, manifest checksum and fields, every part's range and checksum)
 * before anything is decoded, and throws a BundleError naming the damaged part.
 */
import { BundleError } from './bundle-error';

export const BUNDLE_FORMAT = 'stm-studio-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
/** the studio's version (package.json; a test keeps them equal) */
export const APP_VERSION = '0.1.0';
const MAGIC = 'STMBUNDL';
const HEAD = 8 + 4 + 32;

export interface BundlePart {
  /** the object store the records come from */
  name: string;
  records: number;
  /** byte offset from the end of the manifest */
  offset: number;
  bytes: number;
  sha256: string;
  /** 'explicit': each record is key then value (stores with out-of-line keys) */
  keys: 'inline' | 'explicit';
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  /** the IndexedDB schema version (db.ts DB_VERSION) the records were read at */
  schemaVersion: number;
  createdAt: string;
  appVersion: string;
  parts: BundlePart[];
  /** stores or fields deliberately left out, and why */
  omitted: { what: string; why: string }[];
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The bundle file: header, manifest and the parts (in manifest order, contiguous). */
export async function writeContainer(
  meta: Omit<BundleManifest, 'parts' | 'format' | 'formatVersion'>,
  parts: { name: string; records: number; keys: BundlePart['keys']; data: Uint8Array }[],
): Promise<{ blob: Blob; manifest: BundleManifest }> {
  let offset = 0;
  const described: BundlePart[] = [];
  for (const p of parts) {
    described.push({
      name: p.name,
      records: p.records,
      offset,
      bytes: p.data.byteLength,
      sha256: await sha256(p.data),
      keys: p.keys,
    });
    offset += p.data.byteLength;
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    ...meta,
    parts: described,
  };
  const json = new TextEncoder().encode(JSON.stringify(manifest, null, 1));
  const head = new Uint8Array(HEAD);
  head.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(head.buffer).setUint32(8, json.byteLength, true);
  const digest = await sha256(json);
  for (let i = 0; i < 32; i++) head[12 + i] = parseInt(digest.slice(2 * i, 2 * i + 2), 16);
  const blob = new Blob([head, json, ...parts.map((p) => p.data as Uint8Array<ArrayBuffer>)], {
    type: 'application/octet-stream',
  });
  return { blob, manifest };
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const isInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function checkManifest(m: unknown, latestSchema: number): BundleManifest {
  const bad = (what: string): never => {
    throw new BundleError('manifest', what);
  };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) bad('it is not a JSON object');
  const o = m as Record<string, unknown>;
  if (o.format !== BUNDLE_FORMAT) bad(`format is ${JSON.stringify(o.format)}, not "${BUNDLE_FORMAT}"`);
  if (!isInt(o.formatVersion) || (o.formatVersion as number) > BUNDLE_FORMAT_VERSION)
    bad(
      `format version ${String(o.formatVersion)} is newer than this studio reads (${BUNDLE_FORMAT_VERSION}); update the studio`,
    );
  if (!isInt(o.schemaVersion) || (o.schemaVersion as number) < 1)
    bad('schemaVersion is not a positive integer');
  if ((o.schemaVersion as number) > latestSchema)
    bad(
      `written at schema version ${String(o.schemaVersion)}, newer than this studio's ${latestSchema}; open it in a newer studio`,
    );
  if (typeof o.createdAt !== 'string' || typeof o.appVersion !== 'string')
    bad('createdAt or appVersion missing');
  if (!Array.isArray(o.parts)) bad('parts is not a list');
  const omitted = o.omitted as { what?: unknown; why?: unknown }[];
  if (
    !Array.isArray(omitted) ||
    !omitted.every((x) => typeof x?.what === 'string' && typeof x?.why === 'string')
  )
    bad('omitted is not a list of {what, why}');
  const seen = new Set<string>();
  for (const [i, p] of (o.parts as Record<string, unknown>[]).entries()) {
    const ok =
      typeof p === 'object' &&
      p !== null &&
      typeof p.name === 'string' &&
      isInt(p.records) &&
      isInt(p.offset) &&
      isInt(p.bytes) &&
      typeof p.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(p.sha256) &&
      (p.keys === 'inline' || p.keys === 'explicit');
    if (!ok) bad(`parts[${i}] is not {name, records, offset, bytes, sha256, keys}`);
    if (seen.has(p.name as string)) bad(`part ${String(p.name)} is listed twice`);
    seen.add(p.name as string);
  }
  return o as unknown as BundleManifest;
}

/**
 * Checks a whole bundle file: header, manifest (against the newest schema this studio knows), and every
 * part's range and SHA-256. Returns the manifest and each part's bytes; throws a BundleError naming the
 * first damaged part. `onPart` hears each verified part (progress).
 */
export async function parseContainer(
  file: Uint8Array,
  latestSchema: number,
  onPart?: (done: number, total: number, name: string) => void,
): Promise<{ manifest: BundleManifest; parts: Map<string, Uint8Array> }> {
  if (file.byteLength < HEAD || new TextDecoder().decode(file.subarray(0, 8)) !== MAGIC)
    throw new BundleError('header', 'this is not an STM Studio project bundle (no "STMBUNDL" header)');
  const len = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(8, true);
  if (HEAD + len > file.byteLength)
    throw new BundleError(
      'manifest',
      `the file ends inside the manifest (truncated at ${file.byteLength} bytes)`,
    );
  const json = file.subarray(HEAD, HEAD + len);
  if ((await sha256(json)) !== hex(file.subarray(12, HEAD)))
    throw new BundleError('manifest', 'checksum mismatch');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (e) {
    throw new BundleError('manifest', `not valid JSON (${(e as Error).message})`);
  }
  const manifest = checkManifest(parsed, latestSchema);
  const data = file.subarray(HEAD + len);
  let end = 0;
  const parts = new Map<string, Uint8Array>();
  for (const [i, p] of manifest.parts.entries()) {
    if (p.offset !== end) throw new BundleError(p.name, `starts at byte ${p.offset}, expected ${end}`);
    end = p.offset + p.bytes;
    if (end > data.byteLength)
      throw new BundleError(
        p.name,
        `missing or truncated (the file holds ${Math.max(0, data.byteLength - p.offset)} of its ${p.bytes} bytes)`,
      );
    const bytes = data.subarray(p.offset, end);
    if ((await sha256(bytes)) !== p.sha256) throw new BundleError(p.name, 'checksum mismatch');
    parts.set(p.name, bytes);
    onPart?.(i + 1, manifest.parts.length, p.name);
  }
  if (end !== data.byteLength)
    throw new BundleError('manifest', `${data.byteLength - end} bytes after the last part`);
  return { manifest, parts };
}
