import { useState, type ChangeEvent } from 'react';
import { folderLayout, type ModelEngine } from '../../worker/features/models/files';
import type { ModelFile } from '../../worker/protocol';
import { useUi } from '../context';
import { mb } from '../format';
import { SUPPORTED_MODEL_TYPES } from '../../models/hf/config';
import { Jobs } from '../Jobs';

const pathOf = (f: File) => (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;

/** Per-file bars of the hub download in flight. */
function Downloads() {
  const downloads = useUi((s) => s.downloads);
  const files = Object.entries(downloads);
  if (files.length === 0) return null;
  return (
    <ul className="downloads" data-testid="downloads">
      {files.map(([file, d]) => {
        const f = d.total > 0 ? Math.min(1, d.loaded / d.total) : 0;
        return (
          <li key={file} data-testid="download-file" data-file={file}>
            <span className="mono">{file}</span>
            <div
              className="progress"
              role="progressbar"
              aria-valuenow={Math.round(f * 100)}
              aria-valuemin={0}
              aria-valuemax={100}
            >
              <div className="progress-fill" style={{ width: `${(f * 100).toFixed(1)}%` }} />
            </div>
            <span className="muted small">
              {d.total > 0 ? `${mb(d.loaded)} / ${mb(d.total)}` : mb(d.loaded)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** Import a model from a local folder (Hugging Face or ONNX export) or download one from a hub id / URL. */
export function ModelImport() {
  const importFolder = useUi((s) => s.importModelFolder);
  const importHub = useUi((s) => s.importModelHub);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'model'));
  const [pending, setPending] = useState<{ files: ModelFile[]; root: string } | null>(null);
  const [engine, setEngine] = useState<ModelEngine>('native');
  const [hub, setHub] = useState('');
  const onFolder = (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.target.files ?? []).map((file) => ({ path: pathOf(file), file }));
    e.target.value = '';
    if (!files.length) return;
    const layout = folderLayout(files.map((f) => f.path));
    if (layout.engines.length > 1) {
      setEngine('native');
      setPending({ files, root: layout.root || 'selected folder' });
    } else void importFolder(files);
  };
  return (
    <div data-testid="model-import">
      <div className="row wrap">
        <label className="file-button">
          Import model folder…
          <input
            type="file"
            multiple
            data-testid="model-folder"
            ref={(el) => {
              if (el) el.webkitdirectory = true;
            }}
            onChange={onFolder}
            disabled={busy || pending !== null}
          />
        </label>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (hub.trim()) void importHub(hub.trim()).then((ok) => ok && setHub(''));
          }}
        >
          <label className="field">
            <span>Hub id or URL</span>
            <input
              type="text"
              className="hub-input"
              data-testid="hub-id"
              placeholder="org/name or https://…"
              value={hub}
              onChange={(e) => setHub(e.target.value)}
            />
          </label>
          <button type="submit" data-testid="hub-download" disabled={busy || !hub.trim()}>
            Download
          </button>
        </form>
      </div>
      <p className="muted small">
        A folder with <code>config.json</code>, <code>model.safetensors</code> (or a sharded checkpoint:{' '}
        <code>model.safetensors.index.json</code> and its shards), <code>tokenizer.json</code>,{' '}
        <code>tokenizer_config.json</code> runs on the studio kernels ({SUPPORTED_MODEL_TYPES.join(', ')}
        ); an ONNX export (<code>onnx/model.onnx</code> + tokenizer files) on onnxruntime-web. Folder files
        are kept in the browser&apos;s storage; hub downloads in its cache.
      </p>
      {pending && (
        <div className="engine-choice" data-testid="engine-choice">
          <span>
            <strong>{pending.root}</strong> has both a Hugging Face model and an ONNX export. Run it with:
          </span>
          <label className="field inline">
            <input
              type="radio"
              name="engine"
              data-testid="engine-native"
              checked={engine === 'native'}
              onChange={() => setEngine('native')}
            />
            <span>studio kernels (safetensors)</span>
          </label>
          <label className="field inline">
            <input
              type="radio"
              name="engine"
              data-testid="engine-onnx"
              checked={engine === 'onnx'}
              onChange={() => setEngine('onnx')}
            />
            <span>onnxruntime-web (ONNX)</span>
          </label>
          <button
            data-testid="engine-confirm"
            onClick={() => {
              const files = pending.files;
              setPending(null);
              void importFolder(files, { engine });
            }}
          >
            Import
          </button>
          <button className="secondary" data-testid="engine-cancel" onClick={() => setPending(null)}>
            Cancel
          </button>
        </div>
      )}
      <Jobs kinds={['model']} />
      <Downloads />
    </div>
  );
}
