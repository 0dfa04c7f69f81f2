/** The generate feature: text generation on the studio's decoder engine (`generate-text`). */
import type { Feature } from '../feature';
import { generatorsOf } from './generators';
import { checkGenerateRequest, type GenerateRequestMap } from './protocol';

export const generate: Feature<GenerateRequestMap> = {
  check: checkGenerateRequest,
  routes: {
    'generate-text': {
      queued: true,
      run: async (req, ctx, host) => {
        ctx.progress('load-model', 0, 1, req.model);
        const gen = await generatorsOf(host).get(req.model, ctx.db, {
          chatTemplate: req.chatTemplate,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress('download', p.loaded, p.total ?? p.loaded, p.file),
        });
        ctx.progress('load-model', 1, 1, req.model);
        if (gen.templateNote) ctx.post({ type: 'warning', id: ctx.id, message: gen.templateNote });
        const pref = req.backend ?? host.backends.active?.pref ?? 'auto';
        return host.backends.run(pref, ctx.signal, (backend) =>
          gen.generateOn(backend, req.messages, {
            ...req.options,
            signal: ctx.signal,
            onToken: (done, limit) => ctx.progress('generate', done, limit),
          }),
        );
      },
    },
  },
};
