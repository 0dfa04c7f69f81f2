/**
 * The CLI's whole output reaches a pipe: before exitAfterDrain, `stm embed ... --json | wc -c` stopped at
 * 64 KiB because the process exited before stdout drained. A child process reads it here through a pipe.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../testing/cli';

describe('stm output through a pipe', () => {
  it('embed --json writes every embedding (megabytes) before exiting 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stm-pipe-'));
    const input = join(dir, 'texts.txt');
    const n = 1200;
    const lines = Array.from({ length: n }, (_, i) => `patient ${i} with chest pain and shortness of breath`);
    writeFileSync(input, lines.join('\n') + '\n');
    const r = await runCli(['embed', '--model', 'glove', '--backend', 'cpu', '--input', input, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(256 * 1024);
    // stdout is the JSON alone (progress goes to stderr)
    const obj = JSON.parse(r.stdout) as { model: string; dim: number; embeddings: number[][] };
    expect(r.stderr).toMatch(/^embed 256\/1200 \(21%\)/m);
    expect(r.stderr).toMatch(/^embed 1200\/1200 \(100%\), \d+ s$/m);
    expect(obj.dim).toBe(100);
    expect(obj.embeddings).toHaveLength(n);
    expect(obj.embeddings[n - 1]).toHaveLength(100);
  });

  it('a usage error still exits 2 with its message on stderr', async () => {
    const r = await runCli(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "no-such-command"');
  });
});
