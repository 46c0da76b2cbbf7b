/**
 * Medians and percentiles under the threshold rule of the counts: no published figure may rest on
 * fewer than k requests.
 *
 * A plain median of an odd number of values is one request's exact time, and a nearest-rank p90
 * of fewer than 10 values is the maximum. So with a threshold k ≥ 2 a quantile is published as
 * the mean of the k order statistics centred on its rank (shifted to fit inside the data), and
 * a mean as the mean of all n values; each is a sum over at least k requests.
 *
 * Several published sums can still be subtracted: the mean over n and a median window over k
 * give, by difference, the sum of the n − k times outside the window, which is one request's
 * time when n = k + 1. The figures are therefore admitted in order, each only when every cell
 * of the partition that all admitted windows make of the sorted times (positions in the same
 * windows) holds zero or at least k times: every linear combination of published sums then
 * involves whole cells, so at least k requests. A figure that would break this is withheld.
 */

/** Positions [from, to) in the sorted times. */
interface Window {
  readonly from: number;
  readonly to: number;
}

function windowAt(n: number, rank: number, k: number): Window {
  const from = Math.max(0, Math.min(n - k, Math.round(rank - (k - 1) / 2)));
  return { from, to: from + k };
}

/** True when every non-empty cell of the partition the windows make has at least k positions. */
function separable(windows: readonly Window[], n: number, k: number): boolean {
  const cells = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    let sig = '';
    for (const w of windows) sig += i >= w.from && i < w.to ? '1' : '0';
    if (!sig.includes('1')) continue;
    cells.set(sig, (cells.get(sig) ?? 0) + 1);
  }
  return [...cells.values()].every((c) => c >= k);
}

const mean = (xs: readonly number[], w: Window): number => {
  let s = 0;
  for (let i = w.from; i < w.to; i++) s += xs[i]!;
  return s / (w.to - w.from);
};

export interface ProtectedQuantiles {
  readonly median: number | null;
  readonly mean: number | null;
  readonly p90: number | null;
}

/**
 * Median, mean and p90 of `sorted` (ascending) under threshold `k`: with k ≤ 1 the exact
 * figures (p90 by nearest rank, from 10 values on); otherwise each as described above, or null.
 *
 * @example
 * ```ts
 * protectedQuantiles([1, 2, 3, 40, 50], 5); // { median: 19.2, mean: 19.2, p90: null }
 * ```
 */
export function protectedQuantiles(sorted: readonly number[], k: number): ProtectedQuantiles {
  const n = sorted.length;
  if (n === 0) return { median: null, mean: null, p90: null };
  const p90Rank = Math.ceil(0.9 * n) - 1;
  if (k <= 1) {
    const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    return { median, mean: mean(sorted, { from: 0, to: n }), p90: n >= 10 ? sorted[p90Rank]! : null };
  }
  if (n < k) return { median: null, mean: null, p90: null };
  const admitted: Window[] = [];
  const admit = (w: Window): number | null => {
    if (!separable([...admitted, w], n, k)) return null;
    admitted.push(w);
    return mean(sorted, w);
  };
  const median = admit(windowAt(n, (n - 1) / 2, k));
  const all = admit({ from: 0, to: n });
  const p90 = n >= 10 ? admit(windowAt(n, p90Rank, k)) : null;
  return { median, mean: all, p90 };
}
