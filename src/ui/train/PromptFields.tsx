/**
 * The Train form's "Query prompts": none, GP-n (n generic instructions, one drawn per query), or the user's
 * own instructions (one per line). What the run records in its config and the expert in its record.
 */
import { GENERIC_INSTRUCTIONS, genericPolicy } from '../../prompts/generic';
import { parsePolicyFile } from '../../prompts/policy-file';
import type { PromptPolicy } from '../../prompts/policy';
import { NumField, Select } from './fields';

export interface PromptChoice {
  kind: 'none' | 'gp' | 'mine';
  n: number;
  text: string;
}

export const NO_PROMPTS: PromptChoice = { kind: 'none', n: 4, text: '' };

/** The policy a choice stands for (undefined: none), or the error that keeps it from being one. */
export function choicePolicy(c: PromptChoice): { policy?: PromptPolicy; error?: string } {
  try {
    if (c.kind === 'gp') return { policy: genericPolicy(c.n) };
    if (c.kind === 'mine') return { policy: parsePolicyFile(c.text, 'your instructions') };
    return {};
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const EXPLAIN: Record<PromptChoice['kind'], string> = {
  none: 'Queries go in as they are (in the base model’s own query template).',
  gp: 'Each query gets one of the first n generic retrieval instructions, drawn at random (seeded), as the STM paper’s GP-n; the expert then uses the first by default.',
  mine: 'One instruction per line (# starts a comment): one line is always used; several are drawn per query. The expert uses the first by default.',
};

export function PromptFields({
  value,
  onChange,
}: {
  value: PromptChoice;
  onChange: (c: PromptChoice) => void;
}) {
  const { error, policy } = choicePolicy(value);
  return (
    <div className="row wrap form" data-testid="train-prompts">
      <Select
        label="Query prompts"
        testId="train-prompts-kind"
        value={value.kind}
        onChange={(kind) => onChange({ ...value, kind })}
        options={[
          ['none', 'none'],
          ['gp', 'GP-n (generic instructions)'],
          ['mine', 'my instructions'],
        ]}
      />
      {value.kind === 'gp' && (
        <NumField
          label="n"
          testId="train-prompts-n"
          value={value.n}
          min={1}
          max={GENERIC_INSTRUCTIONS.length}
          int
          onChange={(n) => onChange({ ...value, n })}
        />
      )}
      {value.kind === 'mine' && (
        <label className="field wide">
          <span>Instructions (one per line)</span>
          <textarea
            data-testid="train-prompts-text"
            rows={3}
            value={value.text}
            placeholder="Given a medical question, retrieve passages that answer it"
            onChange={(e) => onChange({ ...value, text: e.target.value })}
          />
        </label>
      )}
      <p className="muted small" data-testid="train-prompts-explain">
        {EXPLAIN[value.kind]} Passages never carry an instruction.
      </p>
      {value.kind === 'gp' && policy && (
        <ol className="muted small" data-testid="train-prompts-list">
          {policy.instructions.map((i) => (
            <li key={i}>{i}</li>
          ))}
        </ol>
      )}
      {error && (
        <p className="form-warning" data-testid="train-prompts-error">
          {error}
        </p>
      )}
    </div>
  );
}
