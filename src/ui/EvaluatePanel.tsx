import { DEFAULT_ALPHA, hybridLabel, parseHybridLabel } from '../eval/hybrid-label';
import { useUi } from './context';
import { DrillDown } from './DrillDown';
import { ExplorerCard } from './explorer/ExplorerCard';
import { BackendPicker } from './Header';
import { Jobs } from './Jobs';
import { QueryList } from './QueryList';
import { ResultsTable } from './ResultsTable';
import { Dashboard } from './dashboard/Dashboard';

function clamp(x: number, lo: number, hi: number, fallback: number): number {
  return Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback;
}

function EvalForm() {
  const datasets = useUi((s) => s.datasets);
  const models = useUi((s) => s.models);
  const experts = useUi((s) => s.experts);
  const dataset = useUi((s) => s.dataset);
  const split = useUi((s) => s.split);
  const retriever = useUi((s) => s.retriever);
  const selectDataset = useUi((s) => s.selectDataset);
  const setSplit = useUi((s) => s.setSplit);
  const setRetriever = useUi((s) => s.setRetriever);
  const bm25 = useUi((s) => s.bm25);
  const setBm25 = useUi((s) => s.setBm25);
  const evaluate = useUi((s) => s.evaluate);
  const setTab = useUi((s) => s.setTab);
  const meta = datasets.find((d) => d.name === dataset);
  if (datasets.length === 0)
    return (
      <p className="muted">
        No datasets yet.{' '}
        <button className="link" onClick={() => setTab('data')}>
          Add one in Data
        </button>
        .
      </p>
    );
  const hybrid = parseHybridLabel(retriever);
  const model = models.find((m) => m.id === (hybrid?.dense ?? retriever));
  const denseIds = [...models.map((m) => m.id), ...experts.map((e) => `expert:${e.id}`)];
  const denseName = (id: string) =>
    models.find((m) => m.id === id)?.name ??
    `${experts.find((e) => `expert:${e.id}` === id)?.name ?? id} (expert)`;
  return (
    <>
      <div className="row wrap form">
        <label className="field">
          <span>Dataset</span>
          <select
            data-testid="eval-dataset"
            value={dataset ?? ''}
            onChange={(e) => selectDataset(e.target.value || null)}
          >
            {!meta && <option value="">choose…</option>}
            {datasets.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name} ({d.counts.docs.toLocaleString('en-US')} docs)
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Split</span>
          <select
            data-testid="eval-split"
            value={split ?? ''}
            onChange={(e) => setSplit(e.target.value)}
            disabled={!meta}
          >
            {Object.entries(meta?.splits ?? {}).map(([s, v]) => (
              <option key={s} value={s}>
                {s} ({v.queries} queries)
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Retriever</span>
          <select
            data-testid="eval-retriever"
            value={retriever}
            onChange={(e) => setRetriever(e.target.value)}
          >
            <option value="bm25">BM25 (lexical)</option>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name} ({m.dim}-d, dense)
              </option>
            ))}
            {experts.length > 0 && (
              <optgroup label="Experts">
                {experts.map((e) => (
                  <option key={e.id} value={`expert:${e.id}`}>
                    {e.name} (expert on {e.baseModel})
                  </option>
                ))}
              </optgroup>
            )}
            <optgroup label="Hybrid: BM25 + dense, fused">
              {hybrid && !denseIds.some((d) => hybridLabel({ dense: d, fusion: 'rrf' }) === retriever) && (
                <option value={retriever}>BM25 + {hybrid.dense}</option>
              )}
              {denseIds.map((d) => {
                const id = hybrid?.dense === d ? retriever : hybridLabel({ dense: d, fusion: 'rrf' });
                return (
                  <option key={`h-${d}`} value={id}>
                    BM25 + {denseName(d)}
                  </option>
                );
              })}
            </optgroup>
          </select>
        </label>
        {hybrid && (
          <>
            <label className="field">
              <span>Fusion</span>
              <select
                data-testid="hybrid-fusion"
                value={hybrid.fusion}
                onChange={(e) =>
                  setRetriever(
                    hybridLabel(
                      e.target.value === 'rrf'
                        ? { dense: hybrid.dense, fusion: 'rrf' }
                        : { dense: hybrid.dense, fusion: 'wsum', alpha: DEFAULT_ALPHA },
                    ),
                  )
                }
                title="RRF: 1/(60 + rank) summed over both lists. Weighted sum: α·dense + (1 − α)·BM25, each min-max normalised per query."
              >
                <option value="rrf">reciprocal rank (RRF, k 60)</option>
                <option value="wsum">weighted sum of normalised scores</option>
              </select>
            </label>
            {hybrid.fusion === 'wsum' && (
              <label className="field narrow">
                <span>α (dense weight)</span>
                <input
                  data-testid="hybrid-alpha"
                  type="number"
                  min={0}
                  max={1}
                  step={0.1}
                  value={hybrid.alpha ?? DEFAULT_ALPHA}
                  onChange={(e) =>
                    setRetriever(
                      hybridLabel({
                        dense: hybrid.dense,
                        fusion: 'wsum',
                        alpha: Math.round(clamp(e.target.valueAsNumber, 0, 1, DEFAULT_ALPHA) * 100) / 100,
                      }),
                    )
                  }
                />
              </label>
            )}
          </>
        )}
        {(retriever === 'bm25' || hybrid) && (
          <>
            <label className="field narrow">
              <span>k1</span>
              <input
                data-testid="bm25-k1"
                type="number"
                min={0}
                max={10}
                step={0.1}
                value={bm25.k1}
                onChange={(e) => setBm25({ ...bm25, k1: clamp(e.target.valueAsNumber, 0, 10, 1.5) })}
              />
            </label>
            <label className="field narrow">
              <span>b</span>
              <input
                data-testid="bm25-b"
                type="number"
                min={0}
                max={1}
                step={0.05}
                value={bm25.b}
                onChange={(e) => setBm25({ ...bm25, b: clamp(e.target.valueAsNumber, 0, 1, 0.75) })}
              />
            </label>
          </>
        )}
        <label className="field">
          <span>Backend</span>
          <BackendPicker testId="eval-backend" />
        </label>
        <button data-testid="run-eval" onClick={() => void evaluate()} disabled={!meta || !split}>
          Run evaluation
        </button>
      </div>
      {model && (
        <p className="muted small">
          {model.description} Corpus embeddings are cached, so a reload resumes where it stopped.
        </p>
      )}
    </>
  );
}

export function EvaluatePanel() {
  const runs = useUi((s) => s.runs);
  const selectedId = useUi((s) => s.selectedRunId);
  const run = runs.find((r) => r.id === selectedId);
  return (
    <section className="panel" data-testid="evaluate-panel">
      <div className="card">
        <h2>Evaluate a retriever</h2>
        <EvalForm />
        <Jobs kinds={['evaluate', 'backend']} />
      </div>
      <div className="card">
        <h2>Results</h2>
        <Dashboard />
      </div>
      {run && (
        <div className="split-view">
          <QueryList run={run} />
          <DrillDown />
        </div>
      )}
      {runs.length > 0 && (
        <div className="card">
          <h2>Run log</h2>
          <p className="muted small">
            Every evaluation run, by dataset (re-runs included); the table above shows each retriever&apos;s
            latest run per task.
          </p>
          <ResultsTable />
          {!run && <p className="muted small">Click a row to see its queries.</p>}
        </div>
      )}
      <ExplorerCard />
    </section>
  );
}
