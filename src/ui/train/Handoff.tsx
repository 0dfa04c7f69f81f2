/**
 * An expert's "Python project" download (issue 12 item 8): asks which Hugging Face model to train in Python
 * (the expert's base when it is one; a studio built-in such as USE-lite has no PyTorch weights), then
 * downloads train.py, the run's pairs, evaluate.py, merge.yml (a merge), requirements and README as one .zip.
 */
import { useState } from 'react';
import type { ExpertRecord } from '../../experts/record';
import { useUi } from '../context';
import { download } from '../download';

export function HandoffButton({ e }: { e: ExpertRecord }) {
  const handoff = useUi((s) => s.handoffProject);
  const [base, setBase] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (base === null)
    return (
      <button
        className="secondary small"
        data-testid="expert-handoff"
        title="Train this recipe on bigger machines: sentence-transformers + PEFT train.py, pairs, MTEB evaluate.py, mergekit YAML"
        // a hub id or folder is offered; a built-in id (use-lite, glove) is no PyTorch model
        onClick={() => setBase(/[/\\]/.test(e.baseModel) ? e.baseModel : '')}
      >
        Python project
      </button>
    );
  return (
    <form
      className="handoff-form"
      data-testid="handoff-form"
      onSubmit={(ev) => {
        ev.preventDefault();
        setBusy(true);
        void handoff(e.id, base.trim() || undefined)
          .then((z) => {
            if (z) {
              download(z.name, z.data, 'application/zip');
              setBase(null);
            }
          })
          .finally(() => setBusy(false));
      }}
    >
      <label className="small">
        Model to train in Python (hub id or folder)
        <input
          data-testid="handoff-base"
          value={base}
          required
          placeholder="e.g. Qwen/Qwen3-Embedding-0.6B"
          onChange={(ev) => setBase(ev.target.value)}
        />
      </label>
      <button className="small" data-testid="handoff-download" disabled={busy || !base.trim()}>
        Download .zip
      </button>
      <button type="button" className="secondary small" onClick={() => setBase(null)}>
        Cancel
      </button>
    </form>
  );
}
