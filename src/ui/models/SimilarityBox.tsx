import { useState } from 'react';
import type { Role } from '../../models/types';
import { useUi } from '../context';
import { seconds } from '../format';
import { Jobs } from '../Jobs';

function Side({
  id,
  text,
  role,
  setText,
  setRole,
}: {
  id: 'a' | 'b';
  text: string;
  role: Role;
  setText(t: string): void;
  setRole(r: Role): void;
}) {
  return (
    <div className="sim-side">
      <textarea
        rows={3}
        data-testid={`sim-text-${id}`}
        value={text}
        onChange={(e) => setText(e.target.value)}
        aria-label={`Text ${id.toUpperCase()}`}
      />
      <label className="field inline">
        <span>as</span>
        <select data-testid={`sim-role-${id}`} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="query">query</option>
          <option value="passage">passage</option>
        </select>
      </label>
    </div>
  );
}

/** Two texts, each embedded as a query or a passage by the active model; their cosine similarity. */
export function SimilarityBox() {
  const model = useUi((s) => s.activeModel);
  const result = useUi((s) => s.similarity);
  const compute = useUi((s) => s.computeSimilarity);
  const busy = useUi((s) => Object.values(s.jobs).some((j) => j.kind === 'similarity'));
  const [a, setA] = useState('heart attack');
  const [b, setB] = useState('myocardial infarction');
  const [ra, setRa] = useState<Role>('query');
  const [rb, setRb] = useState<Role>('passage');
  const ready = a.trim() !== '' && b.trim() !== '' && model !== null;
  return (
    <div data-testid="similarity-box">
      <div className="sim-grid">
        <Side id="a" text={a} role={ra} setText={setA} setRole={setRa} />
        <Side id="b" text={b} role={rb} setText={setB} setRole={setRb} />
      </div>
      <div className="row between">
        <button
          data-testid="sim-compute"
          disabled={!ready || busy}
          onClick={() => void compute({ text: a, role: ra }, { text: b, role: rb })}
        >
          Compute similarity
        </button>
        {result && result.model === model && (
          <div className="sim-result" data-testid="sim-result">
            cosine{' '}
            <span className="sim-value" data-testid="sim-value">
              {result.similarity.toFixed(4)}
            </span>
            <span className="muted small" data-testid="sim-time">
              {seconds(result.ms / 1000)} · {result.engine}
            </span>
          </div>
        )}
      </div>
      {result && result.model === model && (
        <p className="muted small" data-testid="sim-texts">
          Model input: <code>{JSON.stringify(result.texts[0])}</code> vs{' '}
          <code>{JSON.stringify(result.texts[1])}</code>
        </p>
      )}
      <Jobs kinds={['similarity']} />
    </div>
  );
}
