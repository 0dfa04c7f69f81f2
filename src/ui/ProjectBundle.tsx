/** The Data tab's "Project" card: export everything stored as one bundle file, import one, and what happened. */
import type { ChangeEvent } from 'react';
import { DB_VERSION } from '../store/db';
import type { BundleOutcome } from './state/bundle-types';
import { useUi } from './context';
import { download } from './download';
import { count, dateTime, mb } from './format';
import { Jobs } from './Jobs';
import { plural } from '../util/words';

/** the parts a person thinks of (the others belong to one of these: chunks, files, weights, hits) */
const LABELS: Record<string, [string, string]> = {
  datasets: ['dataset', 'datasets'],
  runs: ['evaluation run', 'evaluation runs'],
  experts: ['expert or merge', 'experts and merges'],
  models: ['imported model', 'imported models'],
  synthSets: ['synthetic set', 'synthetic sets'],
  synthItems: ['synthetic item (with its review)', 'synthetic items (with their reviews)'],
  trainRuns: ['training run', 'training runs'],
  settings: ['setting', 'settings (selections, templates, saved prompt searches)'],
};

function Parts({ parts }: { parts: { name: string; records: number; replaced?: number }[] }) {
  const order = Object.keys(LABELS);
  const shown = parts
    .filter((p) => LABELS[p.name] && p.records > 0)
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  if (!shown.length) return <p className="muted small">The bundle holds no records.</p>;
  return (
    <ul className="small" data-testid="bundle-parts">
      {shown.map((p) => (
        <li key={p.name} data-part={p.name}>
          {plural(p.records, ...LABELS[p.name])}
          {p.replaced ? ` (${count(p.replaced)} replaced the stored copy with the same id)` : ''}
        </li>
      ))}
    </ul>
  );
}

function Outcome({ o }: { o: BundleOutcome }) {
  const dismiss = useUi((s) => s.dismissBundleOutcome);
  const close = (
    <button className="secondary small" onClick={dismiss}>
      Dismiss
    </button>
  );
  if (o.kind === 'refused')
    return (
      <div className="bundle-outcome refused" role="alert" data-testid="bundle-outcome" data-kind="refused">
        <p className="strong">Refused {o.file}</p>
        <p>{o.message}</p>
        {o.message.startsWith('bundle part') && (
          <p className="muted small">
            Nothing in this studio was changed. A damaged file cannot be repaired here: export the project
            again from the studio it came from.
          </p>
        )}
        {close}
      </div>
    );
  if (o.kind === 'exported')
    return (
      <div className="bundle-outcome" data-testid="bundle-outcome" data-kind="exported">
        <p className="strong">
          Exported {o.fileName} ({mb(o.bytes)}, schema version {o.manifest.schemaVersion})
        </p>
        <Parts parts={o.manifest.parts} />
        <p className="muted small">Left out: {o.manifest.omitted.map((x) => x.why).join('; ')}.</p>
        {close}
      </div>
    );
  const s = o.summary;
  const replaced = s.parts.reduce((n, p) => n + (LABELS[p.name] ? p.replaced : 0), 0);
  return (
    <div className="bundle-outcome imported" role="status" data-testid="bundle-outcome" data-kind="imported">
      <p className="strong">Imported {o.file}</p>
      <p className="small">
        Written {dateTime(s.createdAt)} by STM Studio {s.appVersion} at schema version {s.schemaVersion}
        {s.schemaVersion < DB_VERSION
          ? ` (its records brought to version ${DB_VERSION} by the migrations)`
          : ''}
        . Every part&apos;s checksum was verified before anything was written.
      </p>
      <Parts parts={s.parts} />
      <p className="small muted">
        {replaced
          ? `Records with an id already stored were replaced by the bundle's copy (${count(replaced)}); nothing was duplicated.`
          : 'Nothing stored had the same ids: everything was added.'}{' '}
        {s.replacedDatasets.length > 0 &&
          `Replaced datasets with other contents (their old runs and cached embeddings deleted): ${s.replacedDatasets.join(', ')}.`}
      </p>
      {s.omitted.length > 0 && (
        <p className="muted small">Not in the bundle: {s.omitted.map((x) => x.why).join('; ')}.</p>
      )}
      {close}
    </div>
  );
}

export function ProjectBundle() {
  const exportProject = useUi((s) => s.exportProject);
  const importProject = useUi((s) => s.importProject);
  const outcome = useUi((s) => s.bundleOutcome);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'bundle'));
  const onFile = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file) void importProject(file);
  };
  return (
    <div className="card" data-testid="project-bundle">
      <h2>Project</h2>
      <p className="muted">
        One file with everything this studio stores — datasets, synthetic sets and reviews, models, experts
        and merges, training and evaluation runs, settings — with a manifest and a SHA-256 checksum per part.
        Import it on another machine or browser profile; a damaged file is refused and nothing is changed.
      </p>
      <div className="row wrap">
        <button
          data-testid="export-project"
          disabled={busy}
          onClick={() => void exportProject().then((f) => f && download(f.fileName, f.blob))}
        >
          Export project
        </button>
        <label className="file-button">
          Import project…
          <input
            type="file"
            accept=".stmbundle"
            data-testid="import-project"
            onChange={onFile}
            disabled={busy}
          />
        </label>
      </div>
      <Jobs kinds={['bundle']} />
      {outcome && <Outcome o={outcome} />}
    </div>
  );
}
