/**
 * Ending a CLI process without losing output. `process.exit()` right after a large write to a pipe drops
 * whatever Node has not handed to the pipe yet (stdout to a pipe is asynchronous on POSIX), so the command's
 * output stopped at 64 or 128 KiB under `| wc -c`. The exit has to stay explicit: a live WebGPU device
 * keeps the event loop alive. So: wait until stdout and stderr have flushed everything written so far,
 * then exit with the code.
 */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    // the callback of an empty write runs once every earlier chunk has been flushed
    stream.write('', () => resolve());
  });
}

export async function exitAfterDrain(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}
