/**
 * `auto` in the CLI (issue 8 item 17): on a machine whose only WebGPU adapter is SwiftShader (CI, this one)
 * the CPU path is taken and the log line says why and how to force WebGPU; `--backend webgpu` still reaches
 * SwiftShader on purpose.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getGPU } from '../gpu/acquire';
import { adapterFacts, softwareRenderer } from '../gpu/software';
import { SKIP_WEBGPU } from '../testing/backends';
import { runCli } from '../testing/cli';

describe.skipIf(SKIP_WEBGPU)('stm --backend', () => {
  it('auto logs the backend it took and why; webgpu takes the software adapter when asked', async () => {
    const adapter = await (await getGPU()).requestAdapter();
    const software = adapter && softwareRenderer(adapterFacts(adapter));
    const dir = mkdtempSync(join(tmpdir(), 'stm-backend-'));
    const input = join(dir, 'texts.txt');
    writeFileSync(input, 'chest pain\nshortness of breath\n');
    const auto = await runCli(['embed', '--model', 'glove', '--input', input, '--json']);
    expect(auto.code, auto.stderr).toBe(0);
    if (software) {
      expect(auto.stderr).toMatch(
        new RegExp(
          `^backend: cpu, CPU .* — auto: the only WebGPU adapter is ${software} \\(a software renderer, slower than the CPU path\\); use --backend webgpu to force it$`,
          'm',
        ),
      );
    } else {
      expect(auto.stderr).toMatch(/^backend: webgpu, .* — auto: a hardware GPU adapter$/m);
    }
    const gpu = await runCli([
      'embed',
      '--model',
      'glove',
      '--input',
      input,
      '--json',
      '--backend',
      'webgpu',
    ]);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).toMatch(/^backend: webgpu, .* — webgpu: as asked/m);
    if (software)
      expect(gpu.stderr).toContain(`on ${software} (a software renderer, slower than the CPU path)`);
    // the same embeddings either way
    const a = JSON.parse(auto.stdout) as { embeddings: number[][] };
    const g = JSON.parse(gpu.stdout) as { embeddings: number[][] };
    for (let i = 0; i < 100; i++) expect(g.embeddings[1][i]).toBeCloseTo(a.embeddings[1][i], 5);
  });
});
