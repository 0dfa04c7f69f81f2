/** The method picker and the global parameters the method reads (lambda, seed, t). */
import { MERGE_METHODS, getMergeMethod } from '../../merge/registry';
import { useUi } from '../context';
import { flagValue, MERGE_FLAGS } from '../state/merge-draft';
import type { MergeFlag } from '../state/merge-types';
import { Slider } from './Slider';

const FLAG_LABELS: Record<MergeFlag, string> = {
  normalize: 'normalize',
  rescale: 'rescale',
  filterWise: 'per row',
  normalizeWeights: 'normalize weights',
};
const FLAG_HINTS: Record<MergeFlag, string> = {
  normalize: 'divide the mix by the sum of the weights (of the experts that kept each entry)',
  rescale: 'scale what is kept after dropping so each tensor keeps its overall size',
  filterWise: 'Model Stock: one interpolation factor per row instead of per tensor',
  normalizeWeights: 'divide the weights by their sum',
};

/** What each method does, in a line a clinician can follow. */
const NOTES: Record<string, string> = {
  linear: 'A weighted average of the experts (weights are divided by their sum).',
  task_arithmetic:
    'Adds each expert’s change to the base, times its weight, all times lambda. With one expert it scales that expert.',
  ties: 'Keeps each expert’s largest changes (density), settles sign conflicts by vote, then averages what agrees.',
  dare_linear:
    'Drops a random share of each expert’s changes (1 − density), rescales the rest, then adds them up.',
  dare_ties: 'DARE’s random dropping, then TIES’s vote on signs.',
  breadcrumbs: 'Drops each expert’s largest outliers (gamma) and smallest changes, keeping a density share.',
  breadcrumbs_ties: 'Breadcrumbs’ dropping, then TIES’s vote on signs.',
  della: 'Drops changes at random, keeping large ones more often (density ± epsilon), with a vote on signs.',
  della_linear: 'DELLA’s dropping without the vote on signs.',
  slerp: 'Moves from the base towards one expert along the sphere: t = 0 is the base, 1 the expert.',
  model_stock: 'Chooses how far to move from the base from how much the experts agree (no sliders).',
  multislerp: 'A spherical weighted average of the experts.',
};

export function MethodControls() {
  const draft = useUi((s) => s.mergeDraft);
  const setMethod = useUi((s) => s.mergeSetMethod);
  const setGlobal = useUi((s) => s.mergeSetGlobal);
  const setFlag = useUi((s) => s.mergeSetFlag);
  const m = getMergeMethod(draft.method);
  const g = (k: string) => (m.globalParams as readonly string[]).includes(k);
  return (
    <div className="merge-method" data-testid="merge-method-controls">
      <label className="field">
        <span>Method</span>
        <select
          data-testid="merge-method"
          value={draft.method}
          onChange={(e) => setMethod(e.target.value)}
          aria-label="Merge method"
        >
          {MERGE_METHODS.map((x) => (
            <option key={x.name} value={x.name}>
              {x.label} ({x.name})
            </option>
          ))}
        </select>
      </label>
      <p className="muted small merge-note" data-testid="merge-method-note">
        {NOTES[m.name] ?? m.label}
      </p>
      {g('lambda') && (
        <Slider
          label="lambda"
          hint="scale of the mixed change added to the base (1 = as mixed)"
          testId="merge-lambda"
          value={draft.lambda}
          min={0}
          max={2}
          step={0.05}
          onChange={(v) => setGlobal('lambda', v)}
        />
      )}
      {g('t') && (
        <Slider
          label="t"
          hint="0 = the base model, 1 = the expert"
          testId="merge-t"
          value={draft.t}
          min={0}
          max={1}
          step={0.05}
          onChange={(v) => setGlobal('t', v)}
        />
      )}
      {MERGE_FLAGS.filter(g).map((k) => (
        <label key={k} className="merge-flag" title={FLAG_HINTS[k]}>
          <input
            type="checkbox"
            data-testid={`merge-flag-${k}`}
            checked={flagValue(draft, k)}
            onChange={(e) => setFlag(k, e.target.checked)}
          />{' '}
          {FLAG_LABELS[k]}
        </label>
      ))}
      {g('seed') && (
        <label className="field merge-seed">
          <span>Seed (which changes are randomly dropped)</span>
          <input
            type="number"
            data-testid="merge-seed"
            min={0}
            step={1}
            value={draft.seed}
            onChange={(e) => {
              const v = Number(e.target.value);
              if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) setGlobal('seed', v);
            }}
          />
        </label>
      )}
    </div>
  );
}
