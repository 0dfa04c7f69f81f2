/** Experts: list (name, base, method, data, prompt policy, steps, created, last dev nDCG), rename, delete, evaluate, export, import, compare. */
import { useState } from 'react';
import type { ExpertRecord } from '../../experts/record';
import { plural } from '../../util/words';
import { useUi } from '../context';
import { download } from '../download';
import { dateTime, metric } from '../format';
import { Compare } from './Compare';
import { HandoffButton } from './Handoff';
import { lastDev } from './expert-stats';
import { policyLabel } from '../../prompts/policy';

function Row({ e }: { e: ExpertRecord }) {
  const picked = useUi((s) => s.compare.includes(e.id));
  const toggle = useUi((s) => s.toggleCompare);
  const rename = useUi((s) => s.renameExpert);
  const del = useUi((s) => s.deleteExpert);
  const exp = useUi((s) => s.exportExpert);
  const setRetriever = useUi((s) => s.setRetriever);
  const setTab = useUi((s) => s.setTab);
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <tr data-testid="expert-row" data-id={e.id} data-name={e.name}>
      <td>
        <input
          type="checkbox"
          data-testid="expert-compare"
          checked={picked}
          onChange={() => toggle(e.id)}
          aria-label={`compare ${e.name}`}
        />
      </td>
      <td>
        {editing === null ? (
          <span data-testid="expert-name">{e.name}</span>
        ) : (
          <form
            onSubmit={(ev) => {
              ev.preventDefault();
              if (editing.trim()) void rename(e.id, editing.trim());
              setEditing(null);
            }}
          >
            <input
              data-testid="expert-name-input"
              value={editing}
              autoFocus
              onChange={(ev) => setEditing(ev.target.value)}
            />
            <button className="small" data-testid="expert-name-save">
              Save
            </button>
          </form>
        )}
      </td>
      <td>{e.baseModel}</td>
      <td>
        {e.method === 'lora'
          ? `LoRA r${e.config.lora.rank}`
          : `adapter ${e.config.adapter.kind}${e.config.adapter.kind === 'lowrank' ? ` r${e.config.adapter.rank}` : ''}`}
      </td>
      <td>
        <span data-testid="expert-source">
          {e.data.source} ({plural(e.data.pairs, 'pair')}, {e.data.negatives})
        </span>
        {e.data.synth && (
          <span className="muted small" data-testid="expert-synth">
            {' '}
            · set had {e.data.synth.counts.accepted} accepted, {e.data.synth.counts.rejected} rejected,{' '}
            {e.data.synth.counts.pending} not reviewed of {e.data.synth.counts.total}
          </span>
        )}
      </td>
      <td
        data-testid="expert-prompts"
        title={e.prompts?.instructions.join('\n') ?? 'queries without an instruction'}
      >
        {policyLabel(e.prompts)}
      </td>
      <td data-testid="expert-steps">{e.history[e.history.length - 1]?.step ?? e.config.steps}</td>
      <td>{dateTime(e.createdAt)}</td>
      <td data-testid="expert-dev">{metric(lastDev(e))}</td>
      <td className="actions">
        <button
          className="small"
          data-testid="expert-evaluate"
          onClick={() => {
            setRetriever(`expert:${e.id}`);
            setTab('evaluate');
          }}
        >
          Evaluate
        </button>
        <button className="secondary small" data-testid="expert-rename" onClick={() => setEditing(e.name)}>
          Rename
        </button>
        <button
          className="secondary small"
          data-testid="expert-export"
          onClick={() => void exp(e.id).then((files) => files?.forEach((f) => download(f.name, f.data)))}
        >
          Export
        </button>
        <HandoffButton e={e} />
        <button className="secondary small" data-testid="expert-delete" onClick={() => void del(e.id)}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function Experts() {
  const experts = useUi((s) => s.experts);
  const importExpert = useUi((s) => s.importExpert);
  return (
    <>
      {experts.length === 0 ? (
        <p className="muted">No experts yet: a finished training run becomes one.</p>
      ) : (
        <table className="table" data-testid="experts">
          <thead>
            <tr>
              <th>Compare</th>
              <th>Name</th>
              <th>Base</th>
              <th>Method</th>
              <th>Data</th>
              <th>Prompts</th>
              <th>Steps</th>
              <th>Created</th>
              <th>Dev nDCG@10</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {experts.map((e) => (
              <Row key={e.id} e={e} />
            ))}
          </tbody>
        </table>
      )}
      <label className="field">
        <span>
          Import an expert (expert.json + adapter.safetensors, or PEFT adapter_config.json +
          adapter_model.safetensors)
        </span>
        <input
          data-testid="expert-import"
          type="file"
          multiple
          accept=".json,.safetensors"
          onChange={(e) => {
            const f = [...(e.target.files ?? [])];
            e.target.value = '';
            if (f.length) void importExpert(f);
          }}
        />
      </label>
      <Compare />
    </>
  );
}
