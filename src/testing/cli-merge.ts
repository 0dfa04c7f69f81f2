/**
 * `stm merge` in-process for tests: runMerge on a command line (CPU backend), stdout and log captured; and
 * safetensors checkpoints written and read back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { vi } from 'vitest';
import { parseSafetensors, writeSafetensors } from '../models/hf/safetensors';
import { runMerge } from '../cli/merge';
import { parseMergeArgs } from '../cli/merge-args';

/** Runs `stm merge <argv> --backend cpu`; returns what it printed on stdout (log lines go to `log`). */
export async function mergeCli(argv: string[], log: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const print = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  try {
    await runMerge(parseMergeArgs([...argv, '--backend', 'cpu']), {
      log: (s) => void log.push(s),
      progress: () => undefined,
    });
  } finally {
    print.mockRestore();
  }
  return out;
}

/** A safetensors file's tensors. */
export function readCheckpoint(path: string) {
  const b = readFileSync(path);
  return parseSafetensors(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, path);
}

/** Writes `tensors` (f32) as a safetensors file at `path`; returns the path. */
export function checkpoint(
  path: string,
  tensors: Record<string, { shape: number[]; data: number[] }>,
): string {
  const m = new Map(
    Object.entries(tensors).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]),
  );
  writeFileSync(path, new Uint8Array(writeSafetensors(m)));
  return path;
}
