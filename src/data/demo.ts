/** The embedded demo collection for the browser: the three files are bundled by Vite as text. */
import corpus from './demo/corpus.jsonl?raw';
import queries from './demo/queries.jsonl?raw';
import qrels from './demo/qrels/test.tsv?raw';
import type { Dataset } from './types';
import { assembleDataset, textSource } from './beir';
import { DEMO_DESCRIPTION } from './demo-info';

export async function loadDemoDataset(): Promise<Dataset> {
  return assembleDataset(
    'demo',
    {
      corpus: textSource('demo/corpus.jsonl', corpus),
      queries: textSource('demo/queries.jsonl', queries),
      qrels: { test: textSource('demo/qrels/test.tsv', qrels) },
    },
    { description: DEMO_DESCRIPTION },
  );
}
