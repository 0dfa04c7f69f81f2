import type { ModelEntry } from '../../worker/protocol';
import { useUi } from '../context';
import { mb } from '../format';

const SOURCE: Record<ModelEntry['source'], string> = { builtin: 'built-in', folder: 'folder', hub: 'hub' };

/** "studio kernels on <backend>" or "onnxruntime-web (<ep>)". */
export function engineLabel(m: ModelEntry, backendLabel: string | null): string {
  if (m.engine === 'onnxruntime-web') return `onnxruntime-web (${m.ep ?? 'ep chosen on load'})`;
  return `studio kernels on ${backendLabel ?? 'the active backend'}`;
}

export function ModelList() {
  const models = useUi((s) => s.models);
  const active = useUi((s) => s.activeModel);
  const select = useUi((s) => s.selectModel);
  const remove = useUi((s) => s.deleteModel);
  const revalidate = useUi((s) => s.revalidateModel);
  const revalidated = useUi((s) => s.revalidated);
  const backend = useUi((s) => s.backend);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'model' || j.kind === 'evaluate'));
  return (
    <table className="table" data-testid="model-table">
      <thead>
        <tr>
          <th />
          <th>Model</th>
          <th>Kind</th>
          <th className="num">Dim</th>
          <th>Source</th>
          <th className="num">Size</th>
          <th>Engine</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr
            key={m.id}
            data-testid="model-row"
            data-id={m.id}
            className={m.id === active ? 'clickable selected' : 'clickable'}
            onClick={() => void select(m.id)}
          >
            <td>
              <input
                type="radio"
                name="active-model"
                aria-label={`Use ${m.name}`}
                checked={m.id === active}
                onChange={() => void select(m.id)}
                data-testid="model-select"
              />
            </td>
            <td>
              <div className="strong">{m.name}</div>
              {m.origin && m.origin !== m.name && <div className="muted small mono">{m.origin}</div>}
              {revalidated[m.id] && (
                <div className="muted small" data-testid="model-revalidated">
                  {revalidated[m.id]}
                </div>
              )}
              {m.custom && (
                <span className="chip" data-testid="model-custom">
                  custom templates
                </span>
              )}
            </td>
            <td data-testid="model-kind">{m.kind}</td>
            <td className="num">{m.dim}</td>
            <td data-testid="model-source">{SOURCE[m.source]}</td>
            <td className="num" data-testid="model-size">
              {m.bytes === null ? '—' : mb(m.bytes)}
            </td>
            <td className="small" data-testid="model-engine">
              {engineLabel(m, backend?.label ?? null)}
            </td>
            <td className="actions">
              {m.source === 'hub' && (
                <button
                  className="secondary small"
                  data-testid="model-revalidate"
                  title="Ask the hub whether its files changed (conditional requests; unchanged files are not downloaded)"
                  disabled={busy}
                  onClick={(e) => {
                    e.stopPropagation();
                    void revalidate(m.id);
                  }}
                >
                  Check for updates
                </button>
              )}
              {m.source !== 'builtin' && (
                <button
                  className="danger small"
                  data-testid="model-delete"
                  disabled={busy}
                  onClick={(e) => {
                    e.stopPropagation();
                    if (
                      confirm(
                        `Delete "${m.name}" with its stored files and cached embeddings? Runs are kept.`,
                      )
                    )
                      void remove(m.id);
                  }}
                >
                  Delete
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
