/** A labelled range slider with its value beside it (and a number box for exact values). */
export function Slider(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  testId: string;
  hint?: string;
  onChange(v: number): void;
}) {
  const { label, value, min, max, step, testId, hint, onChange } = props;
  return (
    <label className="merge-slider" title={hint}>
      <span className="merge-slider-label">{label}</span>
      <input
        type="range"
        data-testid={testId}
        min={min}
        max={max}
        step={step}
        value={value}
        aria-label={label}
        onChange={(e) => onChange(Number(e.target.value))}
      />
      <input
        type="number"
        className="merge-slider-num"
        data-testid={`${testId}-num`}
        min={min}
        max={max}
        step={step}
        value={value}
        aria-label={`${label} value`}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(v)) onChange(Math.min(max, Math.max(min, v)));
        }}
      />
    </label>
  );
}
