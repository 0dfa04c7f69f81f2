import type { ModelDetails } from '../../models/describe';
import type { ModelEntry } from '../../worker/protocol';
import { compact } from '../format';

const val = (v: number | string | null) =>
  v === null ? '—' : typeof v === 'number' ? v.toLocaleString('en-US') : v;

/** The architecture of a model as describeEmbedder reported it. */
export function Architecture({
  entry,
  details,
  loading,
}: {
  entry: ModelEntry;
  details: ModelDetails | null;
  loading: boolean;
}) {
  if (!details)
    return (
      <p className="muted" data-testid="arch-loading">
        {loading ? `Loading ${entry.name}…` : 'Not loaded yet.'}
      </p>
    );
  const rows: [string, string, string][] = [
    [
      'family',
      'Family / model type',
      `${details.family}${details.modelType ? ` · ${details.modelType}` : ''}`,
    ],
    ['layers', 'Layers', val(details.layers)],
    ['hidden', 'Hidden size', val(details.hidden)],
    ['heads', 'Attention heads', val(details.heads)],
    ['kv-heads', 'KV heads', val(details.kvHeads)],
    ['intermediate', 'FFN size', val(details.intermediate)],
    ['vocab', 'Vocabulary', val(details.vocab)],
    ['max-tokens', 'Max tokens', val(details.maxTokens)],
    ['parameters', 'Parameters', details.parameters === null ? '—' : compact(details.parameters)],
    ['dim', 'Output dim', val(details.dim)],
    ['pooling', 'Pooling', details.pooling],
    ['attention', 'Attention', val(details.attention)],
  ];
  return (
    <dl className="arch" data-testid="architecture">
      {rows.map(([id, label, v]) => (
        <div key={id} className="arch-item">
          <dt>{label}</dt>
          <dd data-testid={`arch-${id}`}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
