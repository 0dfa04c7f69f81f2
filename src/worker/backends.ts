/**
 * The worker's compute backend: acquired on first use for a preference, replaced when the preference
 * changes, and re-acquired (or replaced by the CPU) after a lost device. Every change is posted as a
 * `backend` event.
 */
import { DeviceLostError, type Backend } from '../core/backend';
import type { BackendChoice } from '../gpu/select';
import type { BackendInfo, BackendPref, FeatureEvent } from './events';

export class Backends {
  private current: { pref: BackendPref; value: Backend; choice: BackendChoice } | null = null;

  constructor(
    private readonly acquire: (pref: BackendPref) => Promise<BackendChoice>,
    private readonly post: (e: FeatureEvent) => void,
  ) {}

  static info(c: BackendChoice, pref: BackendPref): BackendInfo {
    return { kind: c.backend.kind, label: c.backend.label, pref, reason: c.reason, skipped: c.skipped };
  }

  /** what is acquired now, if anything */
  get active(): BackendInfo | null {
    return this.current ? Backends.info(this.current.choice, this.current.pref) : null;
  }

  /** The backend for `pref`, acquired on first use; a new preference replaces (destroys) the old one. */
  async get(pref: BackendPref, notice?: string): Promise<Backend> {
    if (this.current?.pref === pref) return this.current.value;
    this.drop();
    const choice = await this.acquire(pref);
    this.current = { pref, value: choice.backend, choice };
    this.post({ type: 'backend', info: Backends.info(choice, pref), notice });
    return choice.backend;
  }

  private drop(): void {
    try {
      this.current?.value.destroy();
    } catch {
      // a lost device may throw on destroy; it is gone either way
    }
    this.current = null;
  }

  /** After a lost device: a fresh device for the same preference, else the CPU. */
  private async recover(pref: BackendPref, lost: DeviceLostError): Promise<void> {
    this.drop();
    try {
      await this.get(pref, `${lost.message}; acquired a new device.`);
    } catch {
      await this.get('cpu', `${lost.message}; no new device, fell back to the CPU.`);
    }
  }

  /** Runs `work` on the backend for `pref`; a lost device is recovered from once and `work` retried. */
  async run<T>(pref: BackendPref, signal: AbortSignal, work: (b: Backend) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      const b = await this.get(pref);
      try {
        return await work(b);
      } catch (e) {
        if (!(e instanceof DeviceLostError) || attempt > 0) throw e;
        await this.recover(pref, e);
        pref = this.current?.pref ?? 'cpu';
      }
    }
  }
}
