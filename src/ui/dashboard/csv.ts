/** The dashboard table as CSV (RFC 4180: CRLF line ends, fields with , " CR or LF quoted, quotes doubled). */
import { MEAN_KEYS, METRICS, type DashboardTable, type MeanKey } from './table';

/** One RFC 4180 field. */
export function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: (string | number | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

const MEAN_LABEL: Record<MeanKey, string> = {
  medical: 'medical mean',
  general: 'general mean',
  all: 'overall mean',
};

/**
 * Header: retriever, one column per task ("<dataset>/<split> (<group>)"), then each mean with the number
 * of tasks it covers ("2 of 3": a mean over fewer tasks than the group has is not comparable). Values are
 * the chosen metric at full precision; an empty field is a task the retriever was not run on.
 */
export function dashboardCsv(table: DashboardTable, name: (retriever: string) => string): string {
  const label = METRICS.find((m) => m.key === table.metric)?.label ?? table.metric;
  const header = [
    `retriever (${label})`,
    ...table.tasks.map((t) => `${t.key} (${t.group})`),
    ...MEAN_KEYS.flatMap((g) => [MEAN_LABEL[g], `${MEAN_LABEL[g]} tasks`]),
  ];
  const lines = [csvLine(header)];
  for (const r of table.rows)
    lines.push(
      csvLine([
        name(r.retriever),
        ...table.tasks.map((t) => r.cells.get(t.key)?.value),
        ...MEAN_KEYS.flatMap((g) => [r.means[g].value, `${r.means[g].n} of ${r.means[g].of}`]),
      ]),
    );
  return `${lines.join('\r\n')}\r\n`;
}
