import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createUiStore } from './ui/state/ui';
import { App } from './ui/App';
import { UiContext } from './ui/context';
import { registerServiceWorker } from './ui/offline';
import { EngineClient } from './worker/client';
import './ui/styles.css';

const store = createUiStore(EngineClient.spawn());
void store.getState().hydrate();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <UiContext.Provider value={store}>
      <App />
    </UiContext.Provider>
  </StrictMode>,
);

if (import.meta.env.PROD) registerServiceWorker();
