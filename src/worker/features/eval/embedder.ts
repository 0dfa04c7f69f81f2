/** The embedder of a model id as evaluation (and the prompt search) resolve it: an expert or a model with its templates. */
import { EXPERT_PREFIX } from '../../../experts/record';
import type { Embedder } from '../../../models/types';
import type { Host } from '../../host';

export function modelEmbedder(model: string, host: Host, signal?: AbortSignal): Promise<Embedder> {
  return model.startsWith(EXPERT_PREFIX)
    ? host.training.expertEmbedder(model, signal)
    : host.models.embedder(model, signal);
}
