/** The merged model's query instruction: the first ticked expert's default, none, or the user's own. */
import { useEffect, useState } from 'react';
import { checkInstruction, defaultInstruction } from '../../prompts/policy';
import { useUi } from '../context';

type Mode = 'first' | 'none' | 'own';

export function InstructionControl() {
  const draft = useUi((s) => s.mergeDraft);
  const experts = useUi((s) => s.experts);
  const setInstruction = useUi((s) => s.mergeSetInstruction);
  const first = experts.find((e) => e.id === draft.picked[0]);
  const inherited = first
    ? first.instruction !== undefined
      ? first.instruction
      : defaultInstruction(first.prompts)
    : null;
  const drafted: Mode =
    draft.instruction === undefined ? 'first' : draft.instruction === null ? 'none' : 'own';
  // "own" is chosen before a valid text is committed to the draft
  const [mode, setMode] = useState<Mode>(drafted);
  const [text, setText] = useState(typeof draft.instruction === 'string' ? draft.instruction : '');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // undo/redo, a loaded recipe
    setMode(drafted);
    if (typeof draft.instruction === 'string') setText(draft.instruction);
  }, [draft.instruction, drafted]);
  const commit = (value: string) => {
    try {
      setInstruction(checkInstruction(value, 'the instruction'));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="merge-instruction" data-testid="merge-instruction">
      <label className="field">
        <span>Query instruction of the merge</span>
        <select
          data-testid="merge-instruction-mode"
          value={mode}
          onChange={(e) => {
            const v = e.target.value as Mode;
            setError(null);
            setMode(v);
            if (v === 'first') setInstruction(undefined);
            else if (v === 'none') setInstruction(null);
            else if (text.trim()) commit(text);
            else setText(inherited ?? '');
          }}
        >
          <option value="first">as the first ticked expert</option>
          <option value="none">no instruction</option>
          <option value="own">this instruction…</option>
        </select>
      </label>
      {mode === 'own' ? (
        <input
          data-testid="merge-instruction-text"
          aria-label="Query instruction of the merge"
          value={text}
          maxLength={2000}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => commit(text)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              commit(text);
            }
          }}
        />
      ) : (
        <p className="muted small" data-testid="merge-instruction-note">
          {mode === 'none'
            ? 'Questions are embedded without an instruction.'
            : !first
              ? 'Tick experts first.'
              : inherited
                ? `Questions get “${inherited}” before them, as ${first.name} uses (its training or the Prompts tab).`
                : `${first.name} uses no instruction, so the merge uses none.`}
        </p>
      )}
      {error && (
        <p className="error small" role="alert" data-testid="merge-instruction-error">
          {error}
        </p>
      )}
    </div>
  );
}
