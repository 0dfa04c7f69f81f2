/**
 * "Split queries": deal a stored dataset's judged queries of one split into new splits (seeded, disjoint,
 * largest-remainder sizes, src/data/split.ts), stored as new splits of the same dataset. A name the dataset
 * already has is replaced only after a confirmation that says what happens to the runs on it.
 */
import { useState } from 'react';
import { parseSplitSpec, splitSizes } from '../data/split';
import type { DatasetMeta } from '../store/db';
import { useUi } from './context';
import { count } from './format';
import './leakage.css';

interface Preview {
  ok: boolean;
  text: string;
  clash: string[];
}

function preview(meta: DatasetMeta, from: string, into: string, runsOn: (s: string) => number): Preview {
  let parts;
  try {
    parts = parseSplitSpec(into);
  } catch (e) {
    return { ok: false, text: (e as Error).message, clash: [] };
  }
  const n = meta.splits[from]?.queries ?? 0;
  const sizes = splitSizes(
    n,
    parts.map((p) => p.fraction),
  );
  const empty = parts.filter((_, i) => sizes[i] === 0).map((p) => `"${p.name}"`);
  if (empty.length)
    return {
      ok: false,
      text: `${from} has ${n} judged queries: ${empty.join(', ')} would get none; raise the fraction or use fewer splits`,
      clash: [],
    };
  const clash = parts.map((p) => p.name).filter((s) => s in meta.splits);
  const sizesText = parts.map((p, i) => `${p.name} ${count(sizes[i])}`).join(' · ');
  const clashText = clash.length
    ? ` — replaces ${clash.map((s) => `"${s}" (${count(meta.splits[s].queries)} queries, ${runsOn(s)} runs)`).join(', ')} after you confirm`
    : '';
  return { ok: true, text: `${count(n)} queries → ${sizesText}${clashText}`, clash };
}

export function SplitQueries({ meta, onClose }: { meta: DatasetMeta; onClose: () => void }) {
  const split = useUi((s) => s.splitDataset);
  const runs = useUi((s) => s.runs);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'split'));
  const splits = Object.keys(meta.splits).sort();
  const [from, setFrom] = useState(splits.includes('test') ? 'test' : (splits[0] ?? ''));
  const [into, setInto] = useState('train:0.6,dev:0.2,test:0.2');
  const [seed, setSeed] = useState(42);
  const [done, setDone] = useState<string | null>(null);
  const runsOn = (s: string) => runs.filter((r) => r.dataset === meta.name && r.split === s).length;
  const p = preview(meta, from, into, runsOn);
  // a change of any input starts over: the preview, not the last result, is shown
  const change =
    <T,>(f: (v: T) => void) =>
    (v: T) => {
      setDone(null);
      f(v);
    };
  const submit = async () => {
    if (p.clash.length) {
      const what = p.clash
        .map((s) => `"${s}" (${meta.splits[s].queries} queries, ${runsOn(s)} stored runs)`)
        .join(', ');
      if (
        !confirm(
          `"${meta.name}" already has ${what}. Replace ${p.clash.length === 1 ? 'it' : 'them'} with the new split? The runs on a replaced split are deleted (their scores were on the old queries); other splits, their runs and the corpus are kept. Cancel changes nothing.`,
        )
      )
        return;
    }
    const parts = parseSplitSpec(into);
    const r = await split({ dataset: meta.name, from, into: parts, seed, replace: p.clash.length > 0 });
    if (r)
      setDone(
        `Stored ${parts.map((x) => `${x.name} (${count(r.sizes[x.name])})`).join(', ')} in ${meta.name}` +
          (r.deletedRuns
            ? `; ${r.deletedRuns} run${r.deletedRuns === 1 ? '' : 's'} on replaced splits deleted`
            : ''),
      );
  };
  return (
    <div className="split-form" data-testid="split-form">
      <div className="row wrap">
        <label className="field">
          <span>From split</span>
          <select value={from} onChange={(e) => change(setFrom)(e.target.value)} data-testid="split-from">
            {splits.map((s) => (
              <option key={s} value={s}>
                {s} ({count(meta.splits[s].queries)} queries)
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Into (name:fraction, …)</span>
          <input
            type="text"
            value={into}
            onChange={(e) => change(setInto)(e.target.value)}
            data-testid="split-into"
            spellCheck={false}
          />
        </label>
        <label className="field">
          <span>Seed</span>
          <input
            type="number"
            min={0}
            step={1}
            value={seed}
            onChange={(e) => change(setSeed)(Math.max(0, Math.floor(Number(e.target.value) || 0)))}
            data-testid="split-seed"
          />
        </label>
        <button data-testid="split-run" disabled={!p.ok || busy} onClick={() => void submit()}>
          Split
        </button>
        <button className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {!done && (
        <div className={p.ok ? 'split-preview muted' : 'split-preview error'} data-testid="split-preview">
          {p.text}
        </div>
      )}
      {done && (
        <div className="split-preview" data-testid="split-result">
          {done}
        </div>
      )}
      <div className="muted small">
        Disjoint by query, the same for the same seed; sizes by largest remainder. The corpus, the queries and
        the runs on other splits are kept.
      </div>
    </div>
  );
}
