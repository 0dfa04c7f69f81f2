/**
 * Ending a CLI process without losing output. `process.exit()` right after a large write to a pipe drops
 * whatever Node has not handed to the pipe yet (stdout to a pipe is asynchronous on POSIX), so the command's
 * output stopped at 64 or 128 KiB under `| wc -c`. The exit has to stay explicit: a live WebGPU device
 * keeps the event loop alive. So: wait until stdout and stderr have flushed everything written so far,
 * then exit with the code.
 * A failed write to stdout (ENOSPC on a full disk, EIO) is an error of the command: it is reported on stderr,
 * naming where stdout went, and the exit code is 1 even if the work itself succeeded. A reader that went away
 * (EPIPE, `| head`) is not: the rest of the output is dropped quietly.
 */
import { readlinkSync } from 'node:fs';

let stdoutFailed = false;

/** Where fd 1 points (Linux /proc), for the message; "standard output" elsewhere. */
function stdoutName(): string {
  try {
    return `standard output (${readlinkSync('/proc/self/fd/1')})`;
  } catch {
    return 'standard output';
  }
}

/** Install once at start-up: a failed stdout write is reported and makes the exit code non-zero. */
export function watchStdout(log: (msg: string) => void): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    if (stdoutFailed) return;
    stdoutFailed = true;
    log(`error: writing to ${stdoutName()} failed: ${err.message}; the output is incomplete`);
  });
}

function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // the callback of an empty write runs once every earlier chunk has been flushed (or failed)
    stream.write('', () => resolve());
  });
}

export async function exitAfterDrain(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  // an error of a write is emitted on the next tick: let it arrive before deciding the code
  await new Promise((r) => setImmediate(r));
  process.exit(code === 0 && stdoutFailed ? 1 : code);
}
