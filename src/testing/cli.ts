/**
 * Running the CLI (`npm run stm`) as a child process in tests: its exit code, stdout and stderr.
 * The process is `node` on the CLI bundled by the Vitest global setup (scripts/build-cli-bundle.ts), the same
 * code as `tsx src/cli/main.ts` without its second of start-up per call.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BUNDLE } from '../../scripts/build-cli-bundle';

const ROOT = new URL('../../', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/.bin/tsx');

let cacheDir: string | undefined;
const testCacheDir = () => (cacheDir ??= mkdtempSync(join(tmpdir(), 'stm-test-cache-')));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `stdoutTo`: a file that stdout is opened onto (e.g. /dev/full) instead of a pipe.
 * `tsx`: run `tsx src/cli/main.ts` as `npm run stm` does, instead of the bundle (a second slower).
 */
export function runCli(
  args: string[],
  opts: { stdoutTo?: string; env?: Record<string, string>; tsx?: boolean } = {},
): Promise<CliResult> {
  if (!opts.tsx && !existsSync(CLI_BUNDLE))
    return Promise.reject(new Error(`${CLI_BUNDLE} is missing: the Vitest global setup builds it`));
  return new Promise((resolve, reject) => {
    const fd = opts.stdoutTo ? openSync(opts.stdoutTo, 'w') : null;
    const [cmd, entry] = opts.tsx ? [TSX, 'src/cli/main.ts'] : [process.execPath, CLI_BUNDLE];
    const child = spawn(cmd, [entry, ...args], {
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
