import 'fake-indexeddb/auto';
import { tinyModelFiles } from '../../testing/tiny-model-files';
import { describe, expect, it } from 'vitest';
import { uiApp } from '../../testing/ui-app';

function app(dbName: string) {
  const { store, db } = uiApp(dbName);
  return { store, conn: db };
}

describe('UI store: models', () => {
  it('imports a folder, makes it the active model and the evaluate choice, edits templates, and rehydrates', async () => {
    const name = `ui-models-${Date.now()}`;
    const { store, conn } = app(name);
    await store.getState().hydrate();
    expect(store.getState().activeModel).toBe('use-lite');
    await store.getState().setBackendPref('cpu');

    expect(await store.getState().importModelFolder(tinyModelFiles('tiny-bert'))).toBe(true);
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
      await s.importModelFolder(
        tinyModelFiles('tiny-bert').filter((f) => !f.path.endsWith('tokenizer_config.json')),
      ),
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

  it("sets an imported model's weight format, keeps it across a reload, and measures its cosine to f32", async () => {
    const name = `ui-weights-${Date.now()}`;
    const { store, conn } = app(name);
    await store.getState().hydrate();
    await store.getState().setBackendPref('cpu');
    expect(await store.getState().importModelFolder(tinyModelFiles('tiny-qwen3'))).toBe(true);
    await store.getState().setWeightFormat('q8', false);
    expect(store.getState().weightFormats['tiny-qwen3']).toMatchObject({
      format: 'q8',
      resolved: 'q8',
      check: null,
    });
    await store.getState().setWeightFormat('q8', true);
    const r = store.getState().weightFormats['tiny-qwen3'];
    expect(r.check).toMatchObject({ format: 'q8', texts: 24 });
    expect(r.check!.minCosine).toBeGreaterThan(0.99);
    expect(r.check!.meanCosine).toBeLessThan(1);
    // the model embeds with q8 weights now, close to its f32 embeddings
    await store
      .getState()
      .computeSimilarity({ text: 'heart attack', role: 'query' }, { text: 'heart attack', role: 'query' });
    expect(store.getState().similarity?.similarity).toBeCloseTo(1, 5);
    const pair = [
      { text: 'heart attack', role: 'query' },
      { text: 'chest pain and shortness of breath', role: 'passage' },
    ] as const;
    await store.getState().computeSimilarity(...pair);
    const q8 = store.getState().similarity!.similarity;

    // after a reload the model is listed, loaded and embeds in the kept format
    (await conn()).close();
    const again = app(name).store;
    await again.getState().hydrate();
    await again.getState().setBackendPref('cpu');
    const entries = again.getState().models;
    expect(entries.find((m) => m.id === 'tiny-qwen3')?.weightFormat).toBe('q8');
    expect(entries.find((m) => m.id === 'use-lite')?.weightFormat).toBeNull();
    await again.getState().selectModel('tiny-qwen3');
    await again.getState().computeSimilarity(...pair);
    expect(again.getState().similarity?.similarity).toBe(q8);
    await again.getState().setWeightFormat('f32', false);
    await again.getState().computeSimilarity(...pair);
    expect(again.getState().similarity?.similarity).not.toBe(q8);
    expect(again.getState().similarity?.similarity).toBeCloseTo(q8, 2);

    // not a Hugging Face model: a clear error
    await again.getState().selectModel('use-lite');
    await again.getState().setWeightFormat('f16', false);
    expect(again.getState().errors.at(-1)?.message).toMatch(/weight formats apply to Hugging Face models/);
  });
});
