/** Two dashboard rows compared task by task with the paired tests of src/eval/significance.ts. */
import { compareRuns, type PairedComparison } from '../../eval/significance';
import type { MetricKey } from '../../eval/types';
import type { Row, Task } from './table';

/** a task's comparison, or why there is none (a row lacks the task, the runs share no query) */
export type TaskComparison = { task: Task; result: PairedComparison } | { task: Task; missing: string };

/** B against A on every task of the table, on the latest run of each (the cells the table shows). */
export function compareRows(a: Row, b: Row, tasks: readonly Task[], metric: MetricKey): TaskComparison[] {
  return tasks.map((task) => {
    const ca = a.cells.get(task.key);
    const cb = b.cells.get(task.key);
    if (!ca || !cb) return { task, missing: `${!ca ? 'A' : 'B'} was not run on this task` };
    try {
      return { task, result: compareRuns(ca.run.report.perQuery, cb.run.report.perQuery, metric) };
    } catch (e) {
      return { task, missing: e instanceof Error ? e.message : String(e) };
    }
  });
}

/** ▲ B significantly above A, ▼ below, '' otherwise (randomisation p < 0.05). */
export function mark(c: TaskComparison | undefined): '▲' | '▼' | '' {
  if (!c || !('result' in c) || !c.result.significant) return '';
  return c.result.diff > 0 ? '▲' : c.result.diff < 0 ? '▼' : '';
}
