/** The hand-off request: an expert's recipe as a Python project, one .zip (src/handoff/project.ts). */
import { isStr, type Need } from '../../protocol-check';

export interface HandoffRequestMap {
  /**
   * the project of `expert` (train.py, its run's pairs, evaluate.py with the datasets it was evaluated on,
   * merge.yml for a merged expert): `base` is the model Python trains (required over a studio built-in)
   */
  'handoff-project': [{ expert: string; base?: string }, { name: string; data: ArrayBuffer }];
}

export function checkHandoffRequest(
  _type: keyof HandoffRequestMap,
  m: Record<string, unknown>,
  need: Need,
): void {
  need(isStr(m.expert), 'handoff-project needs expert (an expert id)');
  need(m.base === undefined || typeof m.base === 'string', 'handoff-project: base must be a string');
}
