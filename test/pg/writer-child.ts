// A writer process for the PostgreSQL fault tests: appends the entries `w<id>-<n>` for every n
// listed in the pending file, up to `window` appends in flight, and prints `ack <n> <index>`
// once each resolves. A failed append (the database restarting) is retried with the same bytes:
// the identity index makes that safe. Exits 0 once every entry is acknowledged.
import { readFileSync } from 'node:fs';
import { utf8 } from '../../src/bytes.js';
import { parseSignerKey } from '../../src/log/notekeys.js';
import { openPgLog } from '../../src/pg/index.js';

const [url, schema, skey, origin, id, pendingFile, window] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const pending = JSON.parse(readFileSync(pendingFile, 'utf8')) as number[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openRetrying() {
  for (;;) {
    try {
      return await openPgLog({ connectionString: url, schema, signer: parseSignerKey(skey), origin, dedupe: true, maxBatch: 2048, poolSize: 3, retryMs: 60_000 });
    } catch {
      await sleep(200);
    }
  }
}

const log = await openRetrying();
process.stdout.write('open\n');
let out = '';
const flush = () => {
  if (out !== '') process.stdout.write(out);
  out = '';
};
const timer = setInterval(flush, 20);
async function one(n: number): Promise<void> {
  const entry = utf8(`w${id}-${n}`);
  for (;;) {
    try {
      const { index } = await log.append(entry);
      out += `ack ${n} ${index}\n`;
      return;
    } catch {
      await sleep(100);
    }
  }
}
const inflight = new Set<Promise<void>>();
for (const n of pending) {
  const p = one(n).finally(() => inflight.delete(p));
  inflight.add(p);
  if (inflight.size >= Number(window)) await Promise.race(inflight);
}
await Promise.all(inflight);
clearInterval(timer);
flush();
process.stdout.write('done\n', () => process.exit(0));
