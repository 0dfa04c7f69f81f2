/** The studio's UI store joined in-process to a worker engine with Node dependencies (tests). */
import { connectInProcess } from '../worker/local';
import { createUiStore, type UiStoreOptions } from '../ui/state/ui';
import { nodeEngineDeps } from './engine-deps';

/**
 * `answers` are what the user says to each question the store asks before deleting or replacing
 * something (in order; yes when they run out); every question asked is kept in `asked`.
 */
export function uiApp(dbName: string, opts: Pick<UiStoreOptions, 'storage'> & { answers?: boolean[] } = {}) {
  const deps = nodeEngineDeps(dbName);
  const { client } = connectInProcess(deps);
  const asked: string[] = [];
  const answers = opts.answers ?? [];
  const store = createUiStore(client, {
    db: deps.db,
    baseUrl: 'http://localhost/',
    storage: opts.storage,
    confirm: (m) => {
      asked.push(m);
      return answers.shift() ?? true;
    },
  });
  return { store, db: deps.db, asked, answers };
}
