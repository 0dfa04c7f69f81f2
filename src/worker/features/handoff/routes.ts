/**
 * The hand-off feature: an expert's recipe as a Python project, zipped. Its pairs are its run's (stored with
 * mined negatives when the run started); its tasks are the datasets and splits it was evaluated on (else its
 * training dataset's test split), written into the project as BEIR folders so evaluate.py runs as it is.
 */
import type { ExpertRecord } from '../../../experts/record';
import { expertModelId } from '../../../experts/record';
import { beirFiles } from '../../../handoff/beir-files';
import { handoffProject, slug, type HandoffExpert } from '../../../handoff/project';
import { HandoffError, type HandoffTask } from '../../../handoff/spec';
import { loadDataset } from '../../../store/datasets';
import type { StudioDB } from '../../../store/db';
import { listRuns } from '../../../store/runs';
import { getExpert, getTrainPairs, listTrainRuns } from '../../../store/training';
import { zipStore } from '../../../util/zip';
import type { Feature } from '../feature';
import { checkHandoffRequest, type HandoffRequestMap } from './protocol';

async function withPairs(record: ExpertRecord, db: StudioDB): Promise<HandoffExpert> {
  const run = (await listTrainRuns(db)).find((r) => r.expertId === record.id);
  if (!run)
    throw new HandoffError(
      `expert "${record.name}" has no training run in this studio (imported, or its run was deleted): its training pairs are unknown`,
    );
  return { record, pairs: await getTrainPairs(run.id, db) };
}

/** dataset -> splits: where the expert was evaluated, else its training dataset's test split. */
async function taskSplits(record: ExpertRecord, db: StudioDB): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const r of await listRuns(undefined, db))
    if (r.retriever === expertModelId(record.id))
      out.set(r.dataset, (out.get(r.dataset) ?? new Set()).add(r.split));
  if (out.size) return out;
  const run = (await listTrainRuns(db)).find((r) => r.expertId === record.id);
  if (run?.spec.data.kind === 'dataset') out.set(run.spec.data.dataset, new Set(['test']));
  return out;
}

async function project(req: { expert: string; base?: string }, db: StudioDB) {
  const { expert: record } = await getExpert(req.expert, db);
  const merge = record.merge
    ? {
        experts: await Promise.all(
          record.merge.experts.map(async (e) => withPairs((await getExpert(e.id, db)).expert, db)),
        ),
      }
    : undefined;
  const expert = merge ? { record, pairs: [] } : await withPairs(record, db);
  const tasks: HandoffTask[] = [];
  const data = new Map<string, string>();
  for (const [name, splits] of await taskSplits(record, db)) {
    const ds = await loadDataset(name, db);
    const have = [...splits].filter((s) => ds.qrels[s]);
    if (!have.length) continue;
    const path = `beir/${slug(name)}`;
    for (const split of have) tasks.push({ name, path, split });
    for (const [f, text] of beirFiles(ds, have, `${path}/`)) data.set(f, text);
  }
  const files = handoffProject({ expert, base: req.base, merge, tasks });
  for (const [f, text] of data) if (!files.has(f)) files.set(f, text);
  const zip = zipStore(files);
  return { name: `${slug(record.name)}-python.zip`, data: zip.buffer as ArrayBuffer };
}

export const handoff: Feature<HandoffRequestMap> = {
  check: checkHandoffRequest,
  routes: {
    'handoff-project': { run: (req, ctx) => project(req, ctx.db) },
  },
};
