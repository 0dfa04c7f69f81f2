import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileEmbeddingCache } from './embed-cache-node';

const dir = mkdtempSync(join(tmpdir(), 'stm-embed-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FileEmbeddingCache', () => {
  it('creates a missing folder when opened, so the first flush after long work cannot fail on it', async () => {
    const file = join(dir, 'not', 'yet', 'there', 'use-lite');
    const cache = await FileEmbeddingCache.open(file);
    expect(existsSync(join(dir, 'not', 'yet', 'there'))).toBe(true);
    await cache.put('a', Float32Array.of(1, 2, 3));
    await cache.put('b', Float32Array.of(4, 5, 6));
    await cache.flush();
    const again = await FileEmbeddingCache.open(file);
    expect(await again.get('b')).toEqual(Float32Array.of(4, 5, 6));
    expect(again.rows.size).toBe(2);
  });

  it('fails at open, before any work, when the folder cannot be made', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    await expect(FileEmbeddingCache.open(join(blocker, 'cache'))).rejects.toThrow(
      /cannot create its folder .*a-file.*(EEXIST|ENOTDIR)/,
    );
  });

  it('keeps entries of different lengths (text rows beside corpus chunks), which the search and eval share', async () => {
    const file = join(dir, 'mixed', 'cache');
    const cache = await FileEmbeddingCache.open(file);
    await cache.put('row', Float32Array.of(1, 2));
    await cache.put('chunk', Float32Array.of(3, 4, 5, 6, 7, 8));
    await cache.put('row2', Float32Array.of(9, 10));
    await cache.flush();
    const again = await FileEmbeddingCache.open(file);
    expect(await again.get('row')).toEqual(Float32Array.of(1, 2));
    expect(await again.get('chunk')).toEqual(Float32Array.of(3, 4, 5, 6, 7, 8));
    expect(await again.get('row2')).toEqual(Float32Array.of(9, 10));
  });
});
