/** The session feature: start-up (`init`) and the compute backend (`set-backend`). */
import { checkSessionRequest, type SessionRequestMap } from './protocol';
import type { Feature } from '../feature';

export const session: Feature<SessionRequestMap> = {
  check: checkSessionRequest,
  routes: {
    init: {
      run: async (req, _ctx, host) => {
        host.useAssets(req.baseUrl);
        return { models: [...host.deps.listModels()] };
      },
    },
    'set-backend': {
      queued: true,
      run: async (req, ctx, host) => {
        ctx.progress('acquire-backend', 0, 1);
        await host.backends.get(req.backend);
        return host.backends.active!;
      },
    },
  },
};
