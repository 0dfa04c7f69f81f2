/** Save the merge under a name, and the saved merges (with their recipes), each a full evaluation away. */
import { useState } from 'react';
import type { ExpertRecord } from '../../experts/record';
import { recipeLabel } from '../../merge/recipe';
import { useUi } from '../context';
import { download } from '../download';
import { dateTime, metric } from '../format';
import { draftProblem, draftRecipe } from '../state/merge-draft';
import { RecipeView } from './RecipeView';

export function SaveMerge() {
  const draft = useUi((s) => s.mergeDraft);
  const experts = useUi((s) => s.experts);
  const save = useUi((s) => s.mergeSave);
  const [name, setName] = useState('');
  const problem = draftProblem(draft, experts, [{ dataset: '-', split: '-' }]);
  const suggested = problem ? '' : recipeLabel(draftRecipe(draft, experts)).slice(0, 120);
  return (
    <form
      className="merge-save"
      onSubmit={(e) => {
        e.preventDefault();
        void save(name.trim() || suggested).then((r) => r && setName(''));
      }}
    >
      <label className="field">
        <span>Name of the merged model</span>
        <input
          data-testid="merge-name"
          value={name}
          placeholder={suggested || 'e.g. med + general, TIES 0.5/0.5'}
          onChange={(e) => setName(e.target.value)}
          maxLength={200}
        />
      </label>
      <button data-testid="merge-save" disabled={problem !== null}>
        Save merge
      </button>
      <span className="muted small">
        It is stored like a trained expert (Train tab) and can be evaluated in the Evaluate tab.
      </span>
    </form>
  );
}

/** The largest useful rank: the merged experts' ranks added up (task arithmetic of rank-r LoRAs). */
function fullRank(e: ExpertRecord, experts: readonly ExpertRecord[]): number {
  const sum = (e.merge?.experts ?? []).reduce(
    (s, x) => s + (experts.find((r) => r.id === x.id)?.config.lora.rank ?? 0),
    0,
  );
  return Math.max(1, Math.min(1024, sum || e.config.lora.rank || 8));
}

const pct = (x: number) => `${(100 * x).toFixed(x > 0.9999 && x < 1 ? 3 : 1)}%`;

/** A saved merge of LoRA experts as a LoRA again (PEFT files): truncated SVD at a rank, energy kept. */
function LoraOut({ e }: { e: ExpertRecord }) {
  const experts = useUi((s) => s.experts);
  const loraOut = useUi((s) => s.mergeLoraOut);
  const [rank, setRank] = useState(() => String(fullRank(e, experts)));
  const [busy, setBusy] = useState(false);
  const [kept, setKept] = useState<{ rank: number; mean: number; low: number; path: string } | null>(null);
  const r = Number(rank);
  const bad = !Number.isInteger(r) || r < 1 || r > 1024;
  return (
    <div className="merge-lora-out" data-testid="merge-lora-out">
      <label>
        <span className="small">LoRA rank </span>
        <input
          type="number"
          min={1}
          max={1024}
          step={1}
          value={rank}
          data-testid="merge-lora-rank"
          aria-invalid={bad}
          onChange={(x) => setRank(x.target.value)}
        />
      </label>
      <button
        className="secondary small"
        data-testid="merge-lora-download"
        disabled={bad || busy}
        title={bad ? 'the rank is a whole number in 1..1024' : 'truncated SVD of each merged ΔW at this rank'}
        onClick={() => {
          setBusy(true);
          void loraOut(e.id, r)
            .then((out) => {
              if (!out) return;
              const mean = out.modules.reduce((a, m) => a + m.energy, 0) / Math.max(1, out.modules.length);
              const low = out.modules.reduce((w, m) => (m.energy < w.energy ? m : w), out.modules[0]);
              setKept({ rank: r, mean, low: low?.energy ?? 1, path: low?.path ?? '-' });
              out.files.forEach((f) => download(f.name, f.data));
            })
            .finally(() => setBusy(false));
        }}
      >
        Download as LoRA (PEFT)
      </button>
      {kept && (
        <span className="muted small" data-testid="merge-lora-energy">
          rank {kept.rank}: energy kept {pct(kept.mean)} on average, lowest {pct(kept.low)} ({kept.path})
        </span>
      )}
    </div>
  );
}

export function SavedMerges() {
  const experts = useUi((s) => s.experts);
  const full = useUi((s) => s.mergeFull);
  const pools = useUi((s) => s.mergePools);
  const load = useUi((s) => s.mergeLoadRecipe);
  const evaluateFull = useUi((s) => s.mergeEvaluateFull);
  const merges = experts.filter((e) => e.merge);
  if (merges.length === 0) return <p className="muted">No saved merges yet.</p>;
  const splits = pools.map((p) => `${p.dataset}/${p.split}`).join(', ');
  return (
    <ul className="merge-saved">
      {merges.map((e) => (
        <li key={e.id} data-testid="merge-saved" data-name={e.name}>
          <div className="merge-saved-head">
            <span className="strong">{e.name}</span>
            <span className="muted small"> saved {dateTime(e.createdAt)}</span>
            <button className="secondary small" data-testid="merge-load" onClick={() => load(e.id)}>
              Put on the sliders
            </button>
            <button
              className="small"
              data-testid="merge-full-eval"
              disabled={pools.length === 0}
              title={pools.length ? `evaluate on the whole of ${splits}` : 'choose a split first'}
              onClick={() => void evaluateFull(e.id)}
            >
              Full evaluation{splits ? ` on ${splits}` : ''}
            </button>
          </div>
          <RecipeView recipe={e.merge!} />
          {e.method === 'lora' && <LoraOut e={e} />}
          {full?.expert === e.id && full.rows.length > 0 && (
            <table className="table merge-full" data-testid="merge-full">
              <caption className="muted small">
                nDCG@10 on the <b>full split</b> (every document of the corpus ranked; also listed in
                Evaluate)
              </caption>
              <tbody>
                {full.rows.map((r) => (
                  <tr key={`${r.dataset}/${r.split}`} data-testid="merge-full-row">
                    <td>
                      {r.dataset}/{r.split}
                      <span className="muted small"> full split ({r.docs.toLocaleString('en-US')} docs)</span>
                    </td>
                    <td className="strong" data-testid="merge-full-ndcg">
                      {metric(r.ndcg10)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </li>
      ))}
    </ul>
  );
}
