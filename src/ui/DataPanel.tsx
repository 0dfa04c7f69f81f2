import { Fragment, useState, type ChangeEvent } from 'react';
import { GuidedDemo } from './GuidedDemo';
import { DATASET_GROUPS, groupOf } from '../data/group';
import { useUi } from './context';
import { count, dateTime } from './format';
import { Jobs } from './Jobs';
import { ProjectBundle } from './ProjectBundle';
import { StorageStatus } from './StorageStatus';
import { SplitQueries } from './SplitQueries';

function DatasetList() {
  const datasets = useUi((s) => s.datasets);
  const remove = useUi((s) => s.deleteDataset);
  const select = useUi((s) => s.selectDataset);
  const setTab = useUi((s) => s.setTab);
  const setGroup = useUi((s) => s.setDatasetGroup);
  const [splitting, setSplitting] = useState<string | null>(null);
  if (datasets.length === 0)
    return (
      <p className="muted" data-testid="no-datasets">
        No datasets yet: load the demo collection or import a BEIR folder.
      </p>
    );
  return (
    <div className="table-scroll">
      <table className="table" data-testid="dataset-table">
        <thead>
          <tr>
            <th>Name</th>
            <th className="num">Docs</th>
            <th className="num">Queries</th>
            <th>Splits (judged queries)</th>
            <th title="Where the dashboard counts this dataset: the paper reports medical and general tasks apart">
              Group
            </th>
            <th>Imported</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {datasets.map((d) => (
            <Fragment key={d.name}>
              <tr data-testid="dataset-row" data-name={d.name}>
                <td>
                  <div className="strong">{d.name}</div>
                  {d.description && <div className="muted small desc">{d.description}</div>}
                </td>
                <td className="num" data-testid="dataset-docs">
                  {count(d.counts.docs)}
                </td>
                <td className="num" data-testid="dataset-queries">
                  {count(d.counts.queries)}
                </td>
                <td>
                  {Object.entries(d.splits).map(([s, v]) => (
                    <span key={s} className="chip" data-testid="split-chip" data-split={s}>
                      {s} ({count(v.queries)})
                    </span>
                  ))}
                </td>
                <td>
                  <select
                    aria-label={`Group of ${d.name}`}
                    data-testid="dataset-group"
                    value={groupOf(d)}
                    onChange={(e) => void setGroup(d.name, e.target.value as (typeof DATASET_GROUPS)[number])}
                  >
                    {DATASET_GROUPS.map((g) => (
                      <option key={g} value={g}>
                        {g}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="small">{dateTime(d.importedAt)}</td>
                <td className="actions">
                  <button
                    className="secondary small"
                    data-testid="split-dataset"
                    onClick={() => setSplitting(splitting === d.name ? null : d.name)}
                  >
                    Split queries…
                  </button>
                  <button
                    className="secondary small"
                    data-testid="evaluate-dataset"
                    onClick={() => {
                      select(d.name);
                      setTab('evaluate');
                    }}
                  >
                    Evaluate
                  </button>
                  <button
                    className="danger small"
                    data-testid="delete-dataset"
                    onClick={() => {
                      if (confirm(`Delete "${d.name}" with its cached embeddings and runs?`))
                        void remove(d.name);
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>
              {splitting === d.name && (
                <tr>
                  <td colSpan={7}>
                    <SplitQueries meta={d} onClose={() => setSplitting(null)} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DataPanel() {
  const loadDemo = useUi((s) => s.loadDemo);
  const importFiles = useUi((s) => s.importFiles);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'import' || j.kind === 'demo'));
  const [name, setName] = useState('');
  const onFiles = (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.target.files ?? []);
    e.target.value = '';
    if (files.length) void importFiles(files, name.trim() || undefined);
  };
  return (
    <section className="panel" data-testid="data-panel">
      <GuidedDemo />
      <div className="card">
        <h2>Add a collection</h2>
        <p className="muted">
          A collection in BEIR layout: <code>corpus.jsonl</code>, <code>queries.jsonl</code> and{' '}
          <code>qrels/&lt;split&gt;.tsv</code> (each may be gzipped). Files stay on this machine, in the
          browser&apos;s storage.
        </p>
        <StorageStatus />
        <div className="row wrap">
          <button data-testid="load-demo" onClick={() => void loadDemo()} disabled={busy}>
            Load demo collection
          </button>
          <label className="field">
            <span>Name (optional)</span>
            <input
              type="text"
              value={name}
              placeholder="folder name"
              onChange={(e) => setName(e.target.value)}
              data-testid="import-name"
            />
          </label>
          <label className="file-button">
            Import folder…
            <input
              type="file"
              multiple
              data-testid="import-folder"
              ref={(el) => {
                if (el) el.webkitdirectory = true;
              }}
              onChange={onFiles}
              disabled={busy}
            />
          </label>
          <label className="file-button">
            Import files…
            <input
              type="file"
              multiple
              accept=".jsonl,.tsv,.gz"
              data-testid="import-files"
              onChange={onFiles}
              disabled={busy}
            />
          </label>
        </div>
        <Jobs kinds={['import', 'demo']} />
      </div>
      <div className="card">
        <h2>Datasets</h2>
        <DatasetList />
        <Jobs kinds={['split']} />
      </div>
      <ProjectBundle />
    </section>
  );
}
