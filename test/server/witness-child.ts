// A witness process for the HTTP tests: serves tlog-witness on 127.0.0.1 (a free port) and
// prints `listening <url>`; its state file survives restarts.
import { parseSignerKey } from '../../src/log/notekeys.js';
import { serveWitness } from '../../src/server/index.js';

const [skey, origin, vkey, statePath] = process.argv.slice(2) as [string, string, string, string];
const w = await serveWitness({ listen: '127.0.0.1:0', witness: parseSignerKey(skey), logs: [{ origin, keys: [vkey] }], statePath });
process.stdout.write(`listening ${w.url}\n`);
process.on('SIGTERM', () => void w.close().then(() => process.exit(0)));
