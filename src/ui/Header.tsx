import { backendLabel } from './backend-label';
import type { KeyboardEvent } from 'react';
import { useUi } from './context';
import type { Tab } from './state/ui';
import { BACKEND_PREFS, type BackendPref } from '../worker/protocol';

const TABS: { id: Tab; label: string }[] = [
  { id: 'data', label: 'Data' },
  { id: 'models', label: 'Models' },
  { id: 'synthesize', label: 'Synthesize' },
  { id: 'train', label: 'Train' },
  { id: 'prompts', label: 'Prompts' },
  { id: 'merge', label: 'Merge' },
  { id: 'evaluate', label: 'Evaluate' },
];

export function BackendPicker({ testId }: { testId: string }) {
  const pref = useUi((s) => s.backendPref);
  const setPref = useUi((s) => s.setBackendPref);
  return (
    <select
      data-testid={testId}
      value={pref}
      onChange={(e) => void setPref(e.target.value as BackendPref)}
      aria-label="Compute backend"
    >
      {BACKEND_PREFS.map((p) => (
        <option key={p} value={p}>
          {p === 'auto' ? 'auto (a hardware GPU, else CPU)' : p === 'webgpu' ? 'WebGPU' : 'CPU'}
        </option>
      ))}
    </select>
  );
}

export function Header() {
  const tab = useUi((s) => s.tab);
  const setTab = useUi((s) => s.setTab);
  const backend = useUi((s) => s.backend);
  const notice = useUi((s) => s.backendNotice);
  const label = backendLabel(backend, notice);
  // ARIA tabs: Left/Right move to the previous/next tab (wrapping), Home/End to the first/last; the
  // tab is selected as it gets focus (one tabbable tab at a time: roving tabindex)
  const onTabKey = (e: KeyboardEvent<HTMLElement>) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const to = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = TABS[(to + TABS.length) % TABS.length].id;
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <header className="header">
      <div className="brand">
        STM Studio <span className="brand-sub">retrieval evaluation</span>
      </div>
      <nav className="tabs" role="tablist" aria-label="Studio sections" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            role="tab"
            aria-selected={tab === t.id}
            aria-controls="tabpanel"
            tabIndex={tab === t.id ? 0 : -1}
            className={tab === t.id ? 'tab active' : 'tab'}
            data-testid={`tab-${t.id}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </nav>
      <div className="backend">
        <span className={`backend-dot ${backend?.kind ?? 'idle'}`} />
        <span data-testid="backend-label" title={label.title || undefined}>
          {label.text}
        </span>
        <BackendPicker testId="backend-pref" />
      </div>
      {notice && (
        <div className="backend-notice" data-testid="backend-notice">
          {notice}
        </div>
      )}
    </header>
  );
}
