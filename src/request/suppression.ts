/**
 * Small-count suppression for published one-way tables, with complementary suppression.
 *
 * Primary suppression: a count 1 … k−1 is shown as `"<k"`. Zero is shown (it says "none", which
 * identifies nobody). Complementary suppression: when the table's total is published, hiding
 * one small cell is not enough (total − the others gives it back), and hiding two small cells is
 * not enough either when the bounds pin them (two hidden cells summing to 2 must both be 1). So
 * further cells, smallest first, are hidden as `"x"` until an attacker who knows the total, the
 * published cells, that each `"<k"` lies in 1 … k−1 and that each `"x"` is at least k (every
 * smaller count would have been a `"<k"`) still cannot narrow any `"<k"` cell below the full
 * range 1 … k−1. For a box with one linear equality that is exact: cell c can take exactly the
 * values max(lo_c, R − Σ hi_others) … min(hi_c, R − Σ lo_others), R being the hidden sum.
 * When no cell is left to hide, the table cannot be published.
 *
 * This protects each table against its own total. custos publishes only one-way tables whose
 * only shared quantity is the grand total (so if any of them cannot be protected, the whole
 * report is withheld: hiding the total in one table would not hide it in the others), plus
 * child tables (the time-to-fulfilment histogram, the refusal grounds) that refine one parent
 * cell and are withheld whole whenever that cell is hidden or they cannot be protected.
 */

import { fail } from '../errors.js';

/** A published count: the number, `"<k"` (primary suppression) or `"x"` (complementary). */
export type Cell = number | `<${number}` | 'x';

export interface SuppressedTable<K extends string> {
  readonly total: Cell;
  readonly cells: { readonly [P in K]: Cell };
}

function bounds(k: number, kind: 'p' | 'c'): [number, number] {
  return kind === 'p' ? [1, k - 1] : [k, Number.POSITIVE_INFINITY];
}

/** True when every primary cell's feasible range, given the hidden sum, is the full 1 … k−1. */
function protectedEnough(hidden: ReadonlyMap<string, 'p' | 'c'>, values: Readonly<Record<string, number>>, k: number): boolean {
  let R = 0;
  let sumLo = 0;
  let sumHi = 0;
  for (const [key, kind] of hidden) {
    const v = values[key] ?? 0;
    const [lo, hi] = bounds(k, kind);
    R += v;
    sumLo += lo;
    sumHi += hi;
  }
  for (const [key, kind] of hidden) {
    if (kind !== 'p') continue;
    const [lo, hi] = bounds(k, kind);
    const min = Math.max(lo, R - (sumHi - hi));
    const max = Math.min(hi, R - (sumLo - lo));
    if (min > 1 || max < k - 1) return false;
  }
  return true;
}

/**
 * Suppresses a one-way table whose cells sum to `total` (checked) for publication with threshold
 * `k` (counts below k are hidden; k ≤ 1 hides nothing); `keepLast` names cells to hide as
 * complements only when nothing else is left. Returns `null` when the table cannot be
 * published safely (its total is below k, or no choice of hidden cells protects the small ones):
 * the caller then withholds it whole.
 *
 * @example
 * ```ts
 * suppressTable({ EPOC: 40, 'EPOC-PR': 3, EIO: 12 }, 55, 5);
 * // { total: 55, cells: { EPOC: 40, 'EPOC-PR': '<5', EIO: 'x' } }
 * ```
 */
export function suppressTable<K extends string>(
  values: Readonly<Record<K, number>>,
  total: number,
  k: number,
  keepLast: readonly K[] = [],
): SuppressedTable<K> | null {
  const keys = Object.keys(values) as K[];
  let sum = 0;
  for (const key of keys) {
    const v = values[key];
    if (!Number.isSafeInteger(v) || v < 0) fail('ERR_INVALID_ARGUMENT', `cell "${key}" is not a count`);
    sum += v;
  }
  if (sum !== total) fail('ERR_INVALID_ARGUMENT', 'cells do not sum to the total');
  const small = `<${k}` as Cell;
  const out = {} as Record<K, Cell>;
  if (k <= 1) {
    for (const key of keys) out[key] = values[key];
    return { total, cells: out };
  }
  // A total below k cannot be published, and a table whose small cells cannot be protected
  // against its total must not be published either: the caller withholds it.
  if (total > 0 && total < k) return null;
  const hidden = new Map<string, 'p' | 'c'>();
  for (const key of keys) if (values[key] > 0 && values[key] < k) hidden.set(key, 'p');
  // Complementary cells: the smallest first, but cells the reader needs most (and whose hiding
  // would withhold a child table) only after all others.
  const rank = (key: K): number => (keepLast.includes(key) ? 1 : 0);
  const candidates = keys
    .filter((key) => values[key] >= k)
    .sort((a, b) => rank(a) - rank(b) || values[a] - values[b] || (a < b ? -1 : 1));
  while (hidden.size > 0 && !protectedEnough(hidden, values as Record<string, number>, k)) {
    const next = candidates.shift();
    if (next === undefined) return null;
    hidden.set(next, 'c');
  }
  for (const key of keys) {
    const h = hidden.get(key);
    out[key] = h === 'p' ? small : h === 'c' ? 'x' : values[key];
  }
  return { total, cells: out };
}

/**
 * Every cell hidden (used for a child table whose parent cell is hidden).
 *
 * @example
 * ```ts
 * withholdTable(['a', 'b']); // { total: 'x', cells: { a: 'x', b: 'x' } }
 * ```
 */
export function withholdTable<K extends string>(keys: readonly K[]): SuppressedTable<K> {
  const cells = {} as Record<K, Cell>;
  for (const key of keys) cells[key] = 'x';
  return { total: 'x', cells };
}
