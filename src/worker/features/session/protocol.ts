/** Session requests of the worker protocol (start-up and the compute backend): their types and validation. */
import type { ModelInfo } from '../../../models/types';
import type { BackendInfo, BackendPref } from '../../events';
import { isPref, isStr, type Need } from '../../protocol-check';

export interface SessionRequestMap {
  /** base URL of the app (model assets live at <base>models/) and the backend preference; acquires nothing */
  init: [{ baseUrl: string; backend: BackendPref }, { models: ModelInfo[] }];
  /** acquires (or re-acquires) the compute backend now and reports it */
  'set-backend': [{ backend: BackendPref }, BackendInfo];
}

/** Validates the body of a session request; `need` throws the ProtocolError. */
export function checkSessionRequest(
  t: keyof SessionRequestMap,
  m: Record<string, unknown>,
  need: Need,
): void {
  switch (t) {
    case 'init':
      need(isStr(m.baseUrl), 'init needs baseUrl');
      need(isPref(m.backend), 'init needs backend auto|webgpu|cpu');
      break;
    case 'set-backend':
      need(isPref(m.backend), 'set-backend needs backend auto|webgpu|cpu');
      break;
  }
}
