import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { fulfilmentChartSvg, statisticsCsv, statisticsJson, xmlEscape } from '../../src/request/render.js';
import type { EvidenceRequest } from '../../src/request/schema.js';
import { statistics, type OversightStatistics } from '../../src/request/statistics.js';
import type { Cell } from '../../src/request/suppression.js';
import { verifyStatusChain, type VerifiedStatusChain } from '../../src/request/verify.js';
import { buildChain, loadRequest, parties } from './helpers.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 150);
const P = parties();

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isCustosError(e) ? e.code : 'not a CustosError';
  }
  return undefined;
}

/**
 * What an attacker can deduce about hidden cells: every assignment with "<k" cells in 1 … k−1,
 * "x" cells in k … total, summing to total − the published cells. Brute force, independent of
 * the suppression code.
 */
function feasibleValues(cells: Record<string, Cell>, total: number, k: number): Map<string, Set<number>> {
  const hidden = Object.entries(cells).filter(([, c]) => typeof c !== 'number');
  const published = Object.values(cells).reduce<number>((a, c) => a + (typeof c === 'number' ? c : 0), 0);
  const R = total - published;
  const out = new Map(hidden.map(([key]) => [key, new Set<number>()]));
  const ranges = hidden.map(([, c]) => (c === 'x' ? [k, total] : [1, k - 1]) as [number, number]);
  const assign: number[] = [];
  const walk = (i: number, rest: number): void => {
    if (i === hidden.length) {
      if (rest === 0) hidden.forEach(([key], j) => out.get(key)!.add(assign[j]!));
      return;
    }
    const [lo, hi] = ranges[i]!;
    for (let v = lo; v <= Math.min(hi, rest); v++) {
      assign[i] = v;
      walk(i + 1, rest - v);
    }
  };
  walk(0, R);
  return out;
}

// suppressTable and auditTable: see disclosure-control.test.ts.

// ---- a pool of verified requests with known outcomes ------------------------------------------

const templates = ['epoc-traffic.json', 'epoc-emergency-subscriber.json', 'epoc-pr.json', 'eio.json', 'mla.json', 'coe-p2-art7.json'].map(loadRequest);
const HOURS = [2, 5, 20, 30, 100, 200, 300, 800, 3000, 5000];
type Fate = 'fulfilled' | 'refused' | 'withdrawn' | 'open' | 'partial';
const FATES: Fate[] = ['fulfilled', 'fulfilled', 'fulfilled', 'refused', 'withdrawn', 'open', 'partial'];
const GROUNDS = ['double-criminality', 'immunity', 'fundamental-rights'];

interface Case {
  request: EvidenceRequest;
  chain: VerifiedStatusChain;
  fate: Fate;
  hours: number;
  grounds: string[];
}

function makeCase(i: number): Case {
  const t = templates[i % templates.length]!;
  const issued = Date.UTC(2026, 5, 1) + i * 3_600_000 * 7;
  const iso = (ms: number) => new Date(ms).toISOString();
  const request = { ...t, id: `REQ-${i}`, issuedAt: iso(issued) } as EvidenceRequest;
  const fate = FATES[i % FATES.length]!;
  const hours = HOURS[(i * 3) % HOURS.length]!;
  const grounds = GROUNDS.slice(0, 1 + (i % 3));
  const steps: Parameters<typeof buildChain>[1][number][] = [
    { kind: 'issued', at: iso(issued), actor: 'issuer' },
    { kind: 'received', at: iso(issued + 1_800_000), actor: 'provider' },
  ];
  const end = iso(issued + hours * 3_600_000);
  if (fate === 'fulfilled') steps.push({ kind: 'fulfilled', at: end, actor: 'provider' });
  if (fate === 'refused') steps.push({ kind: 'refused', at: end, actor: 'provider', grounds: grounds.map((code) => ({ code })) });
  if (fate === 'withdrawn') steps.push({ kind: 'withdrawn', at: end, actor: 'issuer' });
  if (fate === 'partial') steps.push({ kind: 'partially-fulfilled', at: end, actor: 'provider' });
  const r = verifyStatusChain(buildChain(request, steps, P.keys), P.trust, { request });
  if (!r.ok) throw new Error(`fixture chain ${i} does not verify`);
  return { request, chain: r.chain!, fate, hours, grounds: fate === 'refused' ? grounds : [] };
}

const POOL = Array.from({ length: 70 }, (_, i) => makeCase(i));
const PERIOD = { from: '2026-01-01T00:00:00Z', to: '2028-01-01T00:00:00Z' };

const sumCells = (cells: Record<string, Cell>): number => Object.values(cells).reduce<number>((a, c) => a + (c as number), 0);

function checkTotals(s: OversightStatistics, cases: readonly Case[]): void {
  const n = cases.length;
  expect(s.total).toBe(n);
  for (const t of [s.byInstrument, s.byDataCategory, s.byEmergency, s.byOutcome, s.overdue]) {
    expect(t.total).toBe(n);
    expect(sumCells(t.cells as Record<string, Cell>)).toBe(n);
  }
  const fulfilled = cases.filter((c) => c.fate === 'fulfilled');
  expect(s.byOutcome.cells.fulfilled).toBe(fulfilled.length);
  expect(s.byOutcome.cells.refused).toBe(cases.filter((c) => c.fate === 'refused').length);
  expect(s.byOutcome.cells['partially-fulfilled']).toBe(cases.filter((c) => c.fate === 'partial').length);
  expect(s.timeToFulfilment.histogram.total).toBe(fulfilled.length);
  expect(sumCells(s.timeToFulfilment.histogram.cells as Record<string, Cell>)).toBe(fulfilled.length);
  const groundTotal = cases.reduce((a, c) => a + c.grounds.length, 0);
  expect(s.byRefusalGround.total).toBe(groundTotal);
  expect(sumCells(s.byRefusalGround.cells as Record<string, Cell>)).toBe(groundTotal);
  for (const inst of ['EPOC', 'EPOC-PR', 'EIO', 'MLA', 'COE-P2'] as const) {
    expect(s.byInstrument.cells[inst]).toBe(cases.filter((c) => c.request.instrument === inst).length);
  }
  expect(s.byEmergency.cells.emergency).toBe(cases.filter((c) => c.request.emergency.flag).length);
}

describe('statistics', () => {
  it('exact counts (no suppression) equal the inputs, with known time statistics', () => {
    const cases = POOL.slice(0, 20);
    const s = statistics(cases.map((c) => c.request), cases.map((c) => c.chain), PERIOD, { suppressBelow: 0 });
    checkTotals(s, cases);
    // fulfilled: cases 0,1,2,7,8,9,14,15,16 → hours 2,30,300,5,100,800,20,200,3000 (hand-computed)
    expect(s.byOutcome.cells.fulfilled).toBe(9);
    expect(s.timeToFulfilment.medianHours).toBe(100);
    expect(s.timeToFulfilment.meanHours).toBe(495.22);
    expect(s.timeToFulfilment.p90Hours).toBeNull(); // 9 values: p90 would be the maximum
    const more = POOL.slice(0, 25);
    const s25 = statistics(more.map((c) => c.request), more.map((c) => c.chain), PERIOD, { suppressBelow: 0 });
    // fulfilled adds 21, 22, 23 → 30, 300, 5000 h; sorted 12 values, nearest rank 11 = 3000 (hand-computed)
    expect(s25.byOutcome.cells.fulfilled).toBe(12);
    expect(s25.timeToFulfilment.p90Hours).toBe(3000);
    expect(s.timeToFulfilment.histogram.cells).toEqual({ '0-8h': 2, '8-24h': 1, '1-3d': 1, '3-10d': 2, '10-30d': 1, '30-90d': 1, '90-180d': 1, '>180d': 0 });
    expect(s.overdue.rate).toBe(Math.round(((s.overdue.cells.overdue as number) / 20) * 100) / 100);
  });

  it('period, exclusions and verified-only input', () => {
    const cases = POOL.slice(0, 10);
    const s = statistics(
      [...cases.map((c) => c.request), { ...cases[0]!.request, id: 'NO-CHAIN' }],
      [...cases.slice(0, 9).map((c) => c.chain), POOL[30]!.chain],
      { from: '2026-06-01T00:00:00Z', to: '2026-06-02T12:00:00Z' },
      { suppressBelow: 0 },
    );
    // cases 0..5 are issued every 7 h from 1 June 00:00; case 9 has no chain here
    expect(s.total).toBe(6);
    expect(s.excluded).toEqual({ requestsWithoutChain: 2, chainsWithoutRequest: 1 });
    expect(code(() => statistics([cases[0]!.request], [{ ...cases[0]!.chain }], PERIOD))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => statistics([cases[0]!.request], [cases[0]!.chain], { from: '2026-01-01T00:00:00', to: '2027-01-01T00:00:00Z' }))).toBe('ERR_TIME_INVALID');
    expect(code(() => statistics([], [], PERIOD, { suppressBelow: -1 }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('property: totals equal the inputs for any subset (exact counts)', () => {
    fc.assert(
      fc.property(fc.subarray(POOL, { minLength: 0, maxLength: 40 }), (cases) => {
        const s = statistics(cases.map((c) => c.request), cases.map((c) => c.chain), PERIOD, { suppressBelow: 0 });
        checkTotals(s, cases);
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 5)) },
    );
  });

  it('property: suppressed reports publish only true numbers, protect every table, and withhold children of hidden cells', () => {
    fc.assert(
      fc.property(fc.subarray(POOL, { minLength: 0, maxLength: 70 }), fc.constantFrom(3, 5, 10), (cases, k) => {
        const exact = statistics(cases.map((c) => c.request), cases.map((c) => c.chain), PERIOD, { suppressBelow: 0 });
        const s = statistics(cases.map((c) => c.request), cases.map((c) => c.chain), PERIOD, { suppressBelow: k });
        if (s.withheld) {
          expect(s.total).toBe('x');
          expect(s.timeToFulfilment.medianHours).toBeNull();
          return;
        }
        expect(s.total).toBe(exact.total);
        const pairs: Array<[Record<string, Cell>, Record<string, Cell>, Cell]> = [
          [s.byInstrument.cells, exact.byInstrument.cells, s.byInstrument.total],
          [s.byDataCategory.cells, exact.byDataCategory.cells, s.byDataCategory.total],
          [s.byEmergency.cells, exact.byEmergency.cells, s.byEmergency.total],
          [s.byOutcome.cells, exact.byOutcome.cells, s.byOutcome.total],
          [s.overdue.cells, exact.overdue.cells, s.overdue.total],
          [s.byRefusalGround.cells, exact.byRefusalGround.cells, s.byRefusalGround.total],
          [s.timeToFulfilment.histogram.cells, exact.timeToFulfilment.histogram.cells, s.timeToFulfilment.histogram.total],
        ];
        for (const [pub, truth, total] of pairs) {
          for (const [key, c] of Object.entries(pub)) if (typeof c === 'number') expect(c).toBe(truth[key]);
          if (typeof total !== 'number') {
            expect(Object.values(pub).every((c) => c === 'x')).toBe(true);
            continue;
          }
          const feasible = feasibleValues(pub, total, k);
          for (const [key, c] of Object.entries(pub)) {
            if (c !== `<${k}`) continue;
            for (let v = 1; v < k; v++) expect(feasible.get(key)!.has(v)).toBe(true);
          }
        }
        if (typeof s.byOutcome.cells.fulfilled !== 'number') {
          expect(s.timeToFulfilment.histogram.total).toBe('x');
          expect(s.timeToFulfilment.medianHours).toBeNull();
        }
        if (typeof s.byOutcome.cells.refused !== 'number') expect(s.byRefusalGround.total).toBe('x');
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 5)) },
    );
  });
});

/** A strict little XML well-formedness check: balanced tags, quoted attributes, only known entities. */
function wellFormed(xml: string): boolean {
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(xml)) !== null) {
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      if (/&(?!(?:amp|lt|gt|quot|apos);)/.test(m[5])) return false;
      continue;
    }
    if (m[1] === '/') {
      if (stack.pop() !== m[2]) return false;
    } else if (m[4] !== '/') stack.push(m[2]!);
  }
  return pos === xml.length && stack.length === 0;
}

describe('publication formats', () => {
  const cases = POOL.slice(0, 40);
  const s = statistics(cases.map((c) => c.request), cases.map((c) => c.chain), PERIOD, { suppressBelow: 5 });

  it('JSON round-trips', () => {
    expect(JSON.parse(statisticsJson(s))).toEqual(s);
  });
  it('CSV has one row per cell and round-trips the values', () => {
    const csv = statisticsCsv(s);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = csv.trimEnd().split('\r\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['section', 'key', 'value']);
    const get = (a: string, b: string) => rows.find((r) => r[0] === a && r[1] === b)?.[2];
    expect(get('total', '')).toBe(String(s.total));
    expect(get('instrument', 'EPOC')).toBe(String(s.byInstrument.cells.EPOC));
    expect(get('fulfilmentHistogram', '0-8h')).toBe(String(s.timeToFulfilment.histogram.cells['0-8h']));
  });

  it('SVG is self-contained, well-formed and escapes text', () => {
    const svg = fulfilmentChartSvg(s, { title: 'EPOC </title><script>alert(1)</script> & "co"' });
    expect(wellFormed(svg)).toBe(true);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;/title&gt;&lt;script&gt;');
    expect(svg).not.toMatch(/href|xlink|@import|url\(/);
    expect(wellFormed('<svg><a></svg>')).toBe(false); // the checker itself can fail
    expect(wellFormed('<svg>a & b</svg>')).toBe(false);
  });

  it('hidden bins are never drawn as bars', () => {
    const small = statistics(cases.map((c) => c.request), cases.map((c) => c.chain), PERIOD, { suppressBelow: 10 });
    const svg = fulfilmentChartSvg(small);
    const hidden = Object.values(small.timeToFulfilment.histogram.cells).filter((c) => typeof c !== 'number').length;
    expect((svg.match(/stroke-dasharray/g) ?? []).length).toBe(hidden);
    expect((svg.match(/fill="#3b6ea8"/g) ?? []).length).toBe(8 - hidden);
  });

  it('xmlEscape and CSV defuse hostile text', () => {
    expect(xmlEscape(`<a b="c">&'\u0000`)).toBe('&lt;a b=&quot;c&quot;&gt;&amp;&apos;\uFFFD');
  });
});
