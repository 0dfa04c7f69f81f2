import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBeirDir, sharedDatasetsDir } from '../data/node';
import { exportBundle } from '../store/bundle-export';
import { openStudioDb } from '../store/db';
import { populate } from '../testing/bundle-fixture';
import { runCli } from '../testing/cli';
import { UsageError } from './args';
import { parseBundleArgs, runBundleInspect } from './bundle';

const dir = mkdtempSync(join(tmpdir(), 'stm-cli-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = join(dir, 'project.stmbundle');
const bad = join(dir, 'damaged.stmbundle');
let parts: { name: string; offset: number; bytes: number; sha256: string }[] = [];

beforeAll(async () => {
  const db = await openStudioDb(`cli-bundle-${Date.now()}`);
  await populate(db, await loadBeirDir(join(sharedDatasetsDir(), 'med'), 'med'));
  const { blob, manifest } = await exportBundle(db);
  db.close();
  parts = manifest.parts;
  const file = Buffer.from(await blob.arrayBuffer());
  writeFileSync(good, file);
  const runs = parts.find((p) => p.name === 'runs')!;
  const data0 = file.length - parts.reduce((s, p) => s + p.bytes, 0);
  file[data0 + runs.offset + 5] ^= 0xff;
  writeFileSync(bad, file);
});

describe('stm bundle inspect', () => {
  it('prints the manifest with every part verified, or as JSON', async () => {
    const out: string[] = [];
    await runBundleInspect(parseBundleArgs(['inspect', good]), (l) => out.push(l));
    const text = out.join('\n');
    expect(text).toContain('format:     stm-studio-bundle v1');
    for (const p of parts)
      expect(text).toMatch(new RegExp(`^${p.name} +\\d+ +${p.bytes}  ${p.sha256}  ok$`, 'm'));
    expect(text).toContain(`verified:   all ${parts.length} part checksums match`);
    const json: string[] = [];
    await runBundleInspect(parseBundleArgs(['inspect', '--json', good]), (l) => json.push(l));
    expect(JSON.parse(json.join('\n'))).toMatchObject({ format: 'stm-studio-bundle', verified: true });
    expect(() => parseBundleArgs(['unpack', good])).toThrow(UsageError);
    expect(() => parseBundleArgs(['inspect'])).toThrow('needs exactly one bundle file');
  });

  it('exits 1 naming the file and the damaged part', async () => {
    const r = await runCli(['bundle', 'inspect', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`error: BundleError: ${bad}: bundle part runs: checksum mismatch`);
  });
});
