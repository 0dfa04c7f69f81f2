import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/types';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import { AWKWARD, populate, saveRunOf, slice, snapshot } from '../testing/bundle-fixture';
import { importBundle } from './bundle-apply';
import { decodePart, encodePart } from './bundle-codec';
import { BundleConflictError, BundleError } from './bundle-error';
import { exportBundle } from './bundle-export';
import { APP_VERSION, sha256, writeContainer } from './bundle-format';
import { readBundle } from './bundle-read';
import { DB_VERSION, openStudioDb, type StudioDB } from './db';
import { listDatasets, loadDataset, saveDataset } from './datasets';
import { listRuns } from './runs';

let med: Dataset;
beforeAll(async () => {
  med = await loadBeirDir(join(sharedDatasetsDir(), 'med'), 'med');
});
let n = 0;
const dbs: StudioDB[] = [];
async function freshDb(): Promise<StudioDB> {
  const db = await openStudioDb(`bundle-test-${++n}-${Date.now()}`);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});
const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
const without = (s: Record<string, unknown>, ...names: string[]) =>
  Object.fromEntries(Object.entries(s).filter(([k]) => !names.includes(k)));

/** The bundle's manifest rewritten by `edit`, with a valid manifest checksum (damage past the checksum). */
async function withManifest(
  file: Uint8Array<ArrayBuffer>,
  edit: (m: Record<string, unknown>) => unknown,
): Promise<Uint8Array> {
  const len = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  const m = JSON.parse(new TextDecoder().decode(file.subarray(44, 44 + len))) as Record<string, unknown>;
  const out = edit(m);
  const json: Uint8Array<ArrayBuffer> = new TextEncoder().encode(
    typeof out === 'string' ? out : JSON.stringify(m),
  );
  const head = file.slice(0, 44);
  new DataView(head.buffer).setUint32(8, json.byteLength, true);
  const d = await sha256(json);
  for (let i = 0; i < 32; i++) head[12 + i] = parseInt(d.slice(2 * i, 2 * i + 2), 16);
  return new Uint8Array(await new Blob([head, json, file.slice(44 + len)]).arrayBuffer());
}

describe('the bundle codec', () => {
  it('round-trips every stored value kind bit for bit and refuses what it cannot bundle', () => {
    const buf = new Uint8Array([1, 2, 3, 250]).buffer;
    const value = {
      s: 'naïve ✓ 𝛼',
      n: [0, -0, NaN, 1 / 3, -Infinity, 2 ** 53],
      b: [true, false, null, undefined],
      d: new Date(Date.UTC(2026, 0, 2)),
      buf,
      f32: AWKWARD,
      view: new Float32Array(AWKWARD.buffer, 4, 3),
      ints: [
        new Int8Array([-1]),
        new Uint16Array([65535]),
        new Int32Array([-7]),
        new Float64Array([Math.PI]),
      ],
      big: new BigInt64Array([-(2n ** 63n)]),
      ['__proto__']: { nested: { deep: [[['x']]] } },
    };
    const [back] = decodePart('t', encodePart('t', [{ value }], false), false);
    const v = back.value as typeof value;
    expect(Object.is(v.n[1], -0)).toBe(true);
    expect(v.n.slice(2, 3)).toEqual([NaN]);
    expect(Buffer.from(v.f32.buffer).equals(Buffer.from(AWKWARD.buffer))).toBe(true);
    expect(v.view).toBeInstanceOf(Float32Array);
    expect([...v.view].map(String)).toEqual([...AWKWARD.subarray(1, 4)].map(String));
    expect(v.view.byteOffset).toBe(0); // its own buffer, not the whole one it was a view of
    expect(v).toEqual(value);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype); // "__proto__" stays a plain key
    expect(() => encodePart('experts', [{ value: { a: new Map() } }], false)).toThrow(
      'experts[0].a: a Map cannot be bundled',
    );
    const part = encodePart('x', [{ value: 'hello' }, { value: [1, 2] }], false);
    expect(() => decodePart('runs', part.subarray(0, part.length - 3), false)).toThrow(
      /^bundle part runs: malformed contents at byte \d+ \(it ends early\)/,
    );
  });

  it('says the version package.json has', () => {
    const pkg = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
  });
});

describe('project bundles', () => {
  it('export every store with a manifest, and import into an empty studio exactly', async () => {
    const src = await freshDb();
    await populate(src, med);
    const { blob, manifest } = await exportBundle(src, undefined, new Date('2026-12-03T12:00:00Z'));
    const file = await bytesOf(blob);
    expect(manifest).toMatchObject({
      format: 'stm-studio-bundle',
      formatVersion: 1,
      schemaVersion: DB_VERSION,
      createdAt: '2026-12-03T12:00:00.000Z',
      appVersion: APP_VERSION,
    });
    const names = [...src.objectStoreNames].filter((s) => s !== 'embeddings');
    expect(manifest.parts.map((p) => p.name).sort()).toEqual(names.sort());
    for (const p of manifest.parts)
      expect(p.records, p.name).toBe((await src.count(p.name as 'runs')) - (p.name === 'settings' ? 1 : 0));
    expect(manifest.omitted.map((o) => o.what)).toEqual([
      'embeddings',
      'settings backendPref',
      'settings llmEndpoint.apiKey',
    ]);
    const data = file.subarray(file.length - manifest.parts.reduce((s, p) => s + p.bytes, 0));
    for (const p of manifest.parts)
      expect(await sha256(data.subarray(p.offset, p.offset + p.bytes))).toBe(p.sha256);
    expect(new TextDecoder().decode(file)).not.toContain('SECRET');

    const dst = await freshDb();
    const summary = await importBundle(dst, file);
    expect(summary.datasets).toEqual(['med']);
    expect(summary.parts.every((p) => p.replaced === 0)).toBe(true);
    const a = await snapshot(src);
    const b = await snapshot(dst);
    expect(without(b, 'settings', 'embeddings')).toEqual(without(a, 'settings', 'embeddings'));
    expect(b.embeddings).toEqual([]);
    const endpoint = (await dst.get('settings', 'llmEndpoint')) as { apiKey: string; url: string };
    expect(endpoint).toMatchObject({ apiKey: '', url: 'http://localhost:1' });
    expect(await dst.get('settings', 'dataset')).toBe('med');
    expect(await src.get('settings', 'backendPref')).toBe('cpu');
    expect(await dst.get('settings', 'backendPref')).toBeUndefined(); // the machine's, not the project's
    expect((await loadDataset('med', dst)).docs.length).toBe(300);
  });

  it('a second import of the same bundle duplicates nothing and keeps what else is stored', async () => {
    const src = await freshDb();
    await populate(src, med);
    const file = await bytesOf((await exportBundle(src)).blob);
    const dst = await freshDb();
    await saveDataset(slice(med, 'other', 50), dst);
    await dst.put(
      'settings',
      { url: 'http://localhost:2', model: 'x', apiKey: 'MINE', rememberKey: true },
      'llmEndpoint',
    );
    await importBundle(dst, file);
    // the bundle's server, and this studio's remembered key (bundles carry none)
    expect(await dst.get('settings', 'llmEndpoint')).toMatchObject({
      url: 'http://localhost:1',
      apiKey: 'MINE',
    });
    const once = await snapshot(dst);
    const again = await importBundle(dst, file);
    expect(await snapshot(dst)).toEqual(once);
    for (const p of again.parts) expect(p.replaced, p.name).toBe(p.records);
    expect((await listDatasets(dst)).map((d) => d.name).sort()).toEqual(['med', 'other']);
  });

  it('a stored dataset with other contents is replaced only when confirmed, stale chunks and runs going', async () => {
    const src = await freshDb();
    await populate(src, med);
    const file = await bytesOf((await exportBundle(src)).blob);
    const dst = await freshDb();
    await saveDataset(slice(med, 'med', 900), dst); // more chunks than the bundle's med
    await saveRunOf(dst, slice(med, 'med', 900), '2026-11-01T00:00:00.000Z');
    await dst.put('embeddings', {
      key: 'glove|med|t',
      model: 'glove',
      dataset: 'med',
      data: new Float32Array(2),
    });
    const before = await snapshot(dst);
    const refused = await importBundle(dst, file).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BundleConflictError);
    expect((refused as Error).message).toContain('"med"');
    expect(await snapshot(dst)).toEqual(before);

    const s = await importBundle(dst, file, { replace: true });
    expect(s.replacedDatasets).toEqual(['med']);
    expect(await dst.count('embeddings')).toBe(0); // computed on the old contents
    expect((await loadDataset('med', dst)).docs.length).toBe(300);
    expect((await listRuns(undefined, dst)).map((r) => r.createdAt)).toEqual(['2026-12-01T10:00:00.000Z']);
    expect(without(await snapshot(dst), 'settings', 'embeddings')).toEqual(
      without(await snapshot(src), 'settings', 'embeddings'),
    );
  });

  it('refuses a damaged bundle naming the part, and the database is untouched', async () => {
    const src = await freshDb();
    await populate(src, med);
    const { blob, manifest } = await exportBundle(src);
    const file = await bytesOf(blob);
    const dst = await freshDb();
    await populate(dst, med, 'b');
    const before = await snapshot(dst);
    const data0 = file.length - manifest.parts.reduce((s, p) => s + p.bytes, 0);
    const cases: [string, Uint8Array | Promise<Uint8Array>, string | RegExp][] = [];
    for (const p of manifest.parts) {
      const flipped = file.slice();
      flipped[data0 + p.offset + Math.floor(p.bytes / 2)] ^= 0x10;
      cases.push([`flip in ${p.name}`, flipped, `bundle part ${p.name}: checksum mismatch`]);
    }
    const last = manifest.parts[manifest.parts.length - 1];
    cases.push([
      'truncated',
      file.subarray(0, file.length - 5),
      new RegExp(`^bundle part ${last.name}: missing or truncated`),
    ]);
    const flippedManifest = file.slice();
    flippedManifest[60] ^= 1;
    cases.push(['manifest byte', flippedManifest, 'bundle part manifest: checksum mismatch']);
    cases.push([
      'not a bundle',
      new TextEncoder().encode('{"format":1}'),
      /^bundle part header: this is not/,
    ]);
    cases.push([
      'bad manifest',
      withManifest(file, () => '{"format": "stm-studio-bundle",'),
      /^bundle part manifest: not valid JSON/,
    ]);
    cases.push([
      'newer schema',
      withManifest(file, (m) => (m.schemaVersion = DB_VERSION + 1)),
      `bundle part manifest: written at schema version ${DB_VERSION + 1}, newer than this studio's ${DB_VERSION}; open it in a newer studio. Nothing was imported.`,
    ]);
    cases.push([
      'bad omitted',
      withManifest(file, (m) => (m.omitted = [1])),
      /^bundle part manifest: omitted is not/,
    ]);
    cases.push([
      'wrong count',
      withManifest(
        file,
        (m) => ((m.parts as { name: string; records: number }[]).find((p) => p.name === 'runs')!.records = 2),
      ),
      'bundle part runs: holds 1 records, the manifest says 2',
    ]);
    // a bundle without its experts part (written as if the store had been skipped)
    const { records } = await readBundle(file);
    const parts = [...records]
      .filter(([name]) => name !== 'experts')
      .map(([name, entries]) => ({
        name,
        records: entries.length,
        keys: name === 'settings' ? ('explicit' as const) : ('inline' as const),
        data: encodePart(name, entries, name === 'settings'),
      }));
    const meta = { schemaVersion: DB_VERSION, createdAt: '', appVersion: APP_VERSION, omitted: [] };
    cases.push([
      'missing part',
      bytesOf((await writeContainer(meta, parts)).blob),
      /^bundle part experts: missing/,
    ]);
    for (const [what, damaged, message] of cases) {
      const e = await importBundle(dst, await damaged).catch((x: unknown) => x);
      expect(e, what).toBeInstanceOf(BundleError);
      expect((e as Error).message, what).toMatch(message);
      expect((e as Error).message, what).toContain('Nothing was imported.');
    }
    expect(await snapshot(dst)).toEqual(before);
  });
});
