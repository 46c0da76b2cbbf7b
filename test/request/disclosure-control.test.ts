/**
 * Statistical disclosure control against an attacker who knows the method (issue 18, item 1).
 *
 * Attacks, each tested below:
 * - margin attack: total − published cells, with the labels' ranges ("<k" is 1 … k−1, "x" ≥ k),
 *   narrows a primary cell (the LP attacker; `auditTable` computes it);
 * - method attack: run the public algorithm on every table consistent with the output and keep
 *   those that give the same output (the exhaustive attacker; independent of the audit code),
 *   e.g. "the x cell is the smallest", "a shorter choice failed";
 * - the issue's 66 requests (EPOC 6, EPOC-PR 4, EIO 6, MLA 50), where the old output pinned
 *   EPOC-PR = 4;
 * - quantiles: an odd median is one request's time; mean and window differences isolate one;
 * - a check whose data is absent: an LP that cannot be solved or confirmed fails the audit,
 *   a label the audit does not know is refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { auditTable } from '../../src/request/audit.js';
import type { EvidenceRequest } from '../../src/request/schema.js';
import { statistics } from '../../src/request/statistics.js';
import { verifyStatusChain } from '../../src/request/verify.js';
import { buildChain, loadRequest, parties } from './helpers.js';
import { protectedQuantiles } from '../../src/request/quantiles.js';
import { suppressTable, type Cell, type SuppressedTable } from '../../src/request/suppression.js';
import { methodAttack, narrows, type Method } from '../support/disclosure-attack.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 150);

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : 'not a CustosError';
  }
  return undefined;
}


const method: Method = (values, total, k) => suppressTable(values, total, k);

describe('auditTable: the interval an attacker infers by LP', () => {
  it('computes each hidden cell\'s interval from the published cells and the total', () => {
    const a = auditTable({ total: 66, cells: { EPOC: 'x', 'EPOC-PR': '<5', EIO: 6, MLA: 50, 'COE-P2': 0 } }, 5);
    expect(a.ok).toBe(true);
    expect(a.cells).toEqual([
      { key: 'EPOC', kind: 'secondary', lower: 6, upper: 9, protected: true },
      { key: 'EPOC-PR', kind: 'primary', lower: 1, upper: 4, protected: true },
    ]);
    expect(a.programs).toBe(4);
  });
  it('fails a table whose total pins a primary cell (margin attack)', () => {
    // 1 + x = 6 with x ≥ 5: both pinned
    const a = auditTable({ total: 6, cells: { a: '<5', b: 'x' } }, 5);
    expect(a.ok).toBe(false);
    expect(a.cells[0]).toMatchObject({ key: 'a', lower: 1, upper: 1, protected: false });
    // a lone "<5" next to a published total: total − the others
    expect(auditTable({ total: 13, cells: { a: '<5', b: 10 } }, 5).ok).toBe(false);
    // labels that contradict the total: no table exists, so the LP has no solution: a failure
    expect(auditTable({ total: 3, cells: { a: '<5', b: 'x' } }, 5).ok).toBe(false);
  });
  it('refuses what it cannot read, passes what publishes nothing', () => {
    expect(code(() => auditTable({ total: 5, cells: { a: '<3' as Cell } }, 5))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => auditTable({ total: -1, cells: {} }, 5))).toBe('ERR_INVALID_ARGUMENT');
    expect(auditTable({ total: 'x', cells: { a: 'x' } }, 5).ok).toBe(true);
    expect(auditTable({ total: 7, cells: { a: 3, b: 3 } }, 5).ok).toBe(false); // does not add up
  });
  it('keys that name Object.prototype members are cells like any other', () => {
    const t = suppressTable(Object.fromEntries([['constructor', 2], ['__proto__', 9], ['toString', 7]]), 18, 5);
    expect(t).not.toBeNull();
    expect(Object.keys(t!.cells)).toEqual(['constructor', '__proto__', 'toString']);
  });
});

describe('suppressTable against an attacker who knows the method', () => {
  it('the issue\'s 66 requests: EPOC-PR stays anywhere in 1 … 4', () => {
    const truth = { EPOC: 6, 'EPOC-PR': 4, EIO: 6, MLA: 50, 'COE-P2': 0 };
    const s = suppressTable(truth, 66, 5)!;
    expect(s.cells).toEqual({ EPOC: 'x', 'EPOC-PR': '<5', EIO: 6, MLA: 50, 'COE-P2': 0 });
    const feasible = methodAttack(method, s, 5);
    expect([...feasible.get('EPOC-PR')!].sort()).toEqual([1, 2, 3, 4]);
    // The output the old method gave passes a plain LP audit, yet knowing that method ("x" is the
    // smallest cell, ties by key) leaves one table: why the choice of "x" must not look at values.
    expect(auditTable({ total: 66, cells: { EPOC: 6, 'EPOC-PR': '<5', EIO: 'x', MLA: 50, 'COE-P2': 0 } }, 5).ok).toBe(true);
  });

  it('the issue\'s 66 requests through statistics(): byInstrument publishes EPOC-PR "<5" that no attacker narrows', () => {
    const P = parties();
    const counts: Array<[string, number]> = [['epoc-traffic.json', 6], ['epoc-pr.json', 4], ['eio.json', 6], ['mla.json', 50]];
    const requests: EvidenceRequest[] = [];
    const chains = [];
    let i = 0;
    for (const [file, n] of counts) {
      const t = loadRequest(file);
      for (let j = 0; j < n; j++, i++) {
        const request = { ...t, id: `REQ-66-${i}` } as EvidenceRequest;
        const chain = buildChain(request, [
          { kind: 'issued', at: '2026-06-01T08:00:00Z', actor: 'issuer' },
          { kind: 'received', at: '2026-06-01T09:00:00Z', actor: 'provider' },
          { kind: 'fulfilled', at: `2026-06-02T${String(10 + (i % 12)).padStart(2, '0')}:00:00Z`, actor: 'provider' },
        ], P.keys);
        requests.push(request);
        chains.push(verifyStatusChain(chain, P.trust, { request }).chain!);
      }
    }
    const s = statistics(requests, chains, { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, { suppressBelow: 5 });
    expect(s.withheld).toBe(false);
    expect(s.byInstrument).toEqual({ total: 66, cells: { EPOC: 'x', 'EPOC-PR': '<5', EIO: 6, MLA: 50, 'COE-P2': 0 } });
    expect([...methodAttack(method, s.byInstrument, 5).get('EPOC-PR')!].sort()).toEqual([1, 2, 3, 4]);
    // every published table passes the audit
    for (const t of <SuppressedTable<string>[]>[s.byInstrument, s.byDataCategory, s.byEmergency, s.byOutcome, s.overdue, s.byRefusalGround, s.timeToFulfilment.histogram]) {
      expect(auditTable(t, 5).ok).toBe(true);
    }
  });

  it.each([
    ['nothing small', { a: 10, b: 7, c: 0 }, 17, 5, { a: 10, b: 7, c: 0 }],
    ['two small cells and the first large one', { a: 1, b: 1, c: 20, d: 30 }, 52, 5, { a: '<5', b: '<5', c: 'x', d: 30 }],
    ['k ≤ 1 publishes everything', { a: 1, b: 2 }, 3, 1, { a: 1, b: 2 }],
    ['all zero', { a: 0, b: 0 }, 0, 5, { a: 0, b: 0 }],
    ['the secondary cell is chosen by key order, not size', { a: 3, b: 40, c: 6 }, 49, 5, { a: '<5', b: 'x', c: 6 }],
  ] as Array<[string, Record<string, number>, number, number, Record<string, Cell>]>)('%s', (_n, values, total, k, cells) => {
    expect(suppressTable(values, total, k)).toEqual({ total, cells });
  });

  it('withholds what it cannot protect', () => {
    expect(suppressTable({ a: 3 }, 3, 5)).toBeNull(); // total below k
    expect(suppressTable({ a: 1, b: 5 }, 6, 5)).toBeNull(); // 6 = 1 + 5 pins both
    expect(suppressTable({ a: 1, b: 5, c: 9 }, 15, 5)).toBeNull(); // hiding b: 1 + b = 6 pins a
    expect(suppressTable({ a: 2, b: 3 }, 5, 5)).toBeNull(); // nothing of at least k to hide
  });
  it('keepLast cells are hidden only when nothing else can be', () => {
    expect(suppressTable({ fulfilled: 30, refused: 2, open: 9 }, 41, 5, ['fulfilled' as string])?.cells).toEqual({ fulfilled: 30, refused: '<5', open: 'x' });
    expect(suppressTable({ fulfilled: 30, refused: 2, open: 0 }, 32, 5, ['fulfilled' as string])?.cells).toEqual({ fulfilled: 'x', refused: '<5', open: 0 });
  });
  it('rejects cells that do not add up', () => {
    expect(code(() => suppressTable({ a: 1, b: 2 }, 4, 5))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => suppressTable({ a: -1, b: 5 }, 4, 5))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('property: neither the method attacker nor the LP attacker narrows a primary cell below its protection interval', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(2, 3, 5),
        (values, k) => {
          const table = Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
          const total = values.reduce((a, b) => a + b, 0);
          const s = suppressTable(table, total, k);
          if (s === null) return values.some((v) => v > 0 && v < k) || (total > 0 && total < k);
          // only true numbers, the right labels
          for (const [key, c] of Object.entries(s.cells)) {
            const v = table[key]!;
            if (typeof c === 'number') expect(c).toBe(v);
            else if (c === 'x') expect(v).toBeGreaterThanOrEqual(k);
            else expect(c === `<${k}` && v >= 1 && v < k).toBe(true);
          }
          const feasible = methodAttack(method, s, k);
          expect(narrows(s, feasible, k)).toBe(false);
          // the LP audit agrees with the exhaustive attacker on every hidden cell
          for (const c of auditTable(s, k).cells) {
            const f = [...feasible.get(c.key)!];
            expect([Math.min(...f), Math.max(...f)]).toEqual([c.lower, c.upper]);
          }
          return true;
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('protectedQuantiles: medians and percentiles under the threshold rule', () => {
  it('an odd median is never one request\'s time', () => {
    // plain median: 3 (one request); with k = 5 the mean of the five middle values
    expect(protectedQuantiles([1, 2, 3, 40, 50], 5)).toEqual({ median: 19.2, mean: 19.2, p90: null });
    expect(protectedQuantiles([1, 2, 3, 40, 50], 0)).toEqual({ median: 3, mean: 19.2, p90: null });
  });
  it('no difference of two published figures isolates fewer than k requests', () => {
    // n = 6, k = 5: mean × 6 − median window × 5 would be one request's time: the mean is withheld
    expect(protectedQuantiles([1, 2, 3, 4, 5, 6], 5)).toEqual({ median: 4, mean: null, p90: null });
    const q = protectedQuantiles(Array.from({ length: 25 }, (_, i) => i), 5);
    expect(q).toEqual({ median: 12, mean: 12, p90: 22 });
    expect(protectedQuantiles([1, 2, 3, 4], 5)).toEqual({ median: null, mean: null, p90: null });
  });
  it('property: no combination (±1 each) of the published sums rests on fewer than k requests', () => {
    // The attacker knows n and each figure's window (from the method), so each figure is a known
    // sum over a set of sorted positions; adding and subtracting them gives the sum over the
    // symmetric pieces. Find each figure's set by perturbing one position at a time.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 0, maxLength: 40 }), fc.constantFrom(2, 3, 5, 10), (xs, k) => {
        const sorted = xs.map((x, i) => x * 1000 + i).sort((a, b) => a - b); // distinct, so a +1 keeps the order
        const n = sorted.length;
        const q = protectedQuantiles(sorted, k);
        if (n < k) expect(q).toEqual({ median: null, mean: null, p90: null });
        const names = (['median', 'mean', 'p90'] as const).filter((f) => q[f] !== null);
        const support = names.map((f) => {
          const set: number[] = [];
          for (let i = 0; i < n; i++) {
            const bumped = [...sorted];
            bumped[i] = bumped[i]! + 1;
            if (protectedQuantiles(bumped, k)[f] !== q[f]) set.push(i);
          }
          expect(set.length).toBeGreaterThanOrEqual(Math.min(k, n));
          return set;
        });
        const combos = (m: number): number[][] => (m === 0 ? [[]] : combos(m - 1).flatMap((c) => [-1, 0, 1].map((x) => [...c, x])));
        for (const c of combos(support.length)) {
          const weight = new Array<number>(n).fill(0);
          c.forEach((x, j) => {
            for (const i of support[j]!) weight[i]! += x;
          });
          const involved = weight.filter((w) => w !== 0).length;
          if (involved > 0) expect(involved).toBeGreaterThanOrEqual(Math.min(k, n));
        }
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 3)) },
    );
  });
});
