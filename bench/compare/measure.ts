/**
 * What a child process reports for one run, and how it is measured: wall time of the operation
 * only (not process start-up or module loading) and CPU time of the whole process (all threads,
 * so the hashing workers of sealFile are counted).
 */

/** One measured quantity: `amount` bytes or operations done in `wallMs`. */
export interface Metric {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly amount: number;
  readonly unit: 'B' | 'op';
}

/** The JSON line a run prints on stdout. */
export interface RunResult {
  readonly case: string;
  /** Peak resident set of the whole run (KiB), from getrusage; null when unknown. */
  readonly maxRssKiB: number | null;
  readonly metrics: Record<string, Metric>;
  /** A digest or other value the parent cross-checks against the peer's output. */
  readonly check?: string;
}

/** Runs `f` and returns its wall and CPU time with the amount of work it reports. */
export async function measure(amount: number, unit: Metric['unit'], f: () => unknown): Promise<Metric> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, amount, unit };
}

/** Repeats `f` (synchronous) in batches of `batch` until `minMs` have passed; a rate metric. */
export function measureRate(f: () => void, minMs: number, batch = 100): Metric {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < batch; i++) f();
    n += batch;
  }
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, amount: n, unit: 'op' };
}
