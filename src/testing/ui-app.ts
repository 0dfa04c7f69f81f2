/** The studio's UI store joined in-process to a worker engine with Node dependencies (tests). */
import { connectInProcess } from '../worker/local';
import { createUiStore } from '../ui/state/ui';
import { nodeEngineDeps } from './engine-deps';

export function uiApp(dbName: string) {
  const deps = nodeEngineDeps(dbName);
  const { client } = connectInProcess(deps);
  return { store: createUiStore(client, { db: deps.db, baseUrl: 'http://localhost/' }), db: deps.db };
}
