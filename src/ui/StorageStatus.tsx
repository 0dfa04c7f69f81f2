/** Whether the browser agreed to keep the studio's storage (navigator.storage.persist()). */
import { useUi } from './context';

export function StorageStatus() {
  const persistent = useUi((s) => s.storagePersistent);
  const text =
    persistent === true
      ? 'Storage: persistent (the browser keeps datasets, models and experts until you clear site data)'
      : persistent === false
        ? 'Storage: may be evicted by the browser when disk space runs low (persistence was not granted); export the project (Data tab) to keep a copy'
        : 'Storage: this browser does not say whether it keeps the studio’s data';
  return (
    <p
      className={persistent === false ? 'small storage-status evictable' : 'small muted storage-status'}
      data-testid="storage-status"
      data-persistent={String(persistent)}
    >
      {text}
    </p>
  );
}
