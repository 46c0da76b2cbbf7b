/**
 * Growth series arithmetic: per-unit cost at each size and the exponent between two sizes, so
 * that a cost growing faster than the work shows at once (exponent 1: linear; 2: quadratic).
 */
import { summarize } from '../compare/stats.js';

/** One measured run of one point. */
export interface PointRun {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssKiB: number | null;
  /** 1-minute load average when the run started. */
  readonly load: number;
  readonly info?: Readonly<Record<string, number>>;
}

/** A point: the size of the work and its runs (the median is reported). */
export interface Point {
  readonly size: number;
  readonly runs: readonly PointRun[];
}

export interface Series {
  readonly name: string;
  /** What one unit of work is ("event", "entry", "item"). */
  readonly unit: string;
  readonly points: readonly Point[];
}

export const medianWallMs = (p: Point): number => summarize(p.runs.map((r) => r.wallMs)).median;
export const medianCpuMs = (p: Point): number => summarize(p.runs.map((r) => r.cpuMs)).median;

/** Microseconds of wall time per unit of work (median run). */
export function perUnitUs(p: Point): number {
  return (medianWallMs(p) * 1000) / p.size;
}

/**
 * The exponent k of time ∝ size^k between two points: log(t_b / t_a) / log(n_b / n_a).
 * NaN when the sizes are equal or a time is not positive.
 *
 * @example
 * ```ts
 * exponent({ size: 10, wallMs: 1 }, { size: 100, wallMs: 100 }); // 2: quadratic
 * ```
 */
export function exponent(a: { size: number; wallMs: number }, b: { size: number; wallMs: number }): number {
  if (a.size === b.size || !(a.wallMs > 0) || !(b.wallMs > 0) || !(a.size > 0) || !(b.size > 0)) return NaN;
  return Math.log(b.wallMs / a.wallMs) / Math.log(b.size / a.size);
}

/**
 * The exponent between the two largest sizes of a series (NaN with fewer than two points), on
 * wall time, or on CPU time (`cpu`: steadier on a shared machine, where the wall time of a long
 * point also measures the other jobs).
 */
export function tailExponent(s: Series, cpu = false): number {
  const pts = [...s.points].sort((x, y) => x.size - y.size);
  if (pts.length < 2) return NaN;
  const a = pts[pts.length - 2]!;
  const b = pts[pts.length - 1]!;
  const t = cpu ? medianCpuMs : medianWallMs;
  return exponent({ size: a.size, wallMs: t(a) }, { size: b.size, wallMs: t(b) });
}

const plural = (unit: string, n: number) => (n === 1 ? unit : unit.endsWith('y') ? `${unit.slice(0, -1)}ies` : `${unit}s`);

function formatUs(us: number): string {
  if (!Number.isFinite(us)) return 'n/a';
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us.toFixed(us < 10 ? 2 : 1)} µs`;
}

/** The console lines of one series: a row per size, then the exponent of its two largest sizes. */
export function formatSeries(s: Series): string[] {
  const rows = [...s.points]
    .sort((x, y) => x.size - y.size)
    .map((p) => {
      const rss = p.runs.map((r) => r.maxRssKiB).filter((x): x is number => x !== null);
      const loads = p.runs.map((r) => r.load);
      return [
        `  ${p.size.toLocaleString('en-US')} ${plural(s.unit, p.size)}`.padEnd(24),
        `${(medianWallMs(p) / 1000).toFixed(3)} s`.padStart(11),
        `${formatUs(perUnitUs(p))}/${s.unit}`.padStart(18),
        `cpu ${formatUs((medianCpuMs(p) * 1000) / p.size)}/${s.unit}`.padStart(22),
        `max RSS ${rss.length === 0 ? 'n/a' : `${(Math.max(...rss) / 1024).toFixed(0)} MiB`}`.padStart(16),
        `  load ${loads.map((l) => l.toFixed(1)).join(', ')}`,
      ].join('');
    });
  const k = tailExponent(s);
  const kc = tailExponent(s, true);
  const pts = [...s.points].sort((x, y) => x.size - y.size);
  const last2 = pts.slice(-2).map((p) => p.size.toLocaleString('en-US'));
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  return [`${s.name}`, ...rows, `  exponent ${last2.join(' → ')}: ${f(k)} wall, ${f(kc)} cpu${Math.min(k, kc) > 1.25 ? '  SUPERLINEAR' : ''}`];
}
