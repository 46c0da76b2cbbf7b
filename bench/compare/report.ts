/**
 * Turning samples into rows: per contender, the median throughput over the runs with its
 * min–max; per comparison, the ratio of medians (custos / peer) against the target, and
 * the same ratio on CPU time (steadier on a loaded machine: what each side's work costs).
 */
import type { Metric } from './measure.js';
import { formatRange, formatRate, summarize, type Summary } from './stats.js';

export interface Sample {
  readonly metric: Metric;
  readonly maxRssKiB: number | null;
  /** 1-minute load average when the run started (the machine may be shared). */
  readonly load?: number;
}

export type Samples = Record<string, Sample[]>;

/** A custos-vs-peer comparison (ratio = custos throughput / peer throughput). */
export interface Comparison {
  readonly name: string;
  readonly ours: string;
  readonly peer: string;
  /** The target ratio; null for an informational row. */
  readonly target: number | null;
}

/** An absolute rate with its target (the log has no peer; its references are printed beside it). */
export interface Absolute {
  readonly name: string;
  readonly ours: string;
  readonly target: number;
  readonly reference?: string;
}

export interface ContenderSummary {
  readonly unit: Metric['unit'];
  readonly wall: Summary;
  readonly cpu: Summary;
  /** Largest peak RSS over the runs, MiB (null when unknown). */
  readonly maxRssMiB: number | null;
}

export interface Row {
  readonly name: string;
  readonly ours: string;
  readonly peer: string | null;
  readonly unit: Metric['unit'];
  readonly oursRate: Summary;
  readonly peerRate: Summary | null;
  readonly ratio: number | null;
  readonly cpuRatio: number | null;
  readonly target: number | null;
  readonly met: boolean | null;
  readonly oursRssMiB: number | null;
  readonly peerRssMiB: number | null;
}

export function summarizeContender(xs: readonly Sample[]): ContenderSummary {
  const unit = xs[0]?.metric.unit ?? 'B';
  const rss = xs.map((x) => x.maxRssKiB).filter((x): x is number => x !== null);
  return {
    unit,
    wall: summarize(xs.map((x) => x.metric.amount / (x.metric.wallMs / 1000))),
    cpu: summarize(xs.filter((x) => Number.isFinite(x.metric.cpuMs) && x.metric.cpuMs > 0).map((x) => x.metric.amount / (x.metric.cpuMs / 1000))),
    maxRssMiB: rss.length === 0 ? null : Math.max(...rss) / 1024,
  };
}

export function buildRows(samples: Samples, comparisons: readonly Comparison[], absolutes: readonly Absolute[]): Row[] {
  const rows: Row[] = [];
  for (const c of comparisons) {
    const o = samples[c.ours];
    const p = samples[c.peer];
    if (o === undefined || p === undefined || o.length === 0 || p.length === 0) continue;
    const os = summarizeContender(o);
    const ps = summarizeContender(p);
    const ratio = os.wall.median / ps.wall.median;
    const cpuRatio = os.cpu.n > 0 && ps.cpu.n > 0 ? os.cpu.median / ps.cpu.median : null;
    rows.push({
      name: c.name,
      ours: c.ours,
      peer: c.peer,
      unit: os.unit,
      oursRate: os.wall,
      peerRate: ps.wall,
      ratio,
      cpuRatio,
      target: c.target,
      met: c.target === null ? null : ratio >= c.target,
      oursRssMiB: os.maxRssMiB,
      peerRssMiB: ps.maxRssMiB,
    });
  }
  for (const a of absolutes) {
    const o = samples[a.ours];
    if (o === undefined || o.length === 0) continue;
    const os = summarizeContender(o);
    const ref = a.reference === undefined ? undefined : samples[a.reference];
    rows.push({
      name: a.name,
      ours: a.ours,
      peer: a.reference ?? null,
      unit: os.unit,
      oursRate: os.wall,
      peerRate: ref === undefined ? null : summarizeContender(ref).wall,
      ratio: null,
      cpuRatio: null,
      target: a.target,
      met: os.wall.median >= a.target,
      oursRssMiB: os.maxRssMiB,
      peerRssMiB: null,
    });
  }
  return rows;
}

/** The console table: one line per row. */
export function formatTable(rows: readonly Row[]): string {
  const head = ['comparison', 'custos median (min–max)', 'peer median (min–max)', 'ratio', 'cpu ratio', 'target', '', 'custos RSS', 'peer RSS'];
  const mib = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} MiB`);
  const body = rows.map((r) => [
    r.name,
    formatRange(r.oursRate, r.unit),
    r.peerRate === null ? '' : formatRange(r.peerRate, r.unit),
    r.ratio === null ? '' : `${r.ratio.toFixed(2)}×`,
    r.cpuRatio === null ? '' : `${r.cpuRatio.toFixed(2)}×`,
    r.target === null ? 'info' : r.ratio === null ? `≥ ${formatRate(r.target, r.unit)}` : `≥ ${r.target}×`,
    r.met === null ? '' : r.met ? 'met' : 'MISSED',
    mib(r.oursRssMiB),
    mib(r.peerRssMiB),
  ]);
  const all = [head, ...body];
  const w = head.map((_, i) => Math.max(...all.map((l) => l[i]!.length)));
  return all.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
}
