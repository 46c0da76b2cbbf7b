/**
 * The exhaustive attacker on statistical disclosure control (issue 18, item 1), shared by
 * test/request/disclosure-control.test.ts and bench/disclosure.bench.ts: it runs the public
 * method on every table consistent with a published output and keeps those giving the same
 * output; a table leaks when some "<k" cell does not take every value 1 … k−1 over them.
 */
import type { Cell, SuppressedTable } from '../../src/request/suppression.js';

export type Method = (values: Record<string, number>, total: number, k: number) => SuppressedTable<string> | null;

/**
 * The exhaustive attacker: every table with the published numbers, "<k" cells in 1 … k−1 (what
 * the label means) and any other value for the "x" cells, that the method maps to the same
 * output. Returns the values each hidden cell takes over those tables.
 */
export function methodAttack(method: Method, published: SuppressedTable<string>, k: number): Map<string, Set<number>> {
  const total = published.total as number;
  const entries = Object.entries(published.cells) as Array<[string, Cell]>;
  const hidden = entries.filter(([, c]) => typeof c !== 'number').map(([key, c]) => ({ key, primary: c !== 'x' }));
  const fixed = Object.fromEntries(entries.filter(([, c]) => typeof c === 'number')) as Record<string, number>;
  const rest = total - Object.values(fixed).reduce((a, b) => a + b, 0);
  const want = JSON.stringify(published);
  const out = new Map(hidden.map((h) => [h.key, new Set<number>()]));
  const assign: number[] = [];
  const walk = (i: number, left: number): void => {
    if (i === hidden.length) {
      if (left !== 0) return;
      const values: Record<string, number> = {};
      for (const [key] of entries) values[key] = fixed[key] ?? assign[hidden.findIndex((h) => h.key === key)]!;
      if (JSON.stringify(method(values, total, k)) === want) hidden.forEach((h, j) => out.get(h.key)!.add(assign[j]!));
      return;
    }
    const [lo, hi] = hidden[i]!.primary ? [1, k - 1] : [0, left];
    for (let v = lo; v <= Math.min(hi, left); v++) {
      assign[i] = v;
      walk(i + 1, left - v);
    }
  };
  walk(0, rest);
  return out;
}

/** True when the attacker narrows some primary cell inside 1 … k−1. */
export function narrows(published: SuppressedTable<string>, feasible: Map<string, Set<number>>, k: number): boolean {
  for (const [key, c] of Object.entries(published.cells)) {
    if (c !== `<${k}`) continue;
    for (let v = 1; v < k; v++) if (!feasible.get(key)!.has(v)) return true;
  }
  return false;
}
