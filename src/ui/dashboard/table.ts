/**
 * The Evaluate tab's dashboard as data: tasks (dataset × split) as columns, grouped medical / general,
 * one row per retriever with its latest run on each task (earlier runs kept as the cell's history), and
 * per-group and overall means as the paper's tables have them. Pure: the components only render this.
 */
import { groupOf, type DatasetGroup } from '../../data/group';
import { parseHybridLabel } from '../../eval/hybrid-label';
import type { MetricKey } from '../../eval/types';
import { EXPERT_PREFIX } from '../../experts/record';
import type { DatasetMeta, RunRecord } from '../../store/db';
import { leakage } from '../leakage';

export const METRICS: { key: MetricKey; label: string; explain: string }[] = [
  { key: 'ndcg@10', label: 'nDCG@10', explain: 'ranking quality of the top 10, graded, 1 = ideal order' },
  { key: 'map@100', label: 'MAP@100', explain: 'mean average precision over the top 100' },
  { key: 'recall@100', label: 'Recall@100', explain: 'share of the relevant documents found in the top 100' },
  { key: 'mrr@10', label: 'MRR@10', explain: '1 / rank of the first relevant document in the top 10' },
  { key: 'p@10', label: 'P@10', explain: 'share of the top 10 that is relevant' },
];

export interface Task {
  /** "<dataset>/<split>" */
  key: string;
  dataset: string;
  split: string;
  group: DatasetGroup;
}

export interface Cell {
  /** the latest run of the row's retriever on the task */
  run: RunRecord;
  /** its value of the chosen metric (undefined: the report lacks it) */
  value: number | undefined;
  /** the earlier runs, newest first */
  history: RunRecord[];
  /** the run scored the model on queries it may have been trained on */
  leaked: boolean;
}

export type MeanKey = DatasetGroup | 'all';
export interface Mean {
  /** mean over the tasks of the group the row has a value on; null when none */
  value: number | null;
  /** tasks it covers */
  n: number;
  /** tasks the group has in the table: a mean over fewer (n < of) is not comparable with a full one */
  of: number;
  /** a cell in it scored a model on its training queries */
  leaked: boolean;
}

export type RowKind = 'bm25' | 'hybrid' | 'model' | 'expert' | 'merge';
export interface Row {
  retriever: string;
  kind: RowKind;
  /** task key -> cell */
  cells: Map<string, Cell>;
  means: Record<MeanKey, Mean>;
}

export interface DashboardTable {
  metric: MetricKey;
  /** medical first, then general; by dataset, then split */
  tasks: Task[];
  rows: Row[];
  /** task key (or "mean:<group>") -> best value among the rows that may win (no leakage), when 2+ rows have one */
  best: Map<string, number>;
}

export type SortColumn = 'name' | `task:${string}` | `mean:${MeanKey}`;
export interface Sort {
  column: SortColumn;
  dir: 'asc' | 'desc';
}

const KIND_ORDER: RowKind[] = ['bm25', 'hybrid', 'model', 'expert', 'merge'];
export const MEAN_KEYS: MeanKey[] = ['medical', 'general', 'all'];

/** Which sort of retriever an id is; `merges` are the expert ids ("expert:<id>") that are merges. */
export function rowKind(retriever: string, merges: ReadonlySet<string>): RowKind {
  if (retriever === 'bm25' || retriever.startsWith('bm25 ')) return 'bm25';
  if (parseHybridLabel(retriever)) return 'hybrid';
  if (retriever.startsWith(EXPERT_PREFIX)) return merges.has(retriever) ? 'merge' : 'expert';
  return 'model';
}

export function taskKey(dataset: string, split: string): string {
  return `${dataset}/${split}`;
}

/**
 * Builds the table of `runs` for `metric`. A run whose dataset is not stored any more keeps its task,
 * in the group its name suggests. `names` gives each retriever's display name (the default row order
 * is by kind — BM25, hybrid, base models, experts, merges — then by name).
 */
export function buildTable(
  runs: readonly RunRecord[],
  datasets: readonly DatasetMeta[],
  metric: MetricKey,
  opts: { merges?: ReadonlySet<string>; name?: (retriever: string) => string } = {},
): DashboardTable {
  const merges = opts.merges ?? new Set<string>();
  const name = opts.name ?? ((r: string) => r);
  const metas = new Map(datasets.map((d) => [d.name, d]));
  const tasks = new Map<string, Task>();
  const byCell = new Map<string, Map<string, RunRecord[]>>();
  for (const r of runs) {
    const key = taskKey(r.dataset, r.split);
    if (!tasks.has(key)) {
      const meta = metas.get(r.dataset);
      tasks.set(key, {
        key,
        dataset: r.dataset,
        split: r.split,
        group: groupOf(meta ?? { name: r.dataset, description: '' }),
      });
    }
    let row = byCell.get(r.retriever);
    if (!row) byCell.set(r.retriever, (row = new Map()));
    const list = row.get(key);
    if (list) list.push(r);
    else row.set(key, [r]);
  }
  const taskList = [...tasks.values()].sort(
    (a, b) =>
      (a.group === b.group ? 0 : a.group === 'medical' ? -1 : 1) ||
      a.dataset.localeCompare(b.dataset) ||
      a.split.localeCompare(b.split),
  );
  const groupSize = (g: MeanKey) => taskList.filter((t) => g === 'all' || t.group === g).length;
  const rows: Row[] = [];
  for (const [retriever, perTask] of byCell) {
    const cells = new Map<string, Cell>();
    for (const [key, list] of perTask) {
      const sorted = [...list].sort(
        (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
      );
      const run = sorted[0];
      const v = run.report.metrics[metric];
      cells.set(key, {
        run,
        value: typeof v === 'number' && Number.isFinite(v) ? v : undefined,
        history: sorted.slice(1),
        leaked: leakage(run) !== null,
      });
    }
    const means = {} as Record<MeanKey, Mean>;
    for (const g of MEAN_KEYS) {
      const inGroup = taskList
        .filter((t) => g === 'all' || t.group === g)
        .map((t) => cells.get(t.key))
        .filter((c): c is Cell => c !== undefined && c.value !== undefined);
      means[g] = {
        value: inGroup.length ? inGroup.reduce((s, c) => s + (c.value as number), 0) / inGroup.length : null,
        n: inGroup.length,
        of: groupSize(g),
        leaked: inGroup.some((c) => c.leaked),
      };
    }
    rows.push({ retriever, kind: rowKind(retriever, merges), cells, means });
  }
  rows.sort(
    (a, b) =>
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      name(a.retriever).localeCompare(name(b.retriever)) ||
      a.retriever.localeCompare(b.retriever),
  );
  const best = new Map<string, number>();
  const offer = (k: string, v: number | null | undefined, count: Map<string, number>) => {
    if (v === null || v === undefined) return;
    count.set(k, (count.get(k) ?? 0) + 1);
    best.set(k, Math.max(best.get(k) ?? -Infinity, v));
  };
  const counts = new Map<string, number>();
  for (const r of rows) {
    for (const t of taskList) {
      const c = r.cells.get(t.key);
      if (c && !c.leaked) offer(t.key, c.value, counts);
    }
    // only comparable means (over every task of the group) compete
    for (const g of MEAN_KEYS)
      if (r.means[g].n === r.means[g].of && !r.means[g].leaked) offer(`mean:${g}`, r.means[g].value, counts);
  }
  for (const [k, n] of counts) if (n < 2) best.delete(k);
  return { metric, tasks: taskList, rows, best };
}

/** The value a row sorts by in a column (undefined: empty, sorted last either way). */
function sortValue(row: Row, column: SortColumn, name: (r: string) => string): number | string | undefined {
  if (column === 'name') return name(row.retriever);
  if (column.startsWith('mean:')) return row.means[column.slice(5) as MeanKey].value ?? undefined;
  return row.cells.get(column.slice(5))?.value;
}

/** The rows sorted by a column (a stable sort: equal values keep the default order); empty cells last. */
export function sortRows(rows: readonly Row[], sort: Sort, name: (r: string) => string = (r) => r): Row[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: sortValue(row, sort.column, name) }))
    .sort((a, b) => {
      if (a.v === undefined || b.v === undefined) return a.v === b.v ? a.i - b.i : a.v === undefined ? 1 : -1;
      const c = typeof a.v === 'string' ? a.v.localeCompare(b.v as string) : a.v - (b.v as number);
      return sign * c || a.i - b.i;
    })
    .map((x) => x.row);
}

/** The next sort after a click on a column's header: the same column toggles, another starts high-first (names A–Z). */
export function nextSort(current: Sort | null, column: SortColumn): Sort {
  if (current?.column === column) return { column, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { column, dir: column === 'name' ? 'asc' : 'desc' };
}
