/** The Synthesize tab: write training queries from stored documents, the sets, and the review queue. */
import './synth/synth.css';
import { Jobs } from './Jobs';
import { GenerateForm } from './synth/GenerateForm';
import { ReviewQueue } from './synth/ReviewQueue';
import { SetList } from './synth/SetList';

export function SynthesizePanel() {
  return (
    <section className="panel" data-testid="synth-panel">
      <div className="card">
        <h2>Write training queries</h2>
        <p className="muted small">
          When there are documents but few real questions, the studio writes example queries from the
          documents themselves. Each query with the document it came from is an item; you check the items
          below, and the accepted ones train an expert (Train tab, training data &quot;synthetic set&quot;).
        </p>
        <GenerateForm />
        <Jobs kinds={['synth']} />
      </div>
      <div className="card">
        <h2>Synthetic sets</h2>
        <SetList />
      </div>
      <div className="card">
        <h2>Review</h2>
        <ReviewQueue />
      </div>
    </section>
  );
}
