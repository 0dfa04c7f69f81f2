/**
 * The weight format the user chose for an imported Hugging Face model (Models tab), kept in the `settings`
 * store so the model loads in it again after a reload. A model without an entry uses 'auto'.
 */
import type { WeightFormatChoice } from '../models/hf/fit';
import type { StudioDB } from './db';
import { loadModelSettings, saveModelSetting } from './model-settings';

const KEY = 'weightFormats';

export function loadWeightFormats(db?: StudioDB): Promise<Record<string, WeightFormatChoice>> {
  return loadModelSettings<WeightFormatChoice>(KEY, db);
}

/** Stores one model's format ('auto', the default, removes the entry). */
export function saveWeightFormat(model: string, format: WeightFormatChoice, db?: StudioDB): Promise<void> {
  return saveModelSetting(KEY, model, format === 'auto' ? null : format, db);
}
