/**
 * Small-count suppression for published one-way tables (vocabulary of τ-ARGUS and R's sdcTable).
 *
 * Primary suppression: a count 1 … k−1 is shown as `"<k"`. Zero is shown (it says "none", which
 * identifies nobody). Its protection interval is 1 … k−1: a reader must not be able to tell more
 * about it than its label says.
 *
 * Secondary (complementary) suppression: when the table's total is published, hiding one small
 * cell is not enough (total − the others gives it back). So one more cell, of at least k, is
 * hidden as `"x"`: the first such cell in the table's fixed order (its keys in order, the cells
 * named in `keepLast` at the end). That choice is deliberately blind to the cells' sizes: the
 * method is public, and a choice that looks at the hidden values tells whoever knows the method
 * something about them. The former rule ("the smallest cells first, until the total no longer
 * pins the small ones") did: it said that the `"x"` cell was no larger than any published cell,
 * and that every shorter choice had failed, and both narrow the `"<k"` cells; 66 requests
 * published as EPOC 6, EPOC-PR "<5", EIO "x", MLA 50 gave EPOC-PR = 4 exactly. Here which cells
 * are hidden follows from what the output shows (which cells are small, which are zero, the key
 * order), so an attacker who knows the method learns nothing the published cells, the total and
 * the labels do not already say, and that is what the audit (`audit.ts`) measures: it computes,
 * by linear programming, the interval an attacker can infer for every hidden cell, and the table
 * is returned only when every primary cell keeps its whole protection interval. A table that
 * fails is withheld (`null`); so is one with no cell of at least k to hide, or a total below k.
 * Whether a table is withheld depends on the hidden values, but a withheld table shows nothing.
 *
 * This protects each table against its own total. custos publishes only one-way tables whose
 * only shared quantity is the grand total (so if any of them cannot be protected, the whole
 * report is withheld: hiding the total in one table would not hide it in the others), plus
 * child tables (the time-to-fulfilment histogram, the refusal grounds) that refine one parent
 * cell and are withheld whole whenever that cell is hidden or they cannot be protected.
 */

import { fail } from '../errors.js';
import { auditTable } from './audit.js';

/** A published count: the number, `"<k"` (primary suppression) or `"x"` (secondary). */
export type Cell = number | `<${number}` | 'x';

export interface SuppressedTable<K extends string> {
  readonly total: Cell;
  readonly cells: { readonly [P in K]: Cell };
}

/**
 * Suppresses a one-way table whose cells sum to `total` (checked) for publication with threshold
 * `k` (counts below k are hidden; k ≤ 1 hides nothing); `keepLast` names cells to hide as the
 * secondary cell only when no other can be. Returns `null` when the table cannot be published
 * safely (its total is below k, no cell of at least k is left to hide, or the audit finds a
 * primary cell an attacker can narrow): the caller then withholds it whole.
 *
 * @example
 * ```ts
 * suppressTable({ EPOC: 40, 'EPOC-PR': 3, EIO: 12 }, 55, 5);
 * // { total: 55, cells: { EPOC: 'x', 'EPOC-PR': '<5', EIO: 12 } }
 * ```
 */
export function suppressTable<K extends string>(
  values: Readonly<Record<K, number>>,
  total: number,
  k: number,
  keepLast: readonly K[] = [],
): SuppressedTable<K> | null {
  if (!Number.isSafeInteger(k) || k < 0) fail('ERR_INVALID_ARGUMENT', '"k" expected a non-negative integer');
  const keys = Object.keys(values) as K[];
  let sum = 0;
  for (const key of keys) {
    const v = values[key];
    if (!Number.isSafeInteger(v) || v < 0) fail('ERR_INVALID_ARGUMENT', `cell "${key}" is not a count`);
    sum += v;
  }
  if (sum !== total) fail('ERR_INVALID_ARGUMENT', 'cells do not sum to the total');
  const out = {} as Record<K, Cell>;
  const set = (key: K, c: Cell): void => {
    // defineProperty: suppressTable is public and its keys are the caller's; a key "__proto__"
    // must become a cell, not the object's prototype.
    Object.defineProperty(out, key, { value: c, enumerable: true, writable: true, configurable: true });
  };
  if (k <= 1) {
    for (const key of keys) set(key, values[key]);
    return { total, cells: out };
  }
  // A total below k cannot be published.
  if (total > 0 && total < k) return null;
  const primary = new Set(keys.filter((key) => values[key] > 0 && values[key] < k));
  let secondary: K | undefined;
  if (primary.size > 0) {
    const last = new Set(keepLast);
    const order = [...keys.filter((key) => !last.has(key)), ...keys.filter((key) => last.has(key))];
    secondary = order.find((key) => values[key] >= k);
    if (secondary === undefined) return null;
  }
  for (const key of keys) set(key, primary.has(key) ? `<${k}` : key === secondary ? 'x' : values[key]);
  const table: SuppressedTable<K> = { total, cells: out };
  return auditTable(table, k).ok ? table : null;
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
  for (const key of keys) Object.defineProperty(cells, key, { value: 'x', enumerable: true, writable: true, configurable: true });
  return { total: 'x', cells };
}
