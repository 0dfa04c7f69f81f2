/** The weight-search card of the Merge tab: the ticked experts, the method and the dev splits of the panel. */
import { useUi } from '../context';
import { MergeSearch } from './search/MergeSearch';

export function SearchCard() {
  const picked = useUi((s) => s.mergeDraft.picked);
  const method = useUi((s) => s.mergeDraft.method);
  const experts = useUi((s) => s.experts);
  const pools = useUi((s) => s.mergePools);
  const backend = useUi((s) => s.backendPref);
  const start = useUi((s) => s.mergeSearchStart);
  const apply = useUi((s) => s.mergeApplyRecipe);
  const chosen = picked.flatMap((id) => {
    const e = experts.find((x) => x.id === id);
    return e ? [{ id: e.id, name: e.name }] : [];
  });
  return (
    <div className="card" data-testid="merge-search-card">
      <h2>Weight search</h2>
      {chosen.length === 0 || pools.length === 0 ? (
        <p className="muted small">
          Tick the experts to merge and the dev splits to score on above; the search then tries weights (and
          densities) for the chosen method and keeps the best mean nDCG@10 over those splits.
        </p>
      ) : (
        <MergeSearch
          experts={chosen}
          dev={pools}
          method={method}
          backend={backend}
          start={start}
          onChoose={apply}
        />
      )}
    </div>
  );
}
