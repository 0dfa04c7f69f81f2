import { readFile } from 'node:fs/promises';
import { acquireBackend } from '../gpu/select';
import { resolveModelNode } from '../experts/resolve-node';
import { applyTemplate } from '../models/types';
import type { EmbedArgs } from './args';

/** `stm embed`: one text per input line, templated for the role, embedded and L2-normalised. */
export async function runEmbed(a: EmbedArgs, log: (msg: string) => void): Promise<void> {
  const raw = await readFile(a.input, 'utf8');
  const lines = raw.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const embedder = await resolveModelNode(a.model, (msg) => log(msg), { allowNetwork: a.allowNetwork });
  const backend = await acquireBackend(a.backend);
  log(
    `backend ${backend.kind}: ${backend.label}; model ${embedder.id} (${embedder.dim}-d); ${lines.length} texts`,
  );
  try {
    const template = a.role === 'query' ? embedder.templates.query : embedder.templates.passage;
    const texts = lines.map((text) => applyTemplate(template, { text }));
    const flat = await embedder.embed(backend, texts, a.role);
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
