/** The Train tab: the form, the run in flight, stored runs (with Resume), and experts. */
import './train/train.css';
import { useUi } from './context';
import { Jobs } from './Jobs';
import { Experts } from './train/Experts';
import { TrainForm } from './train/TrainForm';
import { TrainLive } from './train/TrainLive';
import { TrainRuns } from './train/TrainRuns';

export function TrainPanel() {
  const models = useUi((s) => s.models);
  const datasets = useUi((s) => s.datasets);
  return (
    <section className="panel" data-testid="train-panel">
      <div className="card">
        <h2>Train an expert</h2>
        <p className="muted small">
          InfoNCE with in-batch (and hard) negatives, AdamW. Checkpoints (weights, optimiser state, history)
          go to browser storage; after a reload an unfinished run is listed as interrupted and continues from
          its last checkpoint when you press Resume.
        </p>
        {models.length === 0 || datasets.length === 0 ? (
          <p className="muted">
            Load a dataset (Data) to train on it, or pick a pairs file below once one is loaded.
          </p>
        ) : null}
        {models.length > 0 && <TrainForm />}
        <TrainLive />
        <Jobs kinds={['expert']} />
      </div>
      <div className="card">
        <h2>Training runs</h2>
        <TrainRuns />
      </div>
      <div className="card">
        <h2>Experts</h2>
        <Experts />
      </div>
    </section>
  );
}
