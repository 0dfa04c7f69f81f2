/**
 * The Merge tab: tick experts of one base model, pick a method, move the sliders; every change re-merges and
 * re-scores on dev pools (debounced) and shows per-task and per-domain nDCG@10 against the base and the best
 * single expert. Undo/redo (buttons, Ctrl+Z / Ctrl+Shift+Z), save the merge, evaluate it on full splits.
 */
import './merge.css';
import { useEffect } from 'react';
import { useUi } from '../context';
import { Jobs } from '../Jobs';
import { ExpertPicker } from './ExpertPicker';
import { MergeFigures } from './MergeFigures';
import { InstructionControl } from './InstructionControl';
import { MethodControls } from './MethodControls';
import { PoolPicker } from './PoolPicker';
import { RecipeIO } from './RecipeIO';
import { SavedMerges, SaveMerge } from './SaveMerge';
import { SearchCard } from './SearchCard';

function useUndoKeys() {
  const undo = useUi((s) => s.mergeUndo);
  const redo = useUi((s) => s.mergeRedo);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z') return;
      const t = e.target as HTMLElement | null;
      // text boxes keep their own undo
      if (
        t &&
        (t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && (t as HTMLInputElement).type === 'text'))
      )
        return;
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [undo, redo]);
}

export function MergePanel() {
  const experts = useUi((s) => s.experts);
  const open = useUi((s) => s.mergeOpen);
  const past = useUi((s) => s.mergePast.length);
  const future = useUi((s) => s.mergeFuture.length);
  const undo = useUi((s) => s.mergeUndo);
  const redo = useUi((s) => s.mergeRedo);
  const setTab = useUi((s) => s.setTab);
  useEffect(() => open(), [open]);
  useUndoKeys();
  return (
    <section className="panel" data-testid="merge-panel">
      <div className="card">
        <h2>Merge experts</h2>
        <p className="muted small">
          A merge mixes what several experts learned into one model. Tick experts trained on the same base
          model, choose a method and move the sliders: every change is merged and scored again within about a
          second.
        </p>
        {experts.length === 0 ? (
          <p data-testid="merge-empty">
            No experts yet. Train two in the{' '}
            <button className="linklike" onClick={() => setTab('train')}>
              Train
            </button>{' '}
            tab (for example one on medical and one on general data), then merge them here.
          </p>
        ) : (
          <>
            {experts.length === 1 && (
              <p className="muted" data-testid="merge-one">
                Only one expert so far: a merge needs two. With one you can still scale it (task arithmetic
                with a weight or lambda), which shows how much of its training to keep.
              </p>
            )}
            <MethodControls />
            <RecipeIO />
            <ExpertPicker />
            <InstructionControl />
            <div className="merge-undo">
              <button className="secondary small" data-testid="merge-undo" disabled={!past} onClick={undo}>
                Undo
              </button>
              <button className="secondary small" data-testid="merge-redo" disabled={!future} onClick={redo}>
                Redo
              </button>
              <span className="muted small">Ctrl+Z / Ctrl+Shift+Z</span>
            </div>
          </>
        )}
      </div>
      <div className="card">
        <h2>Scored on</h2>
        <PoolPicker />
      </div>
      <div className="card">
        <h2>Scores</h2>
        <Jobs kinds={['merge']} />
        <MergeFigures />
        {experts.length > 0 && <SaveMerge />}
      </div>
      <SearchCard />
      <div className="card">
        <h2>Saved merges</h2>
        <Jobs kinds={['evaluate']} />
        <SavedMerges />
      </div>
    </section>
  );
}
