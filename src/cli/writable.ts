/**
 * Checking, before a long job, that its output paths can be written, so a mistyped or read-only path fails
 * in a second with its name instead of after the work (whose results a late failure would lose).
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export class OutputPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputPathError';
  }
}

async function kind(path: string): Promise<'dir' | 'file' | 'none'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    // ENOTDIR: a file on the way (checkCreatable walks up to it)
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'none';
    throw e;
  }
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nearest existing ancestor of `path` must be a directory we may write in (folders are made below it). */
async function checkCreatable(option: string, path: string): Promise<void> {
  let dir = dirname(resolve(path));
  for (;;) {
    const k = await kind(dir);
    if (k === 'dir') break;
    if (k === 'file') throw new OutputPathError(`${option} ${path}: ${dir} is not a directory`);
    dir = dirname(dir);
  }
  if (!(await writable(dir)))
    throw new OutputPathError(`${option} ${path}: the folder ${dir} is not writable; choose another path`);
}

/** `path` will be written as a file: an existing one must be a writable file, a new one creatable. */
export async function checkWritableFile(option: string, path: string): Promise<void> {
  const k = await kind(path);
  if (k === 'dir') throw new OutputPathError(`${option} ${path} is a folder; give a file name`);
  if (k === 'file') {
    if (!(await writable(path)))
      throw new OutputPathError(`${option} ${path} is not writable; choose another path`);
    return;
  }
  await checkCreatable(option, path);
}

/** `path` will be a folder of files: an existing one must be a writable folder, a new one creatable. */
export async function checkWritableDir(option: string, path: string): Promise<void> {
  const k = await kind(path);
  if (k === 'file') throw new OutputPathError(`${option} ${path} is a file, not a folder`);
  if (k === 'dir') {
    if (!(await writable(path)))
      throw new OutputPathError(`${option} ${path} is not writable; choose another folder`);
    return;
  }
  await checkCreatable(option, path);
}

/** A write's error with the file it was writing and what to do (Node's ENOSPC message names no path). */
export function writeFailed(what: string, path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOSPC' ? 'the disk is full' : (e.message ?? String(err));
  return new Error(`could not write ${what} ${path}: ${why}${e.code ? ` (${e.code})` : ''}`);
}
