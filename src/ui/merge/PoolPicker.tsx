/** The dataset splits the merge is scored on, each dataset marked medical or general, and the pool depth k. */
import { useUi } from '../context';
import { groupOf } from '../../data/group';
import type { Domain } from '../state/merge-types';

export function PoolPicker() {
  const datasets = useUi((s) => s.datasets);
  const pools = useUi((s) => s.mergePools);
  const k = useUi((s) => s.mergeK);
  const toggle = useUi((s) => s.mergeTogglePool);
  const setGroup = useUi((s) => s.setDatasetGroup);
  const setK = useUi((s) => s.mergeSetK);
  const tuningOnTest = pools.filter((p) => /test/i.test(p.split)).map((p) => `${p.dataset}/${p.split}`);
  if (datasets.length === 0)
    return <p className="muted">No datasets yet: load one in the Data tab to score merges on it.</p>;
  return (
    <div className="merge-pools" data-testid="merge-pools">
      {datasets.map((d) => (
        <div key={d.name} className="merge-pool-row" data-testid="merge-dataset" data-name={d.name}>
          <span className="strong">{d.name}</span>
          <select
            data-testid="merge-domain"
            value={groupOf(d)}
            onChange={(e) => void setGroup(d.name, e.target.value as Domain)}
            aria-label={`domain of ${d.name}`}
          >
            <option value="medical">medical</option>
            <option value="general">general</option>
          </select>
          {Object.entries(d.splits).map(([split, info]) => (
            <label key={split} className="chip merge-split">
              <input
                type="checkbox"
                data-testid="merge-split"
                data-split={split}
                checked={pools.some((p) => p.dataset === d.name && p.split === split)}
                onChange={() => toggle({ dataset: d.name, split })}
              />{' '}
              {split} ({info.queries} queries)
            </label>
          ))}
        </div>
      ))}
      <label className="field merge-k">
        <span>Candidates per model in a dev pool (k)</span>
        <input
          type="number"
          data-testid="merge-k"
          min={1}
          max={10000}
          step={10}
          value={k}
          onChange={(e) => setK(Number(e.target.value))}
        />
      </label>
      {tuningOnTest.length > 0 ? (
        <p className="form-warning" data-testid="merge-test-warning">
          You are tuning on {tuningOnTest.join(', ')}: a merge tuned on a split flatters itself there, so
          these figures are not a fair test result. Split off a dev part in the Data tab to tune on, and keep
          the test split for the end.
        </p>
      ) : (
        <p className="muted small">
          Tune on dev splits and keep the test splits you report for the end: a merge tuned on a split
          flatters itself there.
        </p>
      )}
    </div>
  );
}
