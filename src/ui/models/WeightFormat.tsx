import type { WeightFormatChoice } from '../../models/hf/fit';
import { useUi } from '../context';
import { Jobs } from '../Jobs';

const LABELS: Record<WeightFormatChoice, string> = {
  auto: 'auto (f16 on WebGPU, f32 on the CPU)',
  f32: 'f32 (exact)',
  f16: 'f16 (half the memory)',
  q8: 'int8 per output row (a quarter)',
};

/**
 * The weight format of a Hugging Face model on the studio's kernels: how its linear weights are uploaded,
 * and their measured accuracy cost (cosine of the demo queries' embeddings to f32), on a button.
 */
export function WeightFormat({ model, saved }: { model: string; saved: WeightFormatChoice | null }) {
  const result = useUi((s) => s.weightFormats[model]);
  const setFormat = useUi((s) => s.setWeightFormat);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'weights'));
  // this session's change, else the format kept from an earlier one
  const format = result?.format ?? saved ?? 'auto';
  const check = result?.check ?? null;
  return (
    <div data-testid="weight-format">
      <div className="row">
        <label className="field inline">
          <span>Weights</span>
          <select
            data-testid="weight-format-select"
            value={format}
            disabled={busy}
            onChange={(e) => void setFormat(e.target.value as WeightFormatChoice, false)}
          >
            {(Object.keys(LABELS) as WeightFormatChoice[]).map((f) => (
              <option key={f} value={f}>
                {LABELS[f]}
              </option>
            ))}
          </select>
        </label>
        <button data-testid="weight-check" disabled={busy} onClick={() => void setFormat(format, true)}>
          Measure cosine to f32
        </button>
      </div>
      {check ? (
        <p className="small" data-testid="weight-check-result">
          {check.format} weights: cosine to f32 mean {check.meanCosine.toFixed(5)}, min{' '}
          {check.minCosine.toFixed(5)} over {check.texts} demo queries
        </p>
      ) : (
        <p className="muted small">
          {result ? `Linear weights upload as ${result.resolved} on this backend. ` : ''}Measure to see what
          the format costs in accuracy.
        </p>
      )}
      <Jobs kinds={['weights']} />
    </div>
  );
}
