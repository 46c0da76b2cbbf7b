// The PostgreSQL log store against the POSIX store and the engine's own floor, on one machine
// in one run (see bench/README.md, "PostgreSQL log and HTTP faces"):
//   - durable appends/s through openPgLog with 1, 2 and 4 writer processes, and p50/p99 of
//     append -> receipt;
//   - openLog (POSIX, one process: it is single-writer) on the same entries;
//   - a bare INSERT ... COMMIT loop of the same entries (one row, one commit each) on 1 and 4
//     connections: what the server does for a client that commits every entry;
//   - tile reads/s over HTTP from a second process (POSIX and PostgreSQL read faces);
//   - witness cosign latency (add-checkpoint round trips to a witness on loopback).
// Run: npx tsx --conditions=custos-source bench/pg.bench.ts   (CUSTOS_BENCH_N entries per run)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateNoteKey, NOTE_TYPE_COSIGNATURE, parseSignerKey } from '../src/log/notekeys.js';
import { dirTileFetcher } from '../src/node/logfs.js';
import { openLog } from '../src/node/logstore.js';
import { openPgLog } from '../src/pg/index.js';
import { collectCosignatures, serveLog, serveWitness } from '../src/server/index.js';
import { startLocalPg } from '../test/support/pg.js';

const N = Number(process.env.CUSTOS_BENCH_N ?? 40_000);
const SIZE = 200; // bytes per entry, about a custody event digest record
const ORIGIN = 'bench.example.org/log';
const { skey, vkey } = generateNoteKey(ORIGIN);
const signer = parseSignerKey(skey);
const tmp = mkdtempSync(join(tmpdir(), 'custos-pgbench-'));
const server = await startLocalPg();
const tsx = ['--import', 'tsx', '--conditions=custos-source'];
const entry = (w: number, i: number) => new TextEncoder().encode(`w${w}-${i}-${'x'.repeat(SIZE - 24)}`);
const out: Record<string, unknown> = { load: loadavg().map((x) => x.toFixed(2)).join(' '), entries: N, entryBytes: SIZE };

function child(script: string, args: string[]): { ready: Promise<void>; go(): void; done: Promise<string> } {
  const c = spawn(process.execPath, [...tsx, join(import.meta.dirname, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const done = new Promise<string>((resolve, reject) => {
    c.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('ready\n')) onReady();
    });
    c.on('exit', (code) => (code === 0 ? resolve(buf.trim().split('\n').at(-1)!) : reject(new Error(`${script} exited ${code}`))));
  });
  if (script === 'http-reader.ts') onReady();
  return { ready, go: () => c.stdin.end('go\n'), done };
}

try {
  // PostgreSQL store, 1, 2, 4 writers, N entries in total each run.
  for (const [writers, mode] of [[1, 'appends'], [2, 'appends'], [4, 'appends'], [1, 'receipts'], [4, 'receipts']] as const) {
    const schema = `w${writers}${mode[0]}`;
    const init = await openPgLog({ connectionString: server.url, schema, signer, origin: ORIGIN });
    await init.close();
    const kids = Array.from({ length: writers }, (_, id) => child('pg-writer.ts', [server.url, schema, skey, ORIGIN, String(id), String(N / writers), '1000', String(SIZE), mode]));
    await Promise.all(kids.map((k) => k.ready));
    const t0 = performance.now();
    kids.forEach((k) => k.go());
    const res = (await Promise.all(kids.map((k) => k.done))).map((l) => JSON.parse(l) as { p50: number; p99: number });
    const ms = performance.now() - t0;
    out[`pg ${writers} writer(s), ${mode}: entries/s`] = Math.round(N / (ms / 1000));
    out[`pg ${writers} writer(s), ${mode}: latency p50/p99 ms`] = `${Math.max(...res.map((r) => r.p50)).toFixed(0)}/${Math.max(...res.map((r) => r.p99)).toFixed(0)}`;
  }
  // POSIX store, same entries, one process (single-writer by design), same window.
  for (const mode of ['appends', 'receipts'] as const) {
    const log = await openLog(join(tmp, mode === 'appends' ? 'posix' : 'posix-r'), { signer, origin: ORIGIN });
    const t0 = performance.now();
    const inflight = new Set<Promise<unknown>>();
    const lat: number[] = [];
    for (let i = 0; i < N; i++) {
      const s = performance.now();
      const p = log
        .append(entry(0, i))
        .then(({ index }) => (mode === 'receipts' ? log.receipt(index) : undefined))
        .then(() => void lat.push(performance.now() - s))
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= 1000) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    lat.sort((a, b) => a - b);
    out[`posix 1 process, ${mode}: entries/s`] = Math.round(N / ((performance.now() - t0) / 1000));
    out[`posix 1 process, ${mode}: latency p50/p99 ms`] = `${lat[Math.floor(N / 2)]!.toFixed(0)}/${lat[Math.floor(N * 0.99)]!.toFixed(0)}`;
    await log.close();
  }
  // Bare INSERT ... COMMIT, one row and one commit per entry.
  for (const conns of [1, 4]) {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`DROP TABLE IF EXISTS bare; CREATE TABLE bare (id bigserial PRIMARY KEY, entry bytea NOT NULL)`);
    await admin.end();
    const count = Math.min(N, 10_000);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: conns }, async (_, c) => {
        const cl = new pg.Client({ connectionString: server.url });
        await cl.connect();
        for (let i = c; i < count; i += conns) await cl.query('INSERT INTO bare (entry) VALUES ($1)', [Buffer.from(entry(c, i))]);
        await cl.end();
      }),
    );
    out[`bare INSERT..COMMIT ${conns} connection(s) rows/s`] = Math.round(count / ((performance.now() - t0) / 1000));
  }
  // Tile reads over HTTP from a second process.
  {
    const pgLog = await openPgLog({ connectionString: server.url, schema: 'w4a', signer, origin: ORIGIN });
    for (const [name, tiles] of [['posix', dirTileFetcher(join(tmp, 'posix'))], ['pg', pgLog.tileFetcher()]] as const) {
      const srv = await serveLog({ listen: '127.0.0.1:0', tiles });
      const r = JSON.parse(await child('http-reader.ts', [`${srv.url}/`, String(N), '5', '32']).done) as { requests: number; seconds: number; errors: number };
      out[`http tile reads/s (${name}, 32 concurrent)`] = Math.round(r.requests / r.seconds);
      if (r.errors > 0) out[`http errors (${name})`] = r.errors;
      await srv.close();
    }
    // Witness cosign latency: one witness on loopback, a growing log.
    const wk = generateNoteKey('w.bench.example', NOTE_TYPE_COSIGNATURE);
    const w = await serveWitness({ listen: '127.0.0.1:0', witness: parseSignerKey(wk.skey), logs: [{ origin: ORIGIN, keys: [vkey] }], statePath: join(tmp, 'w.json') });
    const log = await openLog(join(tmp, 'witnessed'), { signer, origin: ORIGIN });
    const known = new Map<string, number>();
    const lat: number[] = [];
    for (let i = 0; i < 200; i++) {
      await log.append(entry(9, i));
      const s = performance.now();
      await collectCosignatures(await log.checkpoint(), { witnesses: [{ url: `${w.url}/`, key: wk.vkey }], quorum: 1, logKey: vkey, known, proof: async (a, b) => (await log.proveConsistency(a, b)).proof });
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    out['witness cosign p50/p99 ms'] = `${lat[100]!.toFixed(2)}/${lat[197]!.toFixed(2)}`;
    await log.close();
    await w.close();
    await pgLog.close();
  }
  out['load after'] = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(JSON.stringify(out, null, 2));
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
