/**
 * Reference implementations of the paired randomisation test for the tests only, written independently of
 * src/eval/significance.ts (another loop structure, the mean instead of the sum, their own mulberry32).
 */

/**
 * An independent exact sign-flip test, written another way than the module's bit-mask loop: a recursive
 * walk over the queries carrying the partial sum, counting the leaves whose |sum| reaches the observed one.
 * p = extreme leaves / 2^n, the same definition as the module's exact mode.
 */
export function exactByRecursion(a: number[], b: number[]): number {
  const d = b.map((x, i) => x - a[i]);
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  let extreme = 0;
  let leaves = 0;
  const walk = (i: number, sum: number) => {
    if (i === d.length) {
      leaves++;
      if (Math.abs(sum) >= observed - 1e-9) extreme++;
      return;
    }
    walk(i + 1, sum + d[i]);
    walk(i + 1, sum - d[i]);
  };
  walk(0, 0);
  return extreme / leaves;
}

/**
 * An independent Monte-Carlo sign-flip test with its own copy of mulberry32 (the same generator and seed,
 * one uniform per query, flip when < 0.5), counting with the mean instead of the sum, p = (count+1)/(N+1).
 */
export function monteCarloIndependent(a: number[], b: number[], perms: number, seed: number): number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = a.length;
  const obs = Math.abs(a.reduce((s, x, i) => s + (b[i] - x), 0) / n);
  let count = 0;
  for (let k = 0; k < perms; k++) {
    const flipped = a.map((x, i) => (uniform() < 0.5 ? x - b[i] : b[i] - x));
    if (Math.abs(flipped.reduce((s, x) => s + x, 0) / n) >= obs - 1e-12) count++;
  }
  return (count + 1) / (perms + 1);
}
