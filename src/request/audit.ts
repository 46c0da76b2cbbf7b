/**
 * The attacker's view of a published table (τ-ARGUS and sdcTable call it the audit): for every
 * suppressed cell, the interval an attacker can infer from what is published, by linear
 * programming over the published cells, the table's total and what each label says.
 *
 * What a reader knows of a table published by {@link suppressTable}, and so what the LP holds:
 * - every number shown is exact, and the cells sum to the total shown;
 * - a `"<k"` cell (primary suppression) is a count in 1 … k−1;
 * - an `"x"` cell (secondary suppression) is a count in k … total (the method never hides a
 *   zero or a small count as `"x"`);
 * - the choice of which cells are hidden depends only on what the output itself shows (see
 *   `suppression.ts`), so knowing the method adds no further constraint.
 *
 * For each hidden cell the LP is solved twice (minimum and maximum of that cell) by yalps, a
 * simplex solver; custos does not trust the solver's word for it: each optimum comes with a
 * solution, which is rounded and checked exactly, in integers, against every constraint. So a
 * reported bound is always attained by a real table that yields the same publication: the
 * interval can only be reported narrower than it is (a false alarm, and the table is withheld),
 * never wider. Between the two bounds every integer is attainable too (move one unit between
 * the cell and another hidden cell), so the interval is exactly what the attacker can exclude.
 *
 * Protection: the protection interval of a primary cell is 1 … k−1, the range its label
 * already states. A table passes when every primary cell's interval covers it (the attacker
 * learns nothing beyond the label); otherwise it is withheld.
 */
import { solve, type Coefficients, type Constraint } from 'yalps';
import { fail } from '../errors.js';
import type { Cell, SuppressedTable } from './suppression.js';

/** What an attacker can infer about one suppressed cell: every value in lower … upper. */
export interface CellInterval {
  readonly lower: number;
  readonly upper: number;
  /** `primary` ("<k"), `secondary` ("x"). */
  readonly kind: 'primary' | 'secondary';
  /** For a primary cell: the interval covers the protection interval 1 … k−1. */
  readonly protected: boolean;
}

export interface ProtectionAudit {
  /** Every primary cell keeps its protection interval, and every LP was solved and confirmed. */
  readonly ok: boolean;
  /** Suppressed cells in table order, with the interval an attacker can infer. */
  readonly cells: ReadonlyArray<{ readonly key: string } & CellInterval>;
  /** Why the audit failed (empty when ok). */
  readonly problems: readonly string[];
  /** Linear programs solved. */
  readonly programs: number;
}

const TOLERANCE = 1e-6;

interface Hidden {
  readonly key: string;
  readonly kind: 'primary' | 'secondary';
  readonly lo: number;
  readonly hi: number;
}

/** Solves one LP (min or max of variable j) and confirms its solution exactly; null when it cannot. */
function extreme(hidden: readonly Hidden[], rest: number, j: number, direction: 'minimize' | 'maximize'): number | null {
  const variables = new Map<string, Coefficients>();
  const constraints = new Map<string, Constraint>([['sum', { equal: rest }]]);
  hidden.forEach((h, i) => {
    constraints.set(`b${i}`, { min: h.lo, max: h.hi });
    variables.set(`c${i}`, [['sum', 1], [`b${i}`, 1], ['obj', i === j ? 1 : 0]]);
  });
  const s = solve({ direction, objective: 'obj', constraints, variables }, { includeZeroVariables: true });
  if (s.status !== 'optimal') return null;
  const values = new Map(s.variables);
  let sum = 0;
  const witness: number[] = [];
  for (let i = 0; i < hidden.length; i++) {
    const v = values.get(`c${i}`);
    if (v === undefined || !Number.isFinite(v)) return null;
    const r = Math.round(v);
    if (Math.abs(v - r) > TOLERANCE || r < hidden[i]!.lo || r > hidden[i]!.hi) return null;
    witness.push(r);
    sum += r;
  }
  return sum === rest ? witness[j]! : null;
}

/**
 * Audits a published one-way table: for every suppressed cell, the interval an attacker can
 * infer (LP over the published cells and the total); `ok` when every `"<k"` cell still spans
 * 1 … k−1. A withheld table (total `"x"`) publishes nothing and passes.
 *
 * @example
 * ```ts
 * const a = auditTable({ total: 66, cells: { EPOC: 'x', 'EPOC-PR': '<5', EIO: 6, MLA: 50, 'COE-P2': 0 } }, 5);
 * a.ok;       // true
 * a.cells[1]; // { key: 'EPOC-PR', kind: 'primary', lower: 1, upper: 4, protected: true }
 * ```
 */
export function auditTable<K extends string>(table: SuppressedTable<K>, k: number): ProtectionAudit {
  if (!Number.isSafeInteger(k) || k < 0) fail('ERR_INVALID_ARGUMENT', '"k" expected a non-negative integer');
  const entries = Object.entries(table.cells) as Array<[string, Cell]>;
  if (table.total === 'x') return { ok: true, cells: [], problems: [], programs: 0 };
  if (typeof table.total !== 'number' || !Number.isSafeInteger(table.total) || table.total < 0) {
    fail('ERR_INVALID_ARGUMENT', 'the table total must be a count or "x"');
  }
  const total = table.total;
  const small = `<${k}`;
  const hidden: Hidden[] = [];
  let shown = 0;
  for (const [key, c] of entries) {
    if (typeof c === 'number') {
      if (!Number.isSafeInteger(c) || c < 0) fail('ERR_INVALID_ARGUMENT', `cell "${key}" is not a count`);
      shown += c;
    } else if (c === small && k >= 2) hidden.push({ key, kind: 'primary', lo: 1, hi: k - 1 });
    else if (c === 'x') hidden.push({ key, kind: 'secondary', lo: Math.max(k, 1), hi: total });
    else fail('ERR_INVALID_ARGUMENT', `cell "${key}" has a label other than "${small}" or "x"`);
  }
  const rest = total - shown;
  const problems: string[] = [];
  const cells: Array<{ key: string } & CellInterval> = [];
  let programs = 0;
  if (hidden.length === 0 && rest !== 0) problems.push('the published cells do not add up to the total');
  hidden.forEach((h, j) => {
    programs += 2;
    const lower = extreme(hidden, rest, j, 'minimize');
    const upper = extreme(hidden, rest, j, 'maximize');
    if (lower === null || upper === null) {
      problems.push(`${h.key}: the linear program could not be solved and confirmed`);
      cells.push({ key: h.key, kind: h.kind, lower: h.lo, upper: h.lo, protected: false });
      return;
    }
    const ok = h.kind === 'secondary' || (lower <= 1 && upper >= k - 1);
    if (!ok) problems.push(`${h.key}: an attacker can narrow it to ${lower} … ${upper}, inside the protection interval 1 … ${k - 1}`);
    cells.push({ key: h.key, kind: h.kind, lower, upper, protected: ok });
  });
  return { ok: problems.length === 0, cells, problems, programs };
}
