// Concurrency and faults on a real PostgreSQL server: 4 writer processes append 25,000 entries
// each at once, writers are SIGKILLed at random points and restarted with what they had not
// seen acknowledged (plus some they had: the identity index must answer those with the same
// index), and the server is crash-restarted mid-run. Afterwards every acknowledged entry is in
// the log exactly once at the index it was given, the log holds nothing else, the tree
// verifies, and the exported tiles equal the POSIX store's for the same entries in the same order.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8 } from '../../src/bytes.js';
import { generateNoteKey, parseSignerKey } from '../../src/log/notekeys.js';
import { verifyTiledLog } from '../../src/log/tiledlog.js';
import { dirTileFetcher } from '../../src/node/logfs.js';
import { openLog } from '../../src/node/logstore.js';
import { openPgLog } from '../../src/pg/index.js';
import { bundleChild } from '../support/bundle-child.js';
import { startLocalPg, type PgServer } from '../support/pg.js';
import { diffTiles } from './compare.js';

const WRITERS = Number(process.env.CUSTOS_PG_WRITERS ?? 4);
const PER_WRITER = Number(process.env.CUSTOS_PG_PER_WRITER ?? 25_000);
const KILLS = Number(process.env.CUSTOS_PG_KILLS ?? 4);
const ORIGIN = 'faults.example.org/log';
const { skey, vkey } = generateNoteKey(ORIGIN);
const tmp = mkdtempSync(join(tmpdir(), 'custos-pgfaults-'));
let server: PgServer;
let childArgs: string[] = [];

beforeAll(async () => {
  server = await startLocalPg();
  const out = await bundleChild({ entry: join(__dirname, 'writer-child.ts'), outfile: join(tmp, 'writer.mjs'), external: ['pg-native'], withRequire: true });
  childArgs = [out];
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface Writer {
  id: number;
  child?: ChildProcess;
  acked: Map<number, number>; // n -> index
  conflicts: string[];
  exited: Promise<number | null>;
}

function start(w: Writer, gen: number): void {
  const pending = Array.from({ length: PER_WRITER }, (_, n) => n).filter((n) => !w.acked.has(n));
  // A few already acknowledged entries again: the identity index must give the same index.
  const again = [...w.acked.keys()].slice(0, 20);
  const file = join(tmp, `pending-${w.id}-${gen}.json`);
  writeFileSync(file, JSON.stringify([...again, ...pending]));
  const child = spawn(process.execPath, [...childArgs, server.url, 'faults', skey, ORIGIN, String(w.id), file, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  w.child = child;
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^ack (\d+) (\d+)$/.exec(line);
      if (m === null) continue;
      const n = Number(m[1]);
      const index = Number(m[2]);
      const prev = w.acked.get(n);
      if (prev !== undefined && prev !== index) w.conflicts.push(`w${w.id}-${n}: ${prev} then ${index}`);
      w.acked.set(n, index);
    }
  });
  w.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PostgreSQL store under concurrency and faults', () => {
  it(`${WRITERS} writers x ${PER_WRITER} appends, ${KILLS} SIGKILLs and a server restart: every ack exactly once`, async () => {
    const signer = parseSignerKey(skey);
    const init = await openPgLog({ connectionString: server.url, schema: 'faults', signer, origin: ORIGIN });
    await init.close();
    const writers: Writer[] = Array.from({ length: WRITERS }, (_, id) => ({ id, acked: new Map(), conflicts: [], exited: Promise.resolve(0) }));
    writers.forEach((w) => start(w, 0));
    const total = WRITERS * PER_WRITER;
    const acked = () => writers.reduce((s, w) => s + w.acked.size, 0);
    const waitFor = async (n: number) => {
      const t0 = Date.now();
      while (acked() < n && Date.now() - t0 < 60_000) await sleep(20);
    };
    // Faults spread over the run: kills at random points, one server restart in the middle.
    let gen = 1;
    const plan = [...Array.from({ length: KILLS }, () => 0.1 + Math.random() * 0.7), 0.5].sort((a, b) => a - b);
    let restarted = false;
    for (const at of plan) {
      await waitFor(Math.floor(total * at));
      if (!restarted && at === 0.5) {
        restarted = true;
        server.restart!();
        continue;
      }
      const w = writers[Math.floor(Math.random() * WRITERS)]!;
      const code = await Promise.race([w.exited, sleep(0).then(() => 'running' as const)]);
      if (code !== 'running') continue;
      w.child!.kill('SIGKILL');
      await w.exited;
      start(w, gen++);
    }
    expect(restarted).toBe(true);
    expect(gen - 1).toBeGreaterThan(0); // at least one writer was killed mid-run
    const codes = await Promise.all(writers.map((w) => w.exited));
    expect(codes).toEqual(writers.map(() => 0));
    expect(writers.flatMap((w) => w.conflicts)).toEqual([]);
    expect(acked()).toBe(total);

    // Every acknowledged entry at its index, and the log holds exactly those entries.
    const log = await openPgLog({ connectionString: server.url, schema: 'faults', signer, origin: ORIGIN });
    expect(log.size).toBe(total);
    const byIndex = new Array<string>(total);
    for (const w of writers) for (const [n, index] of w.acked) byIndex[index] = `w${w.id}-${n}`;
    const entries: Uint8Array[] = [];
    for (let i = 0; i < total; i++) {
      const e = await log.entry(i);
      entries.push(e);
      if (fromUtf8(e) !== byIndex[i]) throw new Error(`index ${i} holds ${fromUtf8(e)}, acknowledged as ${byIndex[i]}`);
    }
    const audit = await verifyTiledLog(log.tileFetcher(), [vkey]);
    expect(audit.ok && audit.entriesChecked).toBe(total);
    const out = join(tmp, 'export');
    await log.exportTiles(out);
    await log.close();
    const posix = await openLog(join(tmp, 'posix'), { signer, origin: ORIGIN });
    await Promise.all(entries.map((e) => posix.append(e)));
    await posix.close();
    expect(diffTiles(out, join(tmp, 'posix'), total)).toEqual([]);
    expect((await verifyTiledLog(dirTileFetcher(out), [vkey])).ok).toBe(true);
  }, 180_000);
});
