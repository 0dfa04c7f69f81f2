import { DataPanel } from './DataPanel';
import { Errors } from './Errors';
import { EvaluatePanel } from './EvaluatePanel';
import { Header } from './Header';
import { MergePanel } from './merge/MergePanel';
import { ModelsPanel } from './ModelsPanel';
import { PromptsPanel } from './prompts/PromptsPanel';
import { SynthesizePanel } from './SynthesizePanel';
import { TrainPanel } from './TrainPanel';
import { Warnings } from './Warnings';
import { useUi } from './context';

export function App() {
  const ready = useUi((s) => s.ready);
  const tab = useUi((s) => s.tab);
  return (
    <div className="app" data-testid="app" data-ready={ready}>
      <Header />
      <main className="main" id="tabpanel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        <Errors />
        <Warnings />
        {!ready ? (
          <p className="muted">Opening the studio…</p>
        ) : tab === 'data' ? (
          <DataPanel />
        ) : tab === 'models' ? (
          <ModelsPanel />
        ) : tab === 'synthesize' ? (
          <SynthesizePanel />
        ) : tab === 'train' ? (
          <TrainPanel />
        ) : tab === 'prompts' ? (
          <PromptsPanel />
        ) : tab === 'merge' ? (
          <MergePanel />
        ) : (
          <EvaluatePanel />
        )}
      </main>
    </div>
  );
}
