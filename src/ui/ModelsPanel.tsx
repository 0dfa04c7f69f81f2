import { useEffect } from 'react';
import { useUi } from './context';
import { Architecture } from './models/Architecture';
import { engineLabel, ModelList } from './models/ModelList';
import { ModelImport } from './models/ModelImport';
import { SimilarityBox } from './models/SimilarityBox';
import { TemplateEditor } from './models/TemplateEditor';
import { WeightFormat } from './models/WeightFormat';

/** The active model: architecture, engine, templates and the similarity box. */
function ActiveModel() {
  const id = useUi((s) => s.activeModel);
  const entry = useUi((s) => s.models.find((m) => m.id === s.activeModel));
  const templates = useUi((s) => (s.activeModel ? s.modelTemplates[s.activeModel] : undefined));
  const loading = useUi((s) => s.detailsLoading);
  const load = useUi((s) => s.loadModelDetails);
  const backend = useUi((s) => s.backend);
  useEffect(() => {
    if (id && !templates && loading !== id) void load(id);
    // load once per selected model
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);
  if (!entry) return <p className="muted">Choose a model.</p>;
  return (
    <div className="model-grid">
      <div className="card" data-testid="model-details" data-id={entry.id}>
        <h2>{entry.name}</h2>
        <p className="muted small">{entry.description}</p>
        <p className="small">
          Runs on <span data-testid="active-engine">{engineLabel(entry, backend?.label ?? null)}</span>
        </p>
        <h4>Architecture</h4>
        <Architecture entry={entry} details={entry.details} loading={loading === entry.id} />
        {entry.kind === 'transformer' && entry.engine === 'studio' && entry.source !== 'builtin' && (
          <>
            <h4>Weight format</h4>
            <WeightFormat model={entry.id} saved={entry.weightFormat} />
          </>
        )}
        <h4>Templates</h4>
        {templates ? (
          <TemplateEditor
            key={`${entry.id}:${JSON.stringify(templates.templates)}`}
            model={entry.id}
            current={templates}
          />
        ) : (
          <p className="muted">Loaded with the model.</p>
        )}
      </div>
      <div className="card">
        <h2>Similarity</h2>
        <p className="muted small">
          Cosine similarity of two texts embedded by {entry.name}, each formatted as a query or a passage, on
          the active backend.
        </p>
        <SimilarityBox />
      </div>
    </div>
  );
}

export function ModelsPanel() {
  return (
    <section className="panel" data-testid="models-panel">
      <div className="card">
        <h2>Models</h2>
        <ModelList />
      </div>
      <div className="card">
        <h2>Add a model</h2>
        <ModelImport />
      </div>
      <ActiveModel />
    </section>
  );
}
