/**
 * `statistics(requests, chains, period)`: the aggregates an oversight body publishes about
 * cross-border requests (cf. Regulation (EU) 2023/1543 Art. 28: numbers by type of order, data
 * category and emergency, fulfilled and refused orders, grounds for refusal, time to obtain the
 * data), with small-count suppression for publication.
 *
 * Only verified, hash-linked, signed status events count: `chains` must come from
 * `verifyStatusChain`, and each request must be the document its chain is bound to (instrument,
 * categories and emergency flag are read from the chain's verified copy; ERR_REQUEST_MISMATCH
 * for a request edited after issue). A request is in the period when its `issued` event is, in [from, to).
 * Its outcome and whether it was overdue are judged at `now` (default: the end of the period).
 *
 * Definitions:
 * - data category: the most intrusive category the request asks for (content > traffic >
 *   user-identification > subscriber), so that the categories partition the requests and their
 *   counts add up to the total (a multi-valued table could not be protected against the total);
 * - outcome: `fulfilled`, `refused`, `withdrawn`, `partially-fulfilled` (some data, still open)
 *   or `open`;
 * - time to fulfilment: from the `issued` event to the `fulfilled` event (Art. 28 counts from
 *   issue to obtaining the data), in hours;
 * - overdue: a deadline the addressee, executing authority or requested party had to meet (see
 *   `requestStatus`) was missed, whether it was met late or is still open at `now`; windows,
 *   the issuer's own deadlines and the soft EIO deadlines of Art. 12(2) and 32(2) do not count.
 */
import { equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { requestDigest } from './document.js';
import { DATA_CATEGORIES, INSTRUMENTS, type DataCategory, type EvidenceRequest, type Instrument } from './schema.js';
import { requestStatus, type RequestStatusOptions } from './status.js';
import { protectedQuantiles } from './quantiles.js';
import { suppressTable, withholdTable, type Cell, type SuppressedTable } from './suppression.js';
import { formatUtc, parseInstant } from './time.js';
import { isVerifiedStatusChain, type VerifiedStatusChain } from './verify.js';

export interface StatisticsPeriod {
  readonly from: string;
  readonly to: string;
}

export interface StatisticsOptions {
  /** Counts below this are published as "<k" (default 5); 0 or 1 publishes exact counts. */
  readonly suppressBelow?: number;
  /** When outcomes and deadlines are judged (default: `period.to`). */
  readonly now?: string;
  /** IANA zone per addressee state (ISO alpha-2), for counting deadline days there. */
  readonly timeZones?: Readonly<Record<string, string>>;
  /** Passed to the deadline computation (method, holidays, escalation grace). */
  readonly deadlineOptions?: Omit<RequestStatusOptions, 'timeZone'>;
}

export const OUTCOMES = ['fulfilled', 'partially-fulfilled', 'refused', 'withdrawn', 'open'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Histogram bins, in hours, aligned with the deadlines the instruments set. */
export const FULFILMENT_BINS: ReadonlyArray<{ readonly key: string; readonly from: number; readonly to: number | null }> = [
  { key: '0-8h', from: 0, to: 8 },
  { key: '8-24h', from: 8, to: 24 },
  { key: '1-3d', from: 24, to: 72 },
  { key: '3-10d', from: 72, to: 240 },
  { key: '10-30d', from: 240, to: 720 },
  { key: '30-90d', from: 720, to: 2160 },
  { key: '90-180d', from: 2160, to: 4320 },
  { key: '>180d', from: 4320, to: null },
];

export interface OversightStatistics {
  readonly period: { readonly from: string; readonly to: string; readonly now: string };
  readonly suppressBelow: number;
  /** True when counts were too small to publish any table safely: every count is "x". */
  readonly withheld: boolean;
  readonly total: Cell;
  readonly byInstrument: SuppressedTable<Instrument>;
  readonly byDataCategory: SuppressedTable<DataCategory>;
  readonly byEmergency: SuppressedTable<'emergency' | 'non-emergency'>;
  readonly byOutcome: SuppressedTable<Outcome>;
  /** Grounds given in refusals (a refusal may give several): a child of `byOutcome.refused`. */
  readonly byRefusalGround: SuppressedTable<string>;
  readonly overdue: SuppressedTable<'overdue' | 'not-overdue'> & { readonly rate: number | null };
  readonly timeToFulfilment: {
    /**
     * With a threshold k ≥ 2: the mean of the k times centred on the median (p90) rank, and the
     * mean of all; each null when the fulfilled count is hidden, below k, or when publishing it
     * next to the others would let a difference isolate fewer than k requests (p90: also below
     * 10 values). See `protectedQuantiles`.
     */
    readonly medianHours: number | null;
    readonly meanHours: number | null;
    readonly p90Hours: number | null;
    /** A child of `byOutcome.fulfilled`. */
    readonly histogram: SuppressedTable<string>;
  };
  /** Inputs left out: requests without a verified chain, chains without a request. */
  readonly excluded: { readonly requestsWithoutChain: number; readonly chainsWithoutRequest: number };
}

const SOFT = new Set(['issuer-deadline', 'provisional-measure']);

interface Row {
  instrument: Instrument;
  category: DataCategory;
  emergency: boolean;
  outcome: Outcome;
  grounds: string[];
  hours: number | null;
  overdue: boolean;
}

const count = <K extends string>(keys: readonly K[], pick: (r: Row) => K | undefined, rows: readonly Row[]): Record<K, number> => {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const r of rows) {
    const k = pick(r);
    if (k !== undefined) out[k]++;
  }
  return out;
};

const round2 = (x: number): number => Math.round(x * 100) / 100;

function rowFor(request: EvidenceRequest, chain: VerifiedStatusChain, nowMs: number, opts: StatisticsOptions): Row | undefined {
  const events = chain.events.filter((e) => e.atMs <= nowMs);
  const issued = events[0];
  if (issued === undefined) return undefined;
  const last = events[events.length - 1]!;
  const outcome: Outcome =
    last.kind === 'fulfilled' || last.kind === 'refused' || last.kind === 'withdrawn'
      ? last.kind
      : events.some((e) => e.kind === 'partially-fulfilled')
        ? 'partially-fulfilled'
        : 'open';
  const category = [...DATA_CATEGORIES].reverse().find((c) => request.dataCategories.includes(c))!;
  const zones = opts.timeZones;
  const zone = zones !== undefined && Object.hasOwn(zones, request.addressee.state) ? zones[request.addressee.state] : undefined;
  const status = requestStatus(request, chain, formatUtc(nowMs), {
    ...(opts.deadlineOptions ?? {}),
    ...(zone !== undefined ? { timeZone: zone } : {}),
  });
  // Only obligations of the answering side count; the issuer's own deadlines (ex-post
  // validation) and the soft ones ("as fully as possible", "wherever practicable": 2014/41
  // Art. 12(2), 32(2)) are reported by requestStatus but are not "overdue requests".
  const overdue = status.deadlines.some(
    (d) => (d.state === 'overdue' || d.state === 'met-late' || d.state === 'missed') && d.party !== 'issuing-authority' && !SOFT.has(d.id),
  );
  return {
    instrument: request.instrument,
    category,
    emergency: request.emergency.flag,
    outcome,
    grounds: outcome === 'refused' ? (last.grounds ?? []).map((g) => g.code) : [],
    hours: outcome === 'fulfilled' ? (last.atMs - issued.atMs) / 3_600_000 : null,
    overdue,
  };
}

/**
 * Oversight statistics for a period, from verified status chains.
 *
 * @example
 * ```ts
 * const chains = requests.map((r) => verifyStatusChain(eventsOf(r.id), trust, { request: r }).chain!);
 * const stats = statistics(requests, chains, { from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }, { suppressBelow: 5 });
 * writeFileSync('stats.csv', statisticsCsv(stats));
 * writeFileSync('ttf.svg', fulfilmentChartSvg(stats));
 * ```
 */
export function statistics(
  requests: readonly EvidenceRequest[],
  chains: readonly VerifiedStatusChain[],
  period: StatisticsPeriod,
  opts: StatisticsOptions = {},
): OversightStatistics {
  if (!Array.isArray(requests) || !Array.isArray(chains)) fail('ERR_INVALID_ARGUMENT', '"requests" and "chains" expected arrays');
  const k = opts.suppressBelow ?? 5;
  if (!Number.isSafeInteger(k) || k < 0 || k > 1000) fail('ERR_INVALID_ARGUMENT', '"suppressBelow" expected an integer 0..1000');
  const from = parseInstant('period.from', period?.from).epochMs;
  const to = parseInstant('period.to', period?.to).epochMs;
  if (to <= from) fail('ERR_INVALID_ARGUMENT', '"period.to" must be after "period.from"');
  const nowMs = opts.now === undefined ? to : parseInstant('now', opts.now).epochMs;

  const byId = new Map<string, VerifiedStatusChain>();
  for (const c of chains) {
    if (!isVerifiedStatusChain(c)) fail('ERR_INVALID_ARGUMENT', 'every chain must come from verifyStatusChain');
    if (byId.has(c.requestId)) fail('ERR_INVALID_ARGUMENT', `two chains for request ${c.requestId}`);
    byId.set(c.requestId, c);
  }
  const seen = new Set<string>();
  let requestsWithoutChain = 0;
  const rows: Row[] = [];
  for (const r of requests) {
    if (seen.has(r.id)) fail('ERR_INVALID_ARGUMENT', `request ${r.id} given twice`);
    seen.add(r.id);
    const chain = byId.get(r.id);
    if (chain === undefined) {
      requestsWithoutChain++;
      continue;
    }
    // Counted from the verified document only: a request edited after issue (same id, another
    // emergency flag or instrument) would move between cells.
    if (!equalBytes(requestDigest(r), chain.document)) {
      fail('ERR_REQUEST_MISMATCH', `request ${r.id} differs from the document its status chain was issued for`);
    }
    const issuedAt = chain.events[0]!.atMs;
    if (issuedAt < from || issuedAt >= to || issuedAt > nowMs) continue;
    const row = rowFor(chain.request, chain, nowMs, opts);
    if (row !== undefined) rows.push(row);
  }
  const chainsWithoutRequest = [...byId.keys()].filter((id) => !seen.has(id)).length;

  const T = rows.length;
  const instrument = suppressTable(count(INSTRUMENTS, (r) => r.instrument, rows), T, k);
  const category = suppressTable(count(DATA_CATEGORIES, (r) => r.category, rows), T, k);
  const emergency = suppressTable(count(['emergency', 'non-emergency'] as const, (r) => (r.emergency ? 'emergency' : 'non-emergency'), rows), T, k);
  const outcome = suppressTable<Outcome>(count(OUTCOMES, (r) => r.outcome, rows), T, k, ['fulfilled', 'refused']);
  const overdueRaw = count(['overdue', 'not-overdue'] as const, (r) => (r.overdue ? 'overdue' : 'not-overdue'), rows);
  const overdue = suppressTable(overdueRaw, T, k);
  const binKeys = FULFILMENT_BINS.map((b) => b.key);
  const periodOut = { from: formatUtc(from), to: formatUtc(to), now: formatUtc(nowMs) };
  const excluded = { requestsWithoutChain, chainsWithoutRequest };

  if (instrument === null || category === null || emergency === null || outcome === null || overdue === null) {
    return {
      period: periodOut,
      suppressBelow: k,
      withheld: true,
      total: 'x',
      byInstrument: withholdTable(INSTRUMENTS),
      byDataCategory: withholdTable(DATA_CATEGORIES),
      byEmergency: withholdTable(['emergency', 'non-emergency'] as const),
      byOutcome: withholdTable(OUTCOMES),
      byRefusalGround: withholdTable([]),
      overdue: { ...withholdTable(['overdue', 'not-overdue'] as const), rate: null },
      timeToFulfilment: { medianHours: null, meanHours: null, p90Hours: null, histogram: withholdTable(binKeys) },
      excluded,
    };
  }

  // Child tables: published only under a published parent cell.
  const refusedCell = outcome.cells.refused;
  const grounds = new Map<string, number>();
  for (const r of rows) for (const g of r.grounds) grounds.set(g, (grounds.get(g) ?? 0) + 1);
  const groundCounts = Object.fromEntries([...grounds.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  const groundTotal = [...grounds.values()].reduce((a, b) => a + b, 0);
  const byRefusalGround =
    typeof refusedCell === 'number' ? (suppressTable(groundCounts, groundTotal, k) ?? withholdTable([])) : withholdTable([]);

  const hours = rows.flatMap((r) => (r.hours === null ? [] : [r.hours])).sort((a, b) => a - b);
  const fulfilledCell = outcome.cells.fulfilled;
  const bins = count(binKeys, () => undefined, []);
  for (const h of hours) {
    const bin = FULFILMENT_BINS.find((b) => h >= b.from && (b.to === null || h < b.to))!;
    bins[bin.key]!++;
  }
  const histogram = typeof fulfilledCell === 'number' ? (suppressTable(bins, hours.length, k) ?? withholdTable(binKeys)) : withholdTable(binKeys);
  // Medians and percentiles follow the threshold rule of the counts (see quantiles.ts).
  const showStats = typeof fulfilledCell === 'number' && hours.length > 0;
  const q = protectedQuantiles(hours, k);
  const fig = (x: number | null): number | null => (showStats && x !== null ? round2(x) : null);

  const rate = typeof overdue.cells.overdue === 'number' && typeof overdue.cells['not-overdue'] === 'number' && T > 0
    ? round2(overdueRaw.overdue / T)
    : null;
  return {
    period: periodOut,
    suppressBelow: k,
    withheld: false,
    total: T,
    byInstrument: instrument,
    byDataCategory: category,
    byEmergency: emergency,
    byOutcome: outcome,
    byRefusalGround,
    overdue: { ...overdue, rate },
    timeToFulfilment: {
      medianHours: fig(q.median),
      meanHours: fig(q.mean),
      p90Hours: fig(q.p90),
      histogram,
    },
    excluded,
  };
}
