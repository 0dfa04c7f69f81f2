/** A finished prompt search: the winner against no instruction, the leaderboard, test once, use the winner. */
import { EXPERT_PREFIX } from '../../experts/record';
import type { PromptSearchRecord } from '../../worker/features/prompts/protocol';
import { useUi } from '../context';
import { dateTime } from '../format';
import { Leaderboard } from './Leaderboard';

export function SearchResult({
  rec,
  modelName,
  busy,
}: {
  rec: PromptSearchRecord;
  modelName: string;
  busy: boolean;
}) {
  const scoreTest = useUi((s) => s.scorePromptOnTest);
  const apply = useUi((s) => s.applyPrompt);
  const setTab = useUi((s) => s.setTab);
  const setRetriever = useUi((s) => s.setRetriever);
  const hasTest = useUi(
    (s) => 'test' in (s.datasets.find((d) => d.name === rec.request.dataset)?.splits ?? {}),
  );
  const current = useUi((s) => s.modelTemplates[rec.request.model]?.templates);
  const { result, request } = rec;
  const { best, baseline } = result;
  const instruction = best.candidate.instruction;
  const expert = request.model.startsWith(EXPERT_PREFIX);
  const gain = best.ndcg10 - baseline.ndcg10;
  // the model's template has this winner now (known once its templates were loaded, e.g. after Use)
  const placeholder = current?.query.includes('{instruction}') ?? false;
  const inUse =
    current !== undefined &&
    (instruction === null
      ? !placeholder || !current.instruction
      : placeholder && current.instruction === instruction);
  return (
    <div className="card" data-testid="prompts-result" data-search={rec.id}>
      <h2>Best instruction for {modelName}</h2>
      <p className="small muted">
        Searched on {request.dataset}/{request.split} (seed {rec.result.seed}), {dateTime(rec.createdAt)}:{' '}
        {result.tried} instructions tried, {result.spent} questions embedded
        {request.llm ? `; proposals by ${request.llm}` : ''}.
        {result.stopped ? ` Stopped early: ${result.stopped}.` : ''}
        {result.skipped?.length
          ? ` ${result.skipped.length} LLM ${result.skipped.length === 1 ? 'reply was' : 'replies were'} not usable (first: ${result.skipped[0].error}).`
          : ''}
      </p>
      <blockquote className="prompt-winner" data-testid="prompts-winner">
        {instruction ?? <em>no instruction: the model does best with its plain query template</em>}
      </blockquote>
      <p data-testid="prompts-summary">
        nDCG@10 on the dev questions: <strong>{best.ndcg10.toFixed(3)}</strong> (95% interval{' '}
        {best.ci[0].toFixed(3)}–{best.ci[1].toFixed(3)}) against {baseline.ndcg10.toFixed(3)} with no
        instruction on the same {baseline.queries} questions ({gain >= 0 ? '+' : ''}
        {gain.toFixed(3)}).
        {instruction !== null && baseline.ndcg10 >= best.ci[0] && (
          <span data-testid="prompts-chance">
            {' '}
            The score without an instruction lies inside this interval: the gain may be chance, and the model
            would do about as well without one.
          </span>
        )}
      </p>
      <p className="small muted">
        nDCG@10 is 1 when the relevant passages are ranked first in the top 10 and 0 when none is in it. The
        interval is the range the score would likely fall in with other questions of the same kind; when two
        intervals overlap a lot, the difference may be chance.
      </p>
      <Leaderboard rows={result.leaderboard} best={best.candidate.id} />
      <div className="row prompts-actions">
        {rec.test ? (
          <p data-testid="prompts-test">
            On the test split ({rec.test.queries} questions never used by the search):{' '}
            <strong>{rec.test.ndcg10.toFixed(3)}</strong> (95% interval {rec.test.ci[0].toFixed(3)}–
            {rec.test.ci[1].toFixed(3)}).
          </p>
        ) : (
          <button
            className="secondary"
            data-testid="prompts-score-test"
            disabled={busy || !hasTest}
            title={
              hasTest
                ? 'scores the winner once on the test split, which the search never saw'
                : `${request.dataset} has no test split`
            }
            onClick={() => void scoreTest(rec.id)}
          >
            Score on test (once)
          </button>
        )}
        <button
          data-testid="prompts-use"
          disabled={busy || inUse}
          title={
            expert
              ? 'the expert keeps its trained weights; this instruction replaces the default of its training prompts'
              : undefined
          }
          onClick={() => void apply(request.model, instruction)}
        >
          {inUse
            ? `In use by ${modelName}`
            : instruction === null
              ? `Use no instruction for ${modelName}`
              : `Use this prompt for ${modelName}`}
        </button>
      </div>
      {inUse && (
        <p className="small" data-testid="prompts-applied">
          {modelName} now puts {instruction === null ? 'no instruction' : 'this instruction'} before every
          question ({expert ? 'kept in the expert’s record' : 'see its query template in the Models tab'}).
          New evaluations run under it.{' '}
          <button
            className="linklike"
            data-testid="prompts-evaluate"
            onClick={() => {
              setRetriever(request.model);
              setTab('evaluate');
            }}
          >
            Evaluate it
          </button>
        </p>
      )}
    </div>
  );
}
