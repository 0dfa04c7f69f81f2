/**
 * `stm handoff`: an expert (folder, expert.json, or a training checkpoint) as a runnable Python project
 * (src/handoff/project.ts) in a new or empty folder. Its training pairs come from --pairs or the source its
 * record names; a --merge recipe's models are expert folders, each becoming an experts/<name>/ project.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { loadBeirDir } from '../data/node';
import { EXPERT_JSON, parseExpertRecord } from '../experts/files';
import { isExpertDir, readExpertDir } from '../experts/files-node';
import type { ExpertRecord } from '../experts/record';
import { resolveModelNode } from '../experts/resolve-node';
import { handoffProject, type HandoffExpert } from '../handoff/project';
import type { HandoffTask } from '../handoff/spec';
import { importMergekitYaml } from '../merge/mergekit-yaml';
import { hasCheckpoint, readCheckpointDir } from '../train/checkpoint-node';
import { pairsFromDataset, parseTrainingPairsFile } from '../train/data';
import type { TrainingPair } from '../train/types';
import type { HandoffArgs } from './handoff-args';
import { writeFailed } from './writable';

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** A stm train --out folder with a checkpoint and no expert yet: a record from the checkpoint's config and inputs. */
async function fromCheckpoint(dir: string, log: (m: string) => void): Promise<ExpertRecord> {
  const ck = await readCheckpointDir(dir);
  const json = JSON.parse(await readFile(join(dir, 'checkpoint.json'), 'utf8')) as {
    identity?: { baseModel?: string; dataFile?: string };
  };
  const baseModel = json.identity?.baseModel;
  if (!baseModel)
    throw new Error(
      `${join(dir, 'checkpoint.json')}: no base model recorded; export the finished expert instead`,
    );
  // the templates the run put its texts in are the base's
  const base = await resolveModelNode(baseModel, log);
  log(`${dir}: checkpoint at step ${ck.step} of ${ck.config.steps}`);
  return {
    id: ck.runId,
    name: basename(resolve(dir)),
    baseModel,
    method: ck.config.method,
    config: ck.config,
    data: { source: json.identity?.dataFile ?? '', pairs: 0, negatives: '' },
    templates: base.templates,
    createdAt: new Date().toISOString(),
    history: ck.history,
    ...(ck.config.prompts ? { prompts: ck.config.prompts } : {}),
  };
}

async function loadRecord(spec: string, log: (m: string) => void): Promise<ExpertRecord> {
  if (isDir(spec)) {
    if (isExpertDir(spec)) return (await readExpertDir(spec)).record;
    if (hasCheckpoint(spec)) return fromCheckpoint(spec, log);
    throw new Error(
      `${spec}: neither an expert folder (${EXPERT_JSON}) nor a training checkpoint (checkpoint.json)`,
    );
  }
  if (!existsSync(spec)) throw new Error(`${spec}: no such expert folder or file`);
  // expert.json beside its weights: read the folder (a PEFT config there fills config.lora)
  if (basename(spec) === EXPERT_JSON && isExpertDir(dirname(spec)))
    return (await readExpertDir(dirname(spec))).record;
  return parseExpertRecord(await readFile(spec, 'utf8'), spec);
}

/** The BEIR folder and split a record's `dir#split` source names, when it is on this machine. */
function beirSource(source: string): { dir: string; split: string } | null {
  const at = source.lastIndexOf('#');
  if (at < 0) return null;
  const dir = source.slice(0, at);
  return isDir(dir) ? { dir, split: source.slice(at + 1) } : null;
}

/** The pairs a record was trained on: --pairs, else its source (a pairs file, or a BEIR folder's split). */
async function pairsOf(
  record: ExpertRecord,
  given: string | undefined,
  where: string,
): Promise<TrainingPair[]> {
  const file = given ?? record.data.source;
  const beir = given ? null : beirSource(record.data.source);
  let pairs: TrainingPair[];
  if (beir) pairs = pairsFromDataset(await loadBeirDir(beir.dir), beir.split);
  else if (file && existsSync(file) && !isDir(file))
    pairs = parseTrainingPairsFile(await readFile(file), file);
  else
    throw new Error(
      `${where}: its training pairs ("${record.data.source || 'not recorded'}") are not on this machine: pass --pairs <jsonl> with {query, positive, negatives}`,
    );
  const k = record.config.hardNegatives;
  const short = pairs.findIndex((p) => (p.negatives?.length ?? 0) < k);
  if (short >= 0)
    throw new Error(
      `${given ?? file}: pair ${short + 1} has ${pairs[short].negatives?.length ?? 0} negatives, but "${record.name}" trained with ${k} hard negative(s) per query (${record.data.negatives || 'mined'}): pass --pairs with the mined negatives (stm synth --negatives mined:${k} writes them)`,
    );
  return pairs;
}

/** Default tasks: the record's BEIR source, scored on its test split when it has one. */
function defaultTasks(record: ExpertRecord): HandoffTask[] {
  const b = beirSource(record.data.source);
  if (!b || !existsSync(join(b.dir, 'qrels', 'test.tsv'))) return [];
  return [{ name: basename(resolve(b.dir)), path: resolve(b.dir), split: 'test' }];
}

function checkOut(out: string): void {
  if (!existsSync(out)) return;
  if (!isDir(out)) throw new Error(`--out ${out} is a file: choose a new folder`);
  const inside = readdirSync(out);
  if (inside.length)
    throw new Error(
      `--out ${out} is not empty (e.g. ${inside[0]}): choose a new or empty folder; nothing was written`,
    );
}

export async function runHandoff(a: HandoffArgs, log: (m: string) => void): Promise<void> {
  checkOut(a.out);
  const record = await loadRecord(a.expert, log);
  let merge:
    { recipe?: ReturnType<typeof importMergekitYaml>['recipe']; experts: HandoffExpert[] } | undefined;
  if (a.merge) {
    const imported = importMergekitYaml(await readFile(a.merge, 'utf8'), a.merge);
    const experts: HandoffExpert[] = [];
    for (const m of imported.models) {
      const path = isAbsolute(m) || existsSync(m) ? m : join(dirname(a.merge), m);
      const rec = await loadRecord(path, log);
      experts.push({ record: rec, pairs: await pairsOf(rec, undefined, `${a.merge}: model ${m}`) });
    }
    merge = { recipe: imported.recipe, experts };
  } else if (record.merge) {
    throw new Error(
      `${a.expert} is a merge of ${record.merge.experts.map((e) => e.name).join(', ')}: pass --merge <recipe.yml> naming their expert folders`,
    );
  }
  const pairs = merge ? [] : await pairsOf(record, a.pairs, a.expert);
  // absolute: the project is run from elsewhere
  const tasks = (a.tasks.length ? a.tasks : defaultTasks(record)).map((t) => ({
    ...t,
    path: resolve(t.path),
  }));
  for (const t of tasks)
    if (!isDir(t.path))
      throw new Error(`--task ${t.name}=${t.path}: not a folder (a BEIR folder is expected)`);
  const files = handoffProject({ expert: { record, pairs }, base: a.base, merge, tasks });
  try {
    for (const [name, text] of files) {
      const p = join(a.out, name);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, text);
    }
  } catch (e) {
    throw writeFailed('the project', a.out, e);
  }
  log(`wrote ${a.out}: ${[...files.keys()].join(', ')}`);
  console.log(a.out);
}
