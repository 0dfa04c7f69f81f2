/** Two or more experts side by side: their recipes, final loss, dev nDCG@10 and latest evaluation. */
import type { ExpertRecord } from '../../experts/record';
import { useUi } from '../context';
import { metric } from '../format';
import { lastDev } from './expert-stats';

type RowDef = [string, (e: ExpertRecord) => string];
const ROWS: RowDef[] = [
  ['Base model', (e) => e.baseModel],
  ['Method', (e) => e.method],
  ['Data', (e) => e.data.source],
  ['Pairs', (e) => String(e.data.pairs)],
  ['Negatives', (e) => e.data.negatives],
  ['Steps', (e) => String(e.config.steps)],
  ['Batch size', (e) => String(e.config.batchSize)],
  ['Learning rate', (e) => String(e.config.lr)],
  ['Warm-up', (e) => String(e.config.warmupSteps)],
  [
    'Weights',
    (e) =>
      e.method === 'lora'
        ? `LoRA r${e.config.lora.rank} α${e.config.lora.alpha} dropout ${e.config.lora.dropout}`
        : `${e.config.adapter.kind} r${e.config.adapter.rank}`,
  ],
  ['Hard negatives', (e) => String(e.config.hardNegatives)],
  ['Scale', (e) => String(e.config.scale)],
  ['Symmetric', (e) => (e.config.symmetric ? 'yes' : 'no')],
  ['Clip', (e) => String(e.config.maxGradNorm)],
  ['Seed', (e) => String(e.config.seed)],
  ['Final loss', (e) => metric(e.history[e.history.length - 1]?.loss)],
  ['Dev nDCG@10', (e) => metric(lastDev(e))],
];

export function Compare() {
  const ids = useUi((s) => s.compare);
  const experts = useUi((s) => s.experts);
  const runs = useUi((s) => s.runs);
  const picked = ids
    .map((id) => experts.find((e) => e.id === id))
    .filter((e): e is ExpertRecord => e !== undefined);
  if (picked.length < 2) return <p className="muted small">Tick two or more experts to compare them.</p>;
  const evalOf = (e: ExpertRecord) => runs.find((r) => r.retriever === `expert:${e.id}`);
  return (
    <>
      <h4>Compare</h4>
      <table className="table compare" data-testid="expert-compare-table">
        <thead>
          <tr>
            <th />{' '}
            {picked.map((e) => (
              <th key={e.id}>{e.name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ROWS.map(([label, f]) => (
            <tr key={label}>
              <th>{label}</th>
              {picked.map((e) => (
                <td key={e.id}>{f(e)}</td>
              ))}
            </tr>
          ))}
          <tr>
            <th>Latest evaluation nDCG@10</th>
            {picked.map((e) => {
              const r = evalOf(e);
              return (
                <td key={e.id} data-testid="compare-eval">
                  {r ? `${metric(r.report.metrics['ndcg@10'])} (${r.dataset}/${r.split})` : '—'}
                </td>
              );
            })}
          </tr>
        </tbody>
      </table>
    </>
  );
}
