/** Running the CLI (`npm run stm`) as a child process in tests: its exit code, stdout and stderr. */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');

let cacheDir: string | undefined;
const testCacheDir = () => (cacheDir ??= mkdtempSync(join(tmpdir(), 'stm-test-cache-')));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `stdoutTo`: a file that stdout is opened onto (e.g. /dev/full) instead of a pipe. */
export function runCli(
  args: string[],
  opts: { stdoutTo?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const fd = opts.stdoutTo ? openSync(opts.stdoutTo, 'w') : null;
    const child = spawn(TSX, ['src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', fd ?? 'pipe', 'pipe'],
      // the corpus embedding cache of `stm eval` in a folder of this test process, not the user's
      env: { ...process.env, STM_CACHE_DIR: testCacheDir(), ...opts.env },
    });
    if (fd !== null) closeSync(fd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
