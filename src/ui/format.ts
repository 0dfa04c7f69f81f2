/** Number and time formatting shared by the panels, and the Enter/Space handler of clickable rows. */
import type { KeyboardEvent } from 'react';
import type { JobState } from './state/ui';

export function metric(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3);
}

export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 90) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 90 ? `${m} min ${Math.round(s - 60 * m)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

/** Fraction of the current phase done, in [0, 1]. */
export function fraction(j: JobState): number {
  return j.total > 0 ? Math.min(1, Math.max(0, j.done / j.total)) : 0;
}

/** Remaining seconds of the current phase at its rate so far, or null before there is a rate. */
export function eta(j: JobState, now: number): number | null {
  const elapsed = (now - j.phaseStartedAt) / 1000;
  const progressed = j.done - j.phaseStartDone;
  if (j.total <= 0 || progressed <= 0 || elapsed < 0.25) return null;
  return ((j.total - j.done) * elapsed) / progressed;
}

const PHASES: Record<string, string> = {
  queued: 'Waiting',
  read: 'Reading files',
  save: 'Saving',
  'acquire-backend': 'Starting the compute backend',
  download: 'Downloading',
  embed: 'Embedding',
  'load-model': 'Loading the model',
  index: 'Indexing (BM25)',
  'embed-corpus': 'Embedding the corpus',
  'embed-queries': 'Embedding the queries',
  search: 'Searching',
  score: 'Scoring',
  mine: 'Mining hard negatives',
  train: 'Training',
  checkpoint: 'Saving a checkpoint',
  generate: 'Writing queries',
  propose: 'Proposing instructions',
  pack: 'Packing the project',
  verify: 'Verifying checksums',
};
export function phaseLabel(phase: string): string {
  return PHASES[phase] ?? phase;
}

/** Bytes as megabytes ("28.1 MB", "0.03 MB"; under 10 kB in kB). */
export function mb(bytes: number): string {
  if (bytes < 1e4) return `${(bytes / 1e3).toFixed(1)} kB`;
  const v = bytes / 1e6;
  return `${v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toFixed(3)} MB`;
}

/** A count with a k/M/B suffix ("28.6M"). */
export function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

/** onKeyDown for a focusable row or item: Enter or Space does what a click does. */
export function onActivate(act: () => void): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.target !== e.currentTarget || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    act();
  };
}
