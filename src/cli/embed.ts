import { readFile } from 'node:fs/promises';
import { resolveModelNode } from '../experts/resolve-node';
import { applyTemplate } from '../models/types';
import type { EmbedArgs } from './args';
import { cliBackend, cliFitLimits } from './backend';
import { HfEmbedder } from '../models/hf/embedder';
import type { Reporter } from './progress';

/** texts per embed call: progress after each (the evaluation's corpus chunk) */
const CHUNK = 256;

/** `stm embed`: one text per input line, templated for the role, embedded and L2-normalised. */
export async function runEmbed(a: EmbedArgs, out: Pick<Reporter, 'log' | 'progress'>): Promise<void> {
  const log = out.log;
  const raw = await readFile(a.input, 'utf8');
  const lines = raw.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const backend = await cliBackend(a.backend, log);
  try {
    const embedder = await resolveModelNode(a.model, (msg) => log(msg), {
      allowNetwork: a.allowNetwork,
      weightFormat: a.weights,
      limits: cliFitLimits(backend, a.gpuMemory),
    });
    const format =
      embedder instanceof HfEmbedder ? `; ${embedder.model.weights.formatOn(backend)} weights` : '';
    log(`model ${embedder.id} (${embedder.dim}-d${format}); ${lines.length} texts`);
    const template = a.role === 'query' ? embedder.templates.query : embedder.templates.passage;
    const texts = lines.map((text) => applyTemplate(template, { text }));
    const flat = new Float32Array(texts.length * embedder.dim);
    for (let i = 0; i < texts.length; i += CHUNK) {
      flat.set(await embedder.embed(backend, texts.slice(i, i + CHUNK), a.role), i * embedder.dim);
      out.progress('embed', Math.min(i + CHUNK, texts.length), texts.length);
    }
    const rows: number[][] = [];
    for (let i = 0; i < lines.length; i++)
      rows.push(Array.from(flat.subarray(i * embedder.dim, (i + 1) * embedder.dim)));
    if (a.json) console.log(JSON.stringify({ model: embedder.id, dim: embedder.dim, embeddings: rows }));
    else
      rows.forEach((r, i) =>
        console.log(
          `${i}\t${r
            .slice(0, 4)
            .map((x) => x.toFixed(4))
            .join(' ')} …`,
        ),
      );
  } finally {
    backend.destroy();
  }
}
