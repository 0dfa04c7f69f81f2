/** The Train form's synthetic-set source: the set, the review policy, and how many items it lets through. */
import type { ReviewPolicy } from '../../synth/types';
import type { SynthSetRecord } from '../../worker/protocol';
import { plural } from '../../util/words';
import { Select } from './fields';

/** Items a policy lets through, from the set's counts. */
export function usableItems(s: SynthSetRecord | undefined, policy: ReviewPolicy): number {
  if (!s) return 0;
  return policy === 'accepted' ? s.counts.accepted : s.counts.total - s.counts.rejected;
}

export function SynthSourceFields(p: {
  sets: SynthSetRecord[];
  set: string;
  setSet: (id: string) => void;
  policy: ReviewPolicy;
  setPolicy: (p: ReviewPolicy) => void;
}) {
  return (
    <>
      <Select
        label="Synthetic set"
        testId="train-synth-set"
        value={p.set}
        onChange={p.setSet}
        options={p.sets.map(
          (s) => [s.id, `${s.name} (${s.counts.accepted} accepted of ${s.counts.total})`] as const,
        )}
      />
      <Select
        label="Items used"
        testId="train-synth-policy"
        value={p.policy}
        onChange={p.setPolicy}
        options={[
          ['accepted', 'accepted only'],
          ['not-rejected', 'all but rejected (unreviewed too)'],
        ]}
      />
    </>
  );
}

/** Under the form: how many items train, or why the set cannot. */
export function SynthSourceNote({
  set,
  policy,
  hardNegatives,
}: {
  set: SynthSetRecord | undefined;
  policy: ReviewPolicy;
  /** the form's hard negatives per query: 0 leaves the set's look-alike answers unused */
  hardNegatives: number;
}) {
  if (!set)
    return (
      <p className="form-warning" data-testid="train-synth-note">
        No synthetic set yet: write and review queries in the Synthesize tab first.
      </p>
    );
  const n = usableItems(set, policy);
  if (n === 0)
    return (
      <p className="form-warning" data-testid="train-synth-note">
        ⚠ &ldquo;{set.name}&rdquo; has no item to train on under &ldquo;
        {policy === 'accepted' ? 'accepted only' : 'all but rejected'}&rdquo;:{' '}
        {policy === 'accepted'
          ? 'accept items in the Synthesize tab first, or use all but rejected.'
          : 'every item was rejected.'}
      </p>
    );
  return (
    <p className="muted small" data-testid="train-synth-note">
      Trains on {plural(n, 'item')} of &ldquo;{set.name}&rdquo; ({set.counts.accepted} accepted,{' '}
      {set.counts.pending} not reviewed, {set.counts.rejected} rejected); wrong answers marked as false
      negatives are left out
      {hardNegatives === 0
        ? ' (the look-alike wrong answers are used only with "Hard negatives / query" above 0)'
        : ''}
      . The expert&apos;s recipe records the set and this choice.
    </p>
  );
}
