/** The training feature: training runs (trained by the worker's Training, training.ts) and experts. */
import {
  deleteExpert,
  deleteTrainRun,
  getExpert,
  listExperts,
  listTrainRuns,
  updateExpert,
} from '../../../store/training';
import { exportExpertFiles, importExpertFiles } from './expert-io';
import { checkTrainingRequest, type TrainingRequestMap } from './protocol';
import type { Feature } from '../feature';

export const train: Feature<TrainingRequestMap> = {
  check: checkTrainingRequest,
  routes: {
    train: { queued: true, run: (req, ctx, host) => host.training.train(req, ctx, ctx.db) },
    'list-train-runs': { run: (_req, ctx) => listTrainRuns(ctx.db) },
    'delete-train-run': {
      run: async (req, ctx) => {
        await deleteTrainRun(req.runId, ctx.db);
        return null;
      },
    },
    'list-experts': { run: (_req, ctx) => listExperts(ctx.db) },
    'rename-expert': { run: (req, ctx) => updateExpert(req.expert, { name: req.name.trim() }, ctx.db) },
    'delete-expert': {
      run: async (req, ctx) => {
        await deleteExpert(req.expert, ctx.db);
        return null;
      },
    },
    'export-expert': { run: async (req, ctx) => exportExpertFiles(await getExpert(req.expert, ctx.db)) },
    'import-expert': {
      queued: true,
      run: (req, ctx) => importExpertFiles(req.files, req.name, ctx.db, req.copy === true),
    },
  },
};
