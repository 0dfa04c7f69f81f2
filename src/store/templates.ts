/**
 * Per-model instruction templates chosen by the user, kept in the `settings` store under one key.
 * A model without an entry uses its own templates.
 */
import type { ModelTemplates } from '../models/types';
import type { StudioDB } from './db';
import { loadModelSettings, saveModelSetting } from './model-settings';

const KEY = 'templates';

export function loadTemplateOverrides(db?: StudioDB): Promise<Record<string, ModelTemplates>> {
  return loadModelSettings<ModelTemplates>(KEY, db);
}

/** Stores (or with null, removes) the templates of one model. */
export function saveTemplateOverride(model: string, t: ModelTemplates | null, db?: StudioDB): Promise<void> {
  const v = t ? { query: t.query, passage: t.passage, instruction: t.instruction } : null;
  return saveModelSetting(KEY, model, v, db);
}
