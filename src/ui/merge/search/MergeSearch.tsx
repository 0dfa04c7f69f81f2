/**
 * Weight search in the Merge panel (issue 10 item 4): strategy, budget and seed; progress and cancel; the
 * score of every trial against its number (SVG) and the table of trials; the best recipe can be taken
 * over by the panel. The search runs in the worker (feature merge-search) on the dev pools; the figures are
 * pool estimates on dev splits, and the panel's full evaluation on test is one click away there.
 */
import { useState } from 'react';
import type { JobProgress } from '../../../worker/client';
import type { BackendPref } from '../../../worker/events';
import type { MergeRecipe } from '../../../merge/recipe';
import type { SearchStrategy } from '../../../merge/search/search';
import type { MergeSearchRequest, MergeSearchResult } from '../../../worker/features/merge-search/protocol';
import { SearchPlot } from './SearchPlot';
import { bestReference } from './trials';

export interface MergeSearchProps {
  experts: readonly { id: string; name: string }[];
  /** the dev splits searched on, one task each */
  dev: readonly { dataset: string; split: string }[];
  method: string;
  backend: BackendPref;
  /** starts the worker request (the app's client.start('merge-search', …)) */
  start: (
    req: MergeSearchRequest,
    onProgress: (p: JobProgress) => void,
  ) => { promise: Promise<MergeSearchResult>; cancel: () => void };
  /** takes the chosen recipe over into the panel's sliders */
  onChoose?: (recipe: MergeRecipe) => void;
}

const STRATEGIES: { value: SearchStrategy; label: string }[] = [
  { value: 'cmaes', label: 'CMA-ES' },
  { value: 'random', label: 'Random (best of N)' },
  { value: 'grid', label: 'Grid (weights 0–0.9, densities 0.1–0.9)' },
];

export function MergeSearch(props: MergeSearchProps) {
  const [strategy, setStrategy] = useState<SearchStrategy>('cmaes');
  const [budget, setBudget] = useState(60);
  const [seed, setSeed] = useState(42);
  const [running, setRunning] = useState<{ cancel: () => void } | null>(null);
  const [progress, setProgress] = useState<JobProgress | null>(null);
  const [result, setResult] = useState<MergeSearchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ready = props.experts.length > 0 && props.dev.length > 0;

  const run = () => {
    setError(null);
    setResult(null);
    setProgress(null);
    const h = props.start(
      {
        experts: props.experts.map((e) => e.id),
        dev: props.dev.map((d) => ({ dataset: d.dataset, split: d.split })),
        method: props.method,
        strategy,
        budget,
        seed,
        backend: props.backend,
      },
      setProgress,
    );
    setRunning({ cancel: h.cancel });
    h.promise
      .then(
        (r) => setResult(r),
        (e: Error) => setError(`${e.name === 'Error' ? '' : e.name + ': '}${e.message}`),
      )
      .finally(() => setRunning(null));
  };

  const ref = result ? bestReference(result) : null;
  const best = result?.best;
  return (
    <section className="merge-search" data-testid="merge-search">
      <p className="hint">
        Objective: mean nDCG@10 over the dev pools of{' '}
        {props.dev.map((d) => `${d.dataset}/${d.split}`).join(', ') || '—'} (each split one task). Test splits
        are not searched on.
      </p>
      <div className="row">
        <label>
          Strategy{' '}
          <select
            data-testid="merge-search-strategy"
            value={strategy}
            onChange={(e) => setStrategy(e.target.value as SearchStrategy)}
            disabled={!!running}
          >
            {STRATEGIES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Budget{' '}
          <input
            type="number"
            data-testid="merge-search-budget"
            min={1}
            max={5000}
            value={budget}
            disabled={!!running}
            onChange={(e) => setBudget(Math.max(1, Math.round(Number(e.target.value) || 1)))}
          />
        </label>
        <label>
          Seed{' '}
          <input
            type="number"
            min={0}
            value={seed}
            disabled={!!running}
            onChange={(e) => setSeed(Math.max(0, Math.round(Number(e.target.value) || 0)))}
          />
        </label>
        {running ? (
          <button type="button" data-testid="merge-search-cancel" onClick={() => running.cancel()}>
            Cancel
          </button>
        ) : (
          <button type="button" data-testid="merge-search-run" disabled={!ready} onClick={run}>
            Search
          </button>
        )}
      </div>
      {running && progress && (
        <p className="merge-search-progress" data-testid="merge-search-progress">
          {progress.phase === 'score'
            ? `trial ${progress.done} of ${progress.total}${progress.detail ? ` — ${progress.detail}` : ''}`
            : `${progress.detail ?? progress.phase} ${progress.done}/${progress.total}`}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && best && (
        <>
          <p data-testid="merge-search-summary">
            {result.cancelled ? 'Cancelled after ' : ''}
            {result.trials.length} trials. Best #{best.index}: <strong>{best.objective.toFixed(4)}</strong>{' '}
            {best.label}
            {ref && ` (best single model on dev: ${ref.model} ${ref.objective.toFixed(4)})`}.{' '}
            {props.onChoose && (
              <button
                type="button"
                data-testid="merge-search-use"
                onClick={() => props.onChoose?.(result.best.recipe)}
              >
                Use this recipe
              </button>
            )}
          </p>
          <p className="hint">Searched: {result.searched}</p>
          <SearchPlot trials={result.trials} total={result.trials.length} reference={ref} />
          <table className="table" data-testid="merge-search-trials">
            <thead>
              <tr>
                <th>#</th>
                <th>objective</th>
                {result.tasks.map((t) => (
                  <th key={t}>{t}</th>
                ))}
                {result.params.map((p) => (
                  <th key={p}>{p}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.trials.map((t) => (
                <tr
                  key={t.index}
                  className={t.index === best.index ? 'best' : undefined}
                  style={t.index === best.index ? { fontWeight: 600 } : undefined}
                >
                  <td>{t.index}</td>
                  <td>{t.objective.toFixed(4)}</td>
                  {result.tasks.map((k) => (
                    <td key={k}>{t.scores[k].toFixed(4)}</td>
                  ))}
                  {t.x.map((v, i) => (
                    <td key={i}>{v.toFixed(2)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
