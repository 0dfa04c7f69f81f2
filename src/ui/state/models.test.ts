import 'fake-indexeddb/auto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_MODELS_DIR } from '../../../scripts/make-tiny-models';
import { datasetFromFiles } from '../../data/files';
import { loadDemoDatasetNode } from '../../data/node';
import { evaluate } from '../../eval/evaluate';
import { acquireBackend } from '../../gpu/select';
import { nodeAssetFetcher } from '../../models/node-assets';
import { listModels, loadEmbedder } from '../../models/registry';
import { connectInProcess } from '../../worker/local';
import type { ModelFile } from '../../worker/protocol';
import { openStudioDb, type StudioDB } from '../../store/db';
import { createUiStore } from './ui';

function folder(name: string): ModelFile[] {
  const root = join(TINY_MODELS_DIR, name);
  const out: ModelFile[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const full = join(dir, f);
      if (statSync(full).isDirectory()) walk(full);
      else out.push({ path: `${name}/${relative(root, full)}`, file: new File([readFileSync(full)], f) });
    }
  };
  walk(root);
  return out;
}

function app(dbName: string) {
  let db: Promise<StudioDB> | null = null;
  const conn = () => (db ??= openStudioDb(dbName));
  const { client } = connectInProcess({
    db: conn,
    acquireBackend,
    evaluate,
    loadDemo: loadDemoDatasetNode,
    datasetFromFiles,
    listModels,
    loadEmbedder,
    assetFetcher: () => nodeAssetFetcher(),
  });
  return { store: createUiStore(client, { db: conn, baseUrl: 'http://localhost/' }), conn };
}

describe('UI store: models', () => {
  it('imports a folder, makes it the active model and the evaluate choice, edits templates, and rehydrates', async () => {
    const name = `ui-models-${Date.now()}`;
    const { store, conn } = app(name);
    await store.getState().hydrate();
    expect(store.getState().activeModel).toBe('use-lite');
    await store.getState().setBackendPref('cpu');

    expect(await store.getState().importModelFolder(folder('tiny-bert'))).toBe(true);
    const s = store.getState();
    expect(s.jobs).toEqual({});
    expect(s.models.map((m) => m.id)).toEqual(['use-lite', 'glove', 'tiny-bert']);
    expect(s).toMatchObject({ activeModel: 'tiny-bert', retriever: 'tiny-bert' });
    expect(s.modelTemplates['tiny-bert']).toMatchObject({
      custom: false,
      templates: { query: '{text}', instruction: null },
    });

    await s.computeSimilarity(
      { text: 'heart attack', role: 'query' },
      { text: 'heart attack', role: 'query' },
    );
    expect(store.getState().similarity?.similarity).toBeCloseTo(1, 5);

    expect(
      await s.saveTemplates('tiny-bert', {
        query: 'query: {text}',
        passage: 'passage: {text}',
        instruction: null,
      }),
    ).toBe(true);
    expect(store.getState().models.find((m) => m.id === 'tiny-bert')?.custom).toBe(true);
    expect(
      await s.saveTemplates('tiny-bert', { query: 'no placeholder', passage: '{text}', instruction: null }),
    ).toBe(false);
    expect(store.getState().errors.at(-1)).toMatchObject({
      name: 'TemplateError',
      context: 'Templates of tiny-bert',
    });

    // a malformed folder names its missing file
    expect(
      await s.importModelFolder(folder('tiny-bert').filter((f) => !f.path.endsWith('tokenizer_config.json'))),
    ).toBe(false);
    expect(store.getState().errors.at(-1)).toMatchObject({
      name: 'ModelImportError',
      file: 'tiny-bert/tokenizer_config.json',
    });

    (await conn()).close();
    const again = app(name).store;
    await again.getState().hydrate();
    expect(again.getState()).toMatchObject({ activeModel: 'tiny-bert', retriever: 'tiny-bert' });
    await again.getState().loadModelDetails('tiny-bert');
    expect(again.getState().modelTemplates['tiny-bert']).toMatchObject({
      custom: true,
      templates: { query: 'query: {text}' },
    });

    await again.getState().deleteModel('tiny-bert');
    expect(again.getState().models.map((m) => m.id)).toEqual(['use-lite', 'glove']);
    expect(again.getState()).toMatchObject({ activeModel: 'use-lite', retriever: 'use-lite' });
  });
});
