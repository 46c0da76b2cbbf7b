/**
 * One point of a growth series in its own process (`bench/growth.ts` bundles this file like
 * bench:compare's run-one and starts it once per point, with `--expose-gc`):
 *
 *   node points-node.mjs <case> '<json args>'   → one JSON line (a RunResult) on stdout
 *
 * Cases: chainAppend (build an n-event chain with appendEvent, write it), chainVerify
 * (verifyChain on that file), logAppend (n durable appends through openLog, `window` in flight;
 * window 1 = one append per batch), logReopen (openLog on that directory: time, and resident
 * memory above the process before it), bundlePrep (a bundle of n sealed items with custody
 * chains), bundleVerify (verifyBundle on it). Fixtures are made by the earlier case of the
 * series, so a point times and measures its one operation only.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendEvent, createChain, serializeChain, verifyChain } from '../../src/custody/index.js';
import { generateIdentity } from '../../src/envelope/index.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import { generateNoteKey, parseSignerKey } from '../../src/log/index.js';
import { createBundle, openLog, verifyBundle } from '../../src/node/index.js';
import { sealItem } from '../../src/seal/index.js';
import { measure, type Metric, type RunResult } from '../compare/measure.js';

type Out = Promise<{ metrics: Record<string, Metric>; info?: Record<string, number> }>;

const SEED = new Uint8Array(32).fill(7);
const key = () => SigningKey.fromSecret(SEED);
const AUTHORITY = 'bench.lpd';
const T0 = Date.parse('2026-01-01T00:00:00Z');

function trust(): TrustStore {
  return TrustStore.parse({
    version: 1,
    authorities: [{ id: AUTHORITY, name: 'Bench', jurisdiction: 'AT', roles: ['collector', 'custodian'], keys: [trustedKeyEntry('EdDSA', key().publicKey, '2020-01-01T00:00:00Z')] }],
  });
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Resident set now (bytes), after a full collection when the process runs with --expose-gc. */
function rssNow(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}

/** Files under `dir`, recursively, and how many are in `dir/checkpoints`. */
function countFiles(dir: string): { files: number; checkpoints: number } {
  let files = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else files++;
    }
  };
  walk(dir);
  return { files, checkpoints: readdirSync(join(dir, 'checkpoints')).length };
}

async function chainAppend(a: { n: number; out: string }): Out {
  const k = key();
  const actor = { authority: AUTHORITY, role: 'custodian' };
  const digest = new Uint8Array(32).fill(1);
  let chain = createChain('GROWTH-1');
  const m = await measure(a.n, 'op', () => {
    chain = appendEvent(chain, { type: 'collected', time: T0, actor: { ...actor, role: 'collector' }, digests: { 'sha-256': digest } }, k).chain;
    for (let i = 1; i < a.n; i++) {
      chain = appendEvent(chain, { type: i % 3 ? 'accessed' : 'preserved', time: T0 + i * 1000, actor, note: `event ${i}`, ...(i % 3 ? {} : { digests: { 'sha-256': digest } }) }, k).chain;
    }
  });
  if (chain.events.length !== a.n) throw new Error('wrong chain length');
  const rss = process.memoryUsage().rss;
  await writeFile(a.out, serializeChain(chain));
  return { metrics: { main: m }, info: { rssAfterBytes: rss } };
}

async function chainVerify(a: { n: number; file: string }): Out {
  const bytes = new Uint8Array(await readFile(a.file));
  const t = trust();
  let ok = false;
  const m = await measure(a.n, 'op', () => {
    const r = verifyChain(bytes, t);
    ok = r.ok && r.length === a.n;
  });
  if (!ok) throw new Error('the chain did not verify');
  return { metrics: { main: m } };
}

const ORIGIN = 'growth.example/log';

async function logAppend(a: { n: number; dir: string; window: number; keyFile: string }): Out {
  const { skey } = generateNoteKey(ORIGIN);
  await writeFile(a.keyFile, skey);
  const log = await openLog(a.dir, { signer: parseSignerKey(skey), origin: ORIGIN });
  let next = 0;
  const m = await measure(a.n, 'op', async () => {
    const worker = async () => {
      while (next < a.n) {
        next++;
        await log.append(randomBytes(100));
      }
    };
    await Promise.all(Array.from({ length: Math.min(a.window, a.n) }, worker));
  });
  await log.close();
  if (log.size !== a.n) throw new Error('wrong log size');
  const c = countFiles(a.dir);
  return { metrics: { main: m }, info: { files: c.files, checkpointFiles: c.checkpoints } };
}

async function logReopen(a: { n: number; dir: string; keyFile: string }): Out {
  const signer = parseSignerKey(await readFile(a.keyFile, 'utf8'));
  const before = rssNow();
  const mu0 = process.memoryUsage();
  let size = -1;
  let log: Awaited<ReturnType<typeof openLog>> | undefined;
  const m = await measure(a.n, 'op', async () => {
    log = await openLog(a.dir, { signer, origin: ORIGIN });
    size = log.size;
  });
  const peakAfter = process.memoryUsage().rss;
  const after = rssNow();
  const mu = process.memoryUsage();
  await log!.close();
  if (size !== a.n) throw new Error(`reopened at ${size}, not ${a.n}`);
  return {
    metrics: { main: m },
    info: { rssBeforeBytes: before, rssAfterBytes: after, rssAfterNoGcBytes: peakAfter, rssDeltaBytes: after - before, heapDeltaBytes: mu.heapUsed - mu0.heapUsed, heapTotalDeltaBytes: mu.heapTotal - mu0.heapTotal, externalDeltaBytes: mu.external - mu0.external },
  };
}

async function bundlePrep(a: { n: number; out: string }): Out {
  const k = key();
  const { recipient } = generateIdentity();
  const items = [];
  for (let i = 0; i < a.n; i++) {
    const id = `item-${i}`;
    const plain = randomBytes(1024);
    const s = await sealItem(plain, { recipients: [recipient], signer: k, authority: AUTHORITY, id, context: { caseId: 'G-1', requestId: 'R-1', purpose: 'growth', legalBasis: 'none' } });
    const chain = appendEvent(createChain(id), { type: 'collected', time: T0, actor: { authority: AUTHORITY, role: 'collector' }, digests: { 'sha-256': s.manifest.sha256 } }, k).chain;
    items.push({ id, encrypted: s.ciphertext, seal: s.seal, custody: serializeChain(chain) });
  }
  await createBundle(a.out, { signer: k, issuer: AUTHORITY, request: 'R-1', items });
  return { metrics: {}, info: { bytes: statSync(a.out).size } };
}

async function bundleVerify(a: { n: number; path: string }): Out {
  const t = trust();
  let ok = false;
  let checks = 0;
  const m = await measure(a.n, 'op', async () => {
    const r = await verifyBundle(a.path, { trust: t });
    ok = r.ok;
    checks = r.checks.length;
  });
  if (!ok) throw new Error('the bundle did not verify');
  return { metrics: { main: m }, info: { checks } };
}

const cases: Record<string, (a: never) => Out> = { chainAppend, chainVerify, logAppend, logReopen, bundlePrep, bundleVerify };

const [name, json] = process.argv.slice(2);
const run = name === undefined ? undefined : cases[name];
if (run === undefined || json === undefined) {
  console.error(`usage: points <case> <json args>; cases: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const r = await run(JSON.parse(json) as never);
const out: RunResult & { info?: Record<string, number> } = {
  case: name!,
  maxRssKiB: process.resourceUsage().maxRSS,
  metrics: r.metrics,
  ...(r.info !== undefined ? { info: r.info } : {}),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
