// Child process for the log tests: opens the log and appends in a loop, printing each
// acknowledged index on its own line ("ack <index> <entry>") as soon as append resolves.
import { utf8 } from '../../src/bytes.js';
import { parseSignerKey } from '../../src/log/notekeys.js';
import { openLog } from '../../src/node/logstore.js';

const [dir, skey, origin, mode] = process.argv.slice(2) as [string, string, string, string];
try {
  const log = await openLog(dir, { signer: parseSignerKey(skey), origin, maxBatch: 64 });
  if (mode === '1') {
    process.stdout.write('OPENED\n');
    await log.close();
  } else {
    const start = log.size;
    process.stdout.write(`start ${start}\n`);
    let n = start;
    // Several appends in flight at once so that batches form; each ack is printed on resolve.
    const inflight = new Set<Promise<void>>();
    for (;;) {
      const i = n++;
      const p = log.append(utf8(`entry ${i}`)).then(({ index }) => {
        process.stdout.write(`ack ${index} ${i}\n`);
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= 32) await Promise.race(inflight);
    }
  }
} catch (e) {
  process.stdout.write(`${(e as { code?: string }).code ?? String(e)}\n`);
}
