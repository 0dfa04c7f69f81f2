import { useState } from 'react';
import type { ModelTemplates } from '../../models/types';
import type { TemplatesResult } from '../../worker/protocol';
import { useUi } from '../context';

/** Query / passage templates of one model, editable, with Reset to the model's own. */
export function TemplateEditor({ model, current }: { model: string; current: TemplatesResult }) {
  const save = useUi((s) => s.saveTemplates);
  // the draft starts from what is stored; the parent remounts this editor (key) when that changes
  const [draft, setDraft] = useState<ModelTemplates>(current.templates);
  const [saving, setSaving] = useState(false);
  const changed =
    draft.query !== current.templates.query ||
    draft.passage !== current.templates.passage ||
    draft.instruction !== current.templates.instruction;
  const run = async (t: ModelTemplates | null) => {
    setSaving(true);
    await save(model, t);
    setSaving(false);
  };
  // decoders have an instruction of their own; any model has one once its template has {instruction}
  // (a prompt chosen in the Prompts tab puts "{instruction}\nQuery: {text}" around its query template)
  const hasInstruction =
    current.defaults.instruction !== null ||
    draft.query.includes('{instruction}') ||
    draft.passage.includes('{instruction}');
  return (
    <div className="templates" data-testid="template-editor" data-custom={current.custom}>
      <p className="muted small">
        Placeholders: <code>{'{text}'}</code>, <code>{'{title}'}</code> (passages),{' '}
        <code>{'{instruction}'}</code> (the instruction below, e.g. one found in the Prompts tab). A change
        makes new corpus embeddings (the cache key includes the passage template).
      </p>
      {hasInstruction && (
        <label className="field wide">
          <span>Instruction</span>
          <input
            type="text"
            data-testid="template-instruction"
            value={draft.instruction ?? ''}
            onChange={(e) => setDraft({ ...draft, instruction: e.target.value })}
          />
        </label>
      )}
      <label className="field wide">
        <span>Query template</span>
        <textarea
          rows={2}
          data-testid="template-query"
          value={draft.query}
          onChange={(e) => setDraft({ ...draft, query: e.target.value })}
        />
      </label>
      <label className="field wide">
        <span>Passage template</span>
        <textarea
          rows={2}
          data-testid="template-passage"
          value={draft.passage}
          onChange={(e) => setDraft({ ...draft, passage: e.target.value })}
        />
      </label>
      <div className="row">
        <button
          data-testid="template-save"
          disabled={!changed || saving}
          onClick={() => void run(hasInstruction ? draft : { ...draft, instruction: null })}
        >
          Save templates
        </button>
        <button
          className="secondary"
          data-testid="template-reset"
          disabled={!current.custom || saving}
          onClick={() => void run(null)}
        >
          Reset to default
        </button>
        {current.custom && <span className="chip">custom</span>}
      </div>
    </div>
  );
}
