/** Summaries of repeated runs: median and min–max, of throughputs (units per second). */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** MB/s (10^6 bytes) or operations/s, with the unit. */
export function formatRate(v: number, unit: 'B' | 'op'): string {
  if (!Number.isFinite(v)) return 'n/a';
  if (unit === 'B') return `${(v / 1e6).toFixed(0)} MB/s`;
  return `${Math.round(v).toLocaleString('en-US')}/s`;
}

export function formatRange(s: Summary, unit: 'B' | 'op'): string {
  if (s.n === 0) return 'n/a';
  const f = (v: number) => (unit === 'B' ? (v / 1e6).toFixed(0) : Math.round(v).toLocaleString('en-US'));
  return `${formatRate(s.median, unit)} (${f(s.min)}–${f(s.max)})`;
}
