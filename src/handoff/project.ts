/**
 * A hand-off project: an expert's recipe as a runnable Python project — train.py + data/train.jsonl (a
 * trained expert), evaluate.py, requirements, README; for a merge, merge.yml (mergekit) and one
 * experts/<name>/ training project per merged expert, each writing the full model mergekit reads.
 * Pure: file name -> text; the CLI writes them to a folder, the browser zips them (src/util/zip.ts).
 */
import type { TrainingPair } from '../data/pairs';
import type { ExpertRecord } from '../experts/record';
import { exportMergekitYaml } from '../merge/mergekit-yaml-export';
import type { MergeRecipe } from '../merge/recipe';
import { evaluatePy } from './evaluate-py';
import { pairsJsonl } from './pairs-jsonl';
import { projectReadme } from './readme';
import { handoffSettings, HandoffError, type HandoffTask } from './spec';
import { trainPy } from './train-py';
import { mergeRequirementsTxt, requirementsTxt } from './versions';

/** An expert and the pairs its run trained on (negatives included); none for a merged expert. */
export interface HandoffExpert {
  record: ExpertRecord;
  pairs: readonly TrainingPair[];
}

export interface HandoffInput {
  expert: HandoffExpert;
  /** the hub id or folder Python trains (default: the record's base when it is one) */
  base?: string;
  /** a merge: its recipe (default: the expert's own when it is a merged expert) and its experts, in recipe order */
  merge?: { recipe?: MergeRecipe; experts: readonly HandoffExpert[] };
  tasks: readonly HandoffTask[];
}

/** A name as a folder name. */
export const slug = (name: string) =>
  name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'expert';

function trained(
  e: HandoffExpert,
  base: string | undefined,
  prefix: string,
  files: Map<string, string>,
): void {
  if (e.pairs.length < 2)
    throw new HandoffError(
      `expert "${e.record.name}": ${e.pairs.length} training pairs; the project needs its run's pairs (at least 2)`,
    );
  files.set(`${prefix}train.py`, trainPy(handoffSettings(e.record, base)));
  files.set(`${prefix}data/train.jsonl`, pairsJsonl(e.pairs));
}

export function handoffProject(input: HandoffInput): Map<string, string> {
  const { expert, base } = input;
  const s = handoffSettings(expert.record, base);
  const files = new Map<string, string>();
  const recipe = input.merge?.recipe ?? expert.record.merge;
  if (!recipe) trained(expert, base, '', files);
  let mergeFolders: string[] = [];
  if (recipe) {
    const parts = input.merge?.experts ?? [];
    if (parts.length !== recipe.experts.length)
      throw new HandoffError(
        `merge of ${recipe.experts.length} experts (${recipe.experts.map((e) => e.name).join(', ')}): ${parts.length} of them found; each needs its record and training pairs`,
      );
    const used = new Set<string>();
    mergeFolders = parts.map((p) => {
      let name = slug(p.record.name);
      for (let i = 2; used.has(name); i++) name = `${slug(p.record.name)}-${i}`;
      used.add(name);
      trained(p, base, `experts/${name}/`, files);
      return `experts/${name}`;
    });
    const models = mergeFolders.map((f) => `${f}/merged`);
    files.set('merge.yml', exportMergekitYaml(recipe, { baseModel: s.baseModel, models }));
    files.set('requirements-merge.txt', mergeRequirementsTxt());
  }
  files.set('evaluate.py', evaluatePy(s, input.tasks));
  files.set('requirements.txt', requirementsTxt());
  files.set(
    'README.md',
    projectReadme(s, { pairs: recipe ? null : expert.pairs.length, merge: mergeFolders, tasks: input.tasks }),
  );
  return files;
}
