/**
 * Verification-side runs: a 10,000-event custody chain (custos `verifyChain` on the serialized
 * chain, and the reference: node:crypto verifying as many Ed25519 signatures over messages of
 * the same sizes), the durable log (append, prove, verify, with raw fsync and raw SHA-256 as
 * references), inclusion verification on an in-memory 1,000,000-entry tree, one proof at a time and
 * in a batch (with raw SHA-256 as reference) and `verifyPresentation` (with one raw Ed25519 verify
 * of the same size as reference).
 */
import * as nc from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { appendEvent, createChain, serializeChain, splitChain, verifyChain } from '../../src/custody/index.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import * as crypto from '#crypto';
import { HashTree, createInclusionVerifier, generateNoteKey, leafHash, parseCheckpoint, parseNote, parseSignerKey, verifyInclusion } from '../../src/log/index.js';
import { openLog } from '../../src/node/index.js';
import { verifyPresentation } from '../../src/redact/index.js';
import { measure, measureRate, type Metric } from './measure.js';
import { benchPresentation } from '../presentation-fixture.js';

type Out = Promise<{ metrics: Record<string, Metric>; check?: string }>;

export interface ChainArgs {
  readonly chainFile: string;
  readonly seedHex: string;
  readonly events: number;
}

const seedOf = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

function chainTrust(key: SigningKey): TrustStore {
  return TrustStore.parse({
    version: 1,
    authorities: [{ id: 'at.lpd', name: 'LPD', jurisdiction: 'AT', roles: ['collector', 'custodian'], keys: [trustedKeyEntry('EdDSA', key.publicKey, '2020-01-01T00:00:00Z')] }],
  });
}

/** Builds the chain fixture once (not timed): collected, then accessed/preserved events. */
async function prepChain(a: ChainArgs): Out {
  const key = SigningKey.fromSecret(seedOf(a.seedHex));
  let chain = createChain('BENCH-1');
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const actor = { authority: 'at.lpd', role: 'custodian' };
  const digest = new Uint8Array(32).fill(1);
  chain = appendEvent(chain, { type: 'collected', time: t0, actor: { ...actor, role: 'collector' }, digests: { 'sha-256': digest } }, key).chain;
  for (let i = 1; i < a.events; i++) {
    chain = appendEvent(chain, { type: i % 3 ? 'accessed' : 'preserved', time: t0 + i * 1000, actor, note: `event ${i}`, ...(i % 3 ? {} : { digests: { 'sha-256': digest } }) }, key).chain;
  }
  await writeFile(a.chainFile, serializeChain(chain));
  return { metrics: {} };
}

async function chainVerify(a: ChainArgs): Out {
  const bytes = new Uint8Array(await readFile(a.chainFile));
  const trust = chainTrust(SigningKey.fromSecret(seedOf(a.seedHex)));
  let ok = false;
  const m = await measure(a.events, 'op', () => {
    ok = verifyChain(bytes, trust).ok;
  });
  if (!ok) throw new Error('the chain did not verify');
  return { metrics: { main: m } };
}

/** The reference: one node:crypto Ed25519 verify per event, over a message of the event's size less its signature. */
async function chainRaw(a: ChainArgs): Out {
  const { events } = splitChain(new Uint8Array(await readFile(a.chainFile)));
  const seed = seedOf(a.seedHex);
  const priv = nc.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const pub = nc.createPublicKey(priv);
  const msgs = events.map((e) => e.subarray(0, e.length - 64));
  const sigs = msgs.map((m) => nc.sign(null, m, priv));
  let ok = 0;
  const m = await measure(msgs.length, 'op', () => {
    for (let i = 0; i < msgs.length; i++) if (nc.verify(null, msgs[i]!, pub, sigs[i]!)) ok++;
  });
  if (ok !== msgs.length) throw new Error('reference verification failed');
  return { metrics: { main: m } };
}

export interface LogArgs {
  readonly dir: string;
  readonly appends: number;
  readonly window: number;
  readonly proofs: number;
}

/**
 * Durable appends through openLog (group commit: each batch is fsynced with its checkpoint),
 * then inclusion proofs from the store (`prove`, random indices) and their verification against
 * the signed checkpoint's root. References in the same child: one raw 8 KiB write+fsync, and
 * raw SHA-256 of a 65-byte RFC 9162 node.
 */
async function logRun(a: LogArgs): Out {
  const base = mkdtempSync(join(a.dir, 'log-'));
  try {
    const origin = 'bench.example/log';
    const { skey } = generateNoteKey(origin);
    const log = await openLog(join(base, 'log'), { signer: parseSignerKey(skey), origin });
    let next = 0;
    const append = await measure(a.appends, 'op', async () => {
      const worker = async () => {
        while (next < a.appends) {
          const e = nc.randomBytes(100);
          next++;
          await log.append(e);
        }
      };
      await Promise.all(Array.from({ length: a.window }, worker));
    });
    const size = log.size;
    const idx = Array.from({ length: a.proofs }, () => Math.floor(Math.random() * size));
    const pool: { index: number; leaf: Uint8Array; proof: Uint8Array[] }[] = [];
    let checkpoint = '';
    const prove = await measure(a.proofs, 'op', async () => {
      for (const i of idx) {
        const b = await log.prove(i);
        checkpoint = b.checkpoint;
        if (pool.length < 10_000) pool.push({ index: b.index, leaf: b.leafHash, proof: b.proof });
      }
    });
    await log.close();
    const cp = parseCheckpoint(parseNote(checkpoint).text);
    if (cp.size !== size) throw new Error('checkpoint size mismatch');
    let ok = 0;
    const n = Math.max(a.proofs, 20_000);
    const verify = await measure(n, 'op', () => {
      for (let k = 0; k < n; k++) {
        const p = pool[k % pool.length]!;
        if (verifyInclusion(p.leaf, p.index, size, p.proof, cp.root).ok) ok++;
      }
    });
    if (ok !== n) throw new Error('a proof failed to verify');
    const hashesPerProof = pool.reduce((s, p) => s + p.proof.length, 0) / pool.length;
    const fsyncRef = await measure(50, 'op', async () => {
      for (let i = 0; i < 50; i++) {
        const h = await fs.open(join(base, `raw-${i % 4}`), 'w');
        await h.writeFile(new Uint8Array(8192));
        await h.sync();
        await h.close();
      }
    });
    const node65 = new Uint8Array(65);
    const shaRef = measureRate(() => nc.createHash('sha256').update(node65).digest(), 300, 1000);
    const sha65 = measureRate(() => crypto.sha256(node65), 300, 1000);
    return { metrics: { append, prove, verify, fsyncRef, sha65Ref: shaRef, hashBound: hashBound(sha65, hashesPerProof) } };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * The hash-bound limit of one-at-a-time inclusion verification: the raw SHA-256 node rate
 * (65-byte nodes through #crypto, what verifyInclusion calls) divided by the node hashes a proof
 * costs (one per proof hash), as a rate metric over the same time.
 */
function hashBound(sha65: Metric, hashesPerProof: number): Metric {
  return { ...sha65, amount: sha65.amount / hashesPerProof };
}

export interface LogTreeArgs {
  /** Entries in the in-memory tree (the figure: 1,000,000). */
  readonly size: number;
  /** Random indices verified one at a time and, distinct ones, in a batch. */
  readonly proofs: number;
}

/**
 * Verification against one root of an in-memory tree of `size` entries: one proof at a time
 * (verifyInclusion, a pool of 10,000 proofs round-robin), a batch of `proofs` distinct random
 * indices and a batch of every entry in index order (createInclusionVerifier, created inside the
 * timed region so its memo starts empty; proofs are made in untimed chunks of 10,000). Each
 * batch also reports the SHA-256 node hashes it computed as a metric (`…Hashes`, amount = hashes,
 * same times). Reference: raw SHA-256 of a 65-byte node through #crypto (what the verifiers call)
 * and through node:crypto createHash, before and after.
 */
async function logTreeRun(a: LogTreeArgs): Out {
  const tree = new HashTree();
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < a.size; i++) {
    dv.setUint32(0, i);
    tree.appendLeafHash(leafHash(b));
  }
  const size = a.size;
  const root = tree.root();
  const node65 = new Uint8Array(65);
  const sha65Before = measureRate(() => crypto.sha256(node65), 300, 1000);
  const perm = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const random = perm.slice(0, Math.min(a.proofs, size));
  const pool = random.slice(0, 10_000).map((i) => ({ i, leaf: tree.leafHashAt(i), proof: tree.inclusionProof(i, size) }));
  let ok = 0;
  const single = await measure(a.proofs, 'op', () => {
    for (let k = 0; k < a.proofs; k++) {
      const p = pool[k % pool.length]!;
      if (verifyInclusion(p.leaf, p.i, size, p.proof, root).ok) ok++;
    }
  });
  if (ok !== a.proofs) throw new Error('a proof failed to verify');
  const batch = (indices: readonly number[]): [Metric, Metric] => {
    let wallMs = 0;
    let cpuMs = 0;
    let v: ReturnType<typeof createInclusionVerifier> | undefined;
    for (let c = 0; c < indices.length; c += 10_000) {
      const chunk = indices.slice(c, c + 10_000).map((i) => ({ i, leaf: tree.leafHashAt(i), proof: tree.inclusionProof(i, size) }));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      v ??= createInclusionVerifier(size, root);
      for (const p of chunk) if (!v.verify(p.leaf, p.i, p.proof).ok) throw new Error('a proof failed to verify');
      wallMs += performance.now() - t0;
      const d = process.cpuUsage(c0);
      cpuMs += (d.user + d.system) / 1000;
    }
    return [
      { wallMs, cpuMs, amount: indices.length, unit: 'op' },
      { wallMs, cpuMs, amount: v!.stats().hashes, unit: 'op' },
    ];
  };
  const [batchRandom, batchRandomHashes] = batch(random);
  const [batchOrder, batchOrderHashes] = batch(perm.map((_, i) => i));
  const sha65After = measureRate(() => crypto.sha256(node65), 300, 1000);
  const createHash65 = measureRate(() => nc.createHash('sha256').update(node65).digest(), 300, 1000);
  // One reference figure: both #crypto measurements pooled (their sum over their summed times).
  const sha65: Metric = { wallMs: sha65Before.wallMs + sha65After.wallMs, cpuMs: sha65Before.cpuMs + sha65After.cpuMs, amount: sha65Before.amount + sha65After.amount, unit: 'op' };
  const hashesPerProof = pool.reduce((s, p) => s + p.proof.length, 0) / pool.length;
  return { metrics: { single, hashBound: hashBound(sha65, hashesPerProof), batchRandom, batchRandomHashes, batchOrder, batchOrderHashes, sha65, sha65Before, sha65After, createHash65 } };
}


/**
 * Both presentation runs first spend half their time unmeasured: verifyPresentation goes through
 * some sixty functions that V8 compiles on background threads during the first few hundred calls,
 * and process CPU time counts those threads, so a cold one-second window measured the JIT more
 * than the steady state a verifier working through a batch reaches (2026-11-23, load ≈ 3: 0.27×
 * CPU cold, 0.34× warmed, minutes apart). The raw reference gets the same warm-up.
 */
function warmUp(f: () => void, ms: number): void {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) for (let i = 0; i < 50; i++) f();
}

async function presentationVerify(a: { ms: number }): Out {
  const p = benchPresentation(); // issue #6's presentation (bench/presentation-fixture.ts)
  let bad = 0;
  const once = () => {
    if (!verifyPresentation(p.bytes, { trust: p.trust, expect: p.binding }).ok) bad++;
  };
  warmUp(once, a.ms / 2);
  const m = measureRate(once, a.ms, 50);
  if (bad > 0) throw new Error('verifyPresentation failed');
  return { metrics: { main: m } };
}

/**
 * The reference: two raw Ed25519 verifies (a presentation carries two signatures, the issuer's
 * and the holder's) over presentation-sized messages, with two keys; one operation = both.
 */
async function presentationRaw(a: { ms: number }): Out {
  const p = benchPresentation(); // issue #6's presentation (bench/presentation-fixture.ts)
  const spki = (k: Uint8Array) => nc.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), k]), format: 'der', type: 'spki' });
  const msg = p.bytes.subarray(0, p.bytes.length - 64);
  const other = SigningKey.generate();
  const pairs = [
    { pub: spki(p.holder.publicKey), sig: p.holder.sign(msg) },
    { pub: spki(other.publicKey), sig: other.sign(msg) },
  ] as const;
  let bad = 0;
  const once = () => {
    if (!nc.verify(null, msg, pairs[0].pub, pairs[0].sig)) bad++;
    if (!nc.verify(null, msg, pairs[1].pub, pairs[1].sig)) bad++;
  };
  warmUp(once, a.ms / 2);
  const m = measureRate(once, a.ms, 50);
  if (bad > 0) throw new Error('reference verification failed');
  return { metrics: { main: m } };
}

export const verifyCases = {
  prepChain: (a: ChainArgs) => prepChain(a),
  verifyChain: (a: ChainArgs) => chainVerify(a),
  chainRaw: (a: ChainArgs) => chainRaw(a),
  log: (a: LogArgs) => logRun(a),
  logTree: (a: LogTreeArgs) => logTreeRun(a),
  presentation: (a: { ms: number }) => presentationVerify(a),
  presentationRaw: (a: { ms: number }) => presentationRaw(a),
};
