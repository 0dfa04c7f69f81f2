/** The method picker and the global parameters the method reads (lambda, seed, t). */
import { MERGE_METHODS, getMergeMethod } from '../../merge/registry';
import { useUi } from '../context';
import { Slider } from './Slider';

export function MethodControls() {
  const draft = useUi((s) => s.mergeDraft);
  const setMethod = useUi((s) => s.mergeSetMethod);
  const setGlobal = useUi((s) => s.mergeSetGlobal);
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
