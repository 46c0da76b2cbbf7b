// A writer process for bench/pg.bench.ts: opens the PostgreSQL log, prints `ready`, waits for a
// line on stdin, appends `count` entries of `size` bytes with up to `window` in flight, takes a
// receipt for each (with `receipts`), and prints one JSON line: entries, wall ms, latencies.
import { createInterface } from 'node:readline';
import { parseSignerKey } from '../src/log/notekeys.js';
import { openPgLog } from '../src/pg/index.js';

const [url, schema, skey, origin, id, count, window, size, receipts] = process.argv.slice(2) as string[] as [string, string, string, string, string, string, string, string, string];
const log = await openPgLog({ connectionString: url, schema, signer: parseSignerKey(skey), origin, maxBatch: 4096, poolSize: 3 });
process.stdout.write('ready\n');
await new Promise<void>((r) => createInterface({ input: process.stdin }).once('line', () => r()));
const n = Number(count);
const lat: number[] = [];
const pad = 'x'.repeat(Math.max(0, Number(size) - 24));
const t0 = performance.now();
const inflight = new Set<Promise<void>>();
for (let i = 0; i < n; i++) {
  const entry = new TextEncoder().encode(`w${id}-${i}-${pad}`);
  const s = performance.now();
  const p = log
    .append(entry)
    .then(({ index }) => (receipts === 'receipts' ? log.receipt(index) : undefined))
    .then(() => void lat.push(performance.now() - s))
    .finally(() => inflight.delete(p));
  inflight.add(p);
  if (inflight.size >= Number(window)) await Promise.race(inflight);
}
await Promise.all(inflight);
const ms = performance.now() - t0;
lat.sort((a, b) => a - b);
const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))]!;
process.stdout.write(`${JSON.stringify({ entries: n, ms, p50: q(0.5), p99: q(0.99) })}\n`);
await log.close();
