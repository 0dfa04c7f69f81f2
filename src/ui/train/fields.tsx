/** Small labelled form inputs of the Train form. */
import { Help } from '../help/Help';
import type { HelpEntry } from '../help/metric-help';

export function NumField(p: {
  label: string;
  testId: string;
  value: number;
  onChange: (v: number) => void;
  min: number;
  max: number;
  step?: number;
  int?: boolean;
  disabled?: boolean;
  title?: string;
  /** an explanation shown by a "?" beside the label */
  help?: HelpEntry;
}) {
  return (
    <label className="field narrow" title={p.title}>
      <span>
        {p.label}
        {p.help && <Help topic={p.help.label} text={p.help.text} />}
      </span>
      <input
        data-testid={p.testId}
        type="number"
        min={p.min}
        max={p.max}
        step={p.step ?? (p.int ? 1 : 'any')}
        value={p.value}
        disabled={p.disabled}
        onChange={(e) => {
          const v = e.target.valueAsNumber;
          if (Number.isFinite(v)) p.onChange(Math.min(p.max, Math.max(p.min, p.int ? Math.round(v) : v)));
        }}
      />
    </label>
  );
}

export function Select<T extends string>(p: {
  label: string;
  testId: string;
  value: T;
  options: readonly (readonly [T, string])[];
  onChange: (v: T) => void;
  disabled?: boolean;
}) {
  return (
    <label className="field">
      <span>{p.label}</span>
      <select
        data-testid={p.testId}
        value={p.value}
        disabled={p.disabled}
        onChange={(e) => p.onChange(e.target.value as T)}
      >
        {p.options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}
