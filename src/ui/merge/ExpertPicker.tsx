/** The experts to merge: a tick each (one base model and one training method at a time), with sliders for the ticked. */
import { getMergeMethod } from '../../merge/registry';
import { useUi } from '../context';
import { DEFAULT_EXPERT_PARAMS } from '../state/merge-draft';
import { Slider } from './Slider';

const HINTS = {
  weight: 'how much of this expert’s change to the base goes into the merge',
  density: 'fraction of this expert’s changes kept (the rest are dropped before mixing)',
  gamma: 'breadcrumbs: fraction of the largest changes dropped as outliers',
  epsilon: 'DELLA: how far the keep probability spreads around the density',
};

export function ExpertPicker() {
  const experts = useUi((s) => s.experts);
  const draft = useUi((s) => s.mergeDraft);
  const notice = useUi((s) => s.mergeNotice);
  const toggle = useUi((s) => s.mergeToggleExpert);
  const setParam = useUi((s) => s.mergeSetParam);
  const m = getMergeMethod(draft.method);
  const reads = (k: string) => (m.modelParams as readonly string[]).includes(k);
  return (
    <div data-testid="merge-experts">
      <div className="table-scroll">
        <table className="table merge-experts">
          <thead>
            <tr>
              <th>Merge</th>
              <th>Expert</th>
              <th>Base · method</th>
              <th>{m.modelParams.length ? 'Parameters' : ''}</th>
            </tr>
          </thead>
          <tbody>
            {experts.map((e) => {
              const on = draft.picked.includes(e.id);
              const p = { ...DEFAULT_EXPERT_PARAMS, ...draft.params[e.id] };
              return (
                <tr key={e.id} data-testid="merge-expert" data-name={e.name} data-picked={on}>
                  <td>
                    <input
                      type="checkbox"
                      data-testid="merge-expert-pick"
                      checked={on}
                      onChange={() => toggle(e.id)}
                      aria-label={`merge ${e.name}`}
                    />
                  </td>
                  <td>
                    {e.name}
                    {e.merge && <span className="muted small"> (a merge)</span>}
                  </td>
                  <td className="small">
                    {e.baseModel} · {e.method === 'lora' ? 'LoRA' : 'adapter'}
                  </td>
                  <td>
                    <div className="merge-params">
                      {on && m.modelParams.length === 0 && (
                        <span className="muted small">{m.label} takes no per-expert parameters</span>
                      )}
                      {on &&
                        (['weight', 'density', 'gamma', 'epsilon'] as const)
                          .filter(reads)
                          .map((k) => (
                            <Slider
                              key={k}
                              label={k}
                              hint={HINTS[k]}
                              testId={`merge-${k}`}
                              value={p[k]}
                              min={k === 'weight' ? -1 : 0}
                              max={k === 'weight' ? 2 : 1}
                              step={k === 'gamma' ? 0.005 : 0.05}
                              onChange={(v) => setParam(e.id, k, v)}
                            />
                          ))}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {notice && (
        <p className="form-warning" role="alert" data-testid="merge-notice">
          {notice}
        </p>
      )}
    </div>
  );
}
