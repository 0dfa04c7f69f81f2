/** The value tests shared by the request validators of every feature (features/<name>/protocol.ts). */
import type { BackendPref } from './events';

/** Throws the ProtocolError `what` unless `ok`. */
export type Need = (ok: boolean, what: string) => void;

export const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
export const isPref = (v: unknown): v is BackendPref => v === 'auto' || v === 'cpu' || v === 'webgpu';
export const int = (v: unknown, lo: number, hi: number) =>
  Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
export const num = (v: unknown, lo: number, hi: number) =>
  typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi;
/** absent, or a finite number in lo..hi */
export const optNum = (v: unknown, lo: number, hi: number) => v === undefined || num(v, lo, hi);
