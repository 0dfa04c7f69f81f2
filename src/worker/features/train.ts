/** The training feature: training runs and experts, answered by the worker's Training (training.ts). */
import {
  checkTrainingRequest,
  type TrainingRequestMap,
  type TrainingRequestType,
} from '../protocol-training';
import type { Training } from '../training';
import type { Feature, Route } from './feature';

type TrainingReq = Parameters<Training['handle']>[0];

/** A route answered by Training.handle, which dispatches on the request type itself. */
function viaTraining<K extends TrainingRequestType>(
  queued = false,
): Route<K, TrainingRequestMap[K][0], TrainingRequestMap[K][1]> {
  return {
    queued,
    run: (req, ctx, host) =>
      host.training.handle(req as unknown as TrainingReq, ctx) as Promise<TrainingRequestMap[K][1]>,
  };
}

export const train: Feature<TrainingRequestMap> = {
  check: checkTrainingRequest,
  routes: {
    train: viaTraining(true),
    'list-train-runs': viaTraining(),
    'delete-train-run': viaTraining(),
    'list-experts': viaTraining(),
    'rename-expert': viaTraining(),
    'delete-expert': viaTraining(),
    'export-expert': viaTraining(),
    'import-expert': viaTraining(true),
  },
};
