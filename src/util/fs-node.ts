/**
 * Crash-safe writes of a set of files in one folder (Node): each file goes to a temporary name in the same
 * folder, is fsynced, and only then renamed over its final name, in the order given (put the file that
 * says "this is complete" last); the folder is fsynced after the renames where the platform allows it.
 * A crash leaves every file either whole-old or whole-new, never half written.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const TMP_SUFFIX = '.tmp';

async function writeSynced(path: string, body: string | Uint8Array): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(body);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  // Windows cannot open a folder for fsync; elsewhere a failure here is real
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `files` (name → contents) into `dir` through temporary names, renaming them in order. */
export async function writeFilesAtomic(
  dir: string,
  files: Iterable<readonly [string, string | ArrayBuffer | Uint8Array]>,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const list = [...files];
  const tmp = (name: string) => join(dir, `${name}${TMP_SUFFIX}`);
  try {
    for (const [name, body] of list)
      await writeSynced(tmp(name), body instanceof ArrayBuffer ? new Uint8Array(body) : body);
  } catch (e) {
    await Promise.all(list.map(([name]) => rm(tmp(name), { force: true })));
    throw e;
  }
  for (const [name] of list) await rename(tmp(name), join(dir, name));
  await syncDir(dir);
  return list.map(([name]) => name);
}
