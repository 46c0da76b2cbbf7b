/**
 * Transparency log benchmarks, each with a reference measured in the same run.
 *
 *   npx tsx --conditions=custos-source bench/log.bench.ts [--appends 50000] [--window 8192] [--size 1000000] [--proofs 200000] [--inorder N] [--max-nodes N] [--skip-appends]
 *
 * 1. Durable appends through openLog (group commit + fsync): entries/s and the mean batch size,
 *    against the cost of one raw write+fsync of a file on the same disk (target ≥ 10,000/s).
 * 2. On a 1,000,000-entry tree (the store's in-memory index, which is what prove() uses):
 *    inclusion proof generation (target ≥ 50,000/s) and verification (target ≥ 100,000/s): one
 *    proof at a time (verifyInclusion), and in a batch against one root (createInclusionVerifier:
 *    `--proofs` random indices, then `--inorder` entries, default all, in index order; memo bound
 *    `--max-nodes`, default INCLUSION_MEMO_MAX_NODES), with the
 *    mean number of hashes each proof actually cost. Reference: raw SHA-256 operations/s on
 *    65-byte inputs (the size of an RFC 9162 node), measured before and after in the same run.
 */
import * as nc from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as crypto from '#crypto';
import { HashTree } from '../src/log/hashtree.js';
import { createInclusionVerifier, type InclusionVerifier } from '../src/log/batch.js';
import { leafHash, verifyInclusion } from '../src/log/merkle.js';
import { generateNoteKey, parseSignerKey } from '../src/log/notekeys.js';
import { openLog } from '../src/node/logstore.js';

const { values } = parseArgs({
  options: {
    appends: { type: 'string', default: '50000' },
    window: { type: 'string', default: '8192' },
    size: { type: 'string', default: '1000000' },
    proofs: { type: 'string', default: '200000' },
    inorder: { type: 'string' },
    'max-nodes': { type: 'string' },
    'skip-appends': { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function rawFsyncMs(dir: string): Promise<number> {
  const runs = 50;
  const t = performance.now();
  for (let i = 0; i < runs; i++) {
    const h = await fs.open(join(dir, `raw-${i % 4}`), 'w');
    await h.writeFile(new Uint8Array(8192));
    await h.sync();
    await h.close();
  }
  return (performance.now() - t) / runs;
}

async function benchAppends(n: number, window: number): Promise<void> {
  const base = values.dir ?? mkdtempSync(join(tmpdir(), 'custos-logbench-'));
  try {
    const fsyncMs = await rawFsyncMs(base);
    const origin = 'bench.example/log';
    const { skey } = generateNoteKey(origin);
    const log = await openLog(join(base, 'log'), { signer: parseSignerKey(skey), origin, maxBatch: 4096 });
    const entry = (i: number) => crypto.randomBytes(100).fill(i & 0xff, 0, 1);
    const t = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        await log.append(entry(i));
      }
    };
    await Promise.all(Array.from({ length: window }, worker));
    const ms = performance.now() - t;
    await log.close();
    const batches = readdirSync(join(base, 'log', 'checkpoints')).length - 1; // minus the size-0 checkpoint
    console.log(`durable appends: ${fmt(n / (ms / 1000))} entries/s (${fmt(n)} entries of 100 B, ${window} in flight, ${batches} batches, mean batch ${fmt(n / batches)} entries, ${(ms / batches).toFixed(2)} ms per batch)`);
    const t2 = performance.now();
    const reopened = await openLog(join(base, 'log'), { signer: parseSignerKey(skey), origin });
    const openMs = performance.now() - t2;
    await reopened.close();
    console.log(`  reopen (recovery: read level-0 tiles, rebuild and check the tree) of ${fmt(n)} entries: ${openMs.toFixed(0)} ms`);
    console.log(`  reference: one raw 8 KiB write+fsync = ${fsyncMs.toFixed(2)} ms → a batch costs ${(ms / batches / fsyncMs).toFixed(1)}× a single fsync; target ≥ 10,000/s: ${n / (ms / 1000) >= 10_000 ? 'met' : 'NOT met'}`);
  } finally {
    if (values.dir === undefined) rmSync(base, { recursive: true, force: true });
  }
}

/** Operations per second of `f`, by wall clock and by this process's CPU time (steadier when the machine is shared). */
interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

function rate(f: () => void, minMs = 1000): Rate {
  let n = 0;
  const c0 = process.cpuUsage();
  const t = performance.now();
  while (performance.now() - t < minMs) {
    for (let i = 0; i < 1000; i++) f();
    n += 1000;
  }
  return per(n, performance.now() - t, c0);
}

function per(n: number, wallMs: number, c0: NodeJS.CpuUsage): Rate {
  const c = process.cpuUsage(c0);
  return { wall: n / (wallMs / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

const load = () => `load ${loadavg()[0]!.toFixed(2)}`;
const both = (r: Rate) => `${fmt(r.wall)}/s wall, ${fmt(r.cpu)}/s CPU`;

/** Raw SHA-256 of one 65-byte RFC 9162 node: through #crypto (what the verifiers call) and createHash. */
function rawHashRates(): { custos: Rate; createHash: Rate } {
  const node65 = new Uint8Array(65);
  return { custos: rate(() => crypto.sha256(node65), 500), createHash: rate(() => nc.createHash('sha256').update(node65).digest(), 500) };
}

/**
 * Batch verification of `indices` against one root: proofs are generated in chunks of 10,000
 * outside the timed region (holding 200,000 proofs at once would measure the garbage collector),
 * and the verifier is created inside it, so its memo starts empty.
 */
function timeBatch(tree: HashTree, size: number, root: Uint8Array, indices: ArrayLike<number>): { rate: Rate; hashes: number; nodes: number; evictions: number } {
  let ms = 0;
  let cpuUs = 0;
  let v: InclusionVerifier | undefined;
  for (let c = 0; c < indices.length; c += 10_000) {
    const chunk: { i: number; leaf: Uint8Array; proof: Uint8Array[] }[] = [];
    for (let k = c; k < Math.min(indices.length, c + 10_000); k++) {
      const i = indices[k]!;
      chunk.push({ i, leaf: tree.leafHashAt(i), proof: tree.inclusionProof(i, size) });
    }
    const c0 = process.cpuUsage();
    const t = performance.now();
    v ??= createInclusionVerifier(size, root, values['max-nodes'] === undefined ? {} : { maxNodes: Number(values['max-nodes']) });
    for (const p of chunk) if (!v.verify(p.leaf, p.i, p.proof).ok) throw new Error('a proof failed to verify');
    ms += performance.now() - t;
    const d = process.cpuUsage(c0);
    cpuUs += d.user + d.system;
  }
  const s = v!.stats();
  return { rate: { wall: indices.length / (ms / 1000), cpu: indices.length / (cpuUs / 1e6) }, hashes: s.hashes / indices.length, nodes: s.nodes, evictions: s.evictions };
}

function benchProofs(size: number, count: number, inOrder: number): void {
  const t0 = performance.now();
  const tree = new HashTree();
  const buf = new Uint8Array(8);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < size; i++) {
    dv.setUint32(0, i);
    tree.appendLeafHash(leafHash(buf));
  }
  const root = tree.root();
  console.log(`built a ${fmt(size)}-entry tree index in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const idx = Array.from({ length: count }, () => Math.floor(Math.random() * size));
  // Generation: proofs are consumed and dropped (retaining millions of small arrays would
  // measure the garbage collector, not the proofs).
  let total = 0;
  let t = performance.now();
  for (const i of idx) total += tree.inclusionProof(i, size).length;
  const genRate = count / ((performance.now() - t) / 1000);
  const meanLen = total / count;
  console.log(`inclusion proofs on ${fmt(size)} entries (${fmt(count)} random indices, mean ${meanLen.toFixed(1)} hashes):`);
  console.log(`  generation:   ${fmt(genRate)} proofs/s (target ≥ 50,000: ${genRate >= 50_000 ? 'met' : 'NOT met'}; ${load()})`);
  const refs = [rawHashRates()];
  // One proof at a time: a pool of 10,000 distinct proofs, verified round-robin `count` times.
  const pool = idx.slice(0, 10_000).map((i) => ({ i, leaf: tree.leafHashAt(i), proof: tree.inclusionProof(i, size) }));
  const c0 = process.cpuUsage();
  t = performance.now();
  let ok = 0;
  for (let k = 0; k < count; k++) {
    const p = pool[k % pool.length]!;
    if (verifyInclusion(p.leaf, p.i, size, p.proof, root).ok) ok++;
  }
  const one = per(count, performance.now() - t, c0);
  if (ok !== count) throw new Error('a proof failed to verify');
  console.log(`  verifyInclusion, one proof at a time: ${both(one)} (${meanLen.toFixed(1)} hashes each; ${load()})`);
  refs.push(rawHashRates());
  const random = timeBatch(tree, size, root, idx);
  console.log(`  createInclusionVerifier, ${fmt(count)} random indices against one root: ${both(random.rate)}, ${random.hashes.toFixed(2)} hashes computed per proof (memo ${fmt(random.nodes)} nodes, ${fmt(random.evictions)} replaced; ${load()})`);
  const order = Float64Array.from({ length: inOrder }, (_, k) => Math.floor((k * size) / inOrder));
  const seq = timeBatch(tree, size, root, order);
  console.log(`  createInclusionVerifier, ${fmt(inOrder)} entries in index order against one root: ${both(seq.rate)}, ${seq.hashes.toFixed(2)} hashes computed per proof (memo ${fmt(seq.nodes)} nodes, ${fmt(seq.evictions)} replaced; ${load()})`);
  refs.push(rawHashRates());
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[1]!;
  const raw = { wall: median(refs.map((r) => r.custos.wall)), cpu: median(refs.map((r) => r.custos.cpu)) };
  console.log(`  reference: raw SHA-256 of 65 B through #crypto (what the verifiers call), before / between / after: ${refs.map((r) => fmt(r.custos.wall)).join(' / ')} ops/s wall, ${refs.map((r) => fmt(r.custos.cpu)).join(' / ')} ops/s CPU; node:crypto createHash: ${refs.map((r) => fmt(r.createHash.cpu)).join(' / ')} ops/s CPU`);
  const line = (name: string, r: Rate, hashes: number) =>
    console.log(`  ${name}: ${(r.wall / raw.wall).toFixed(3)}× the raw SHA-256 op rate by wall clock, ${(r.cpu / raw.cpu).toFixed(3)}× by CPU time; ${hashes.toFixed(2)} hashes per proof, so hashing is ${((100 * r.cpu * hashes) / raw.cpu).toFixed(0)}% of its CPU time; target ≥ 100,000/s (wall): ${r.wall >= 100_000 ? 'met' : 'NOT met'}`);
  line('one at a time', one, meanLen);
  line('batch, random', random.rate, random.hashes);
  line('batch, in order', seq.rate, seq.hashes);
}

if (!values['skip-appends']) await benchAppends(Number(values.appends), Number(values.window));
benchProofs(Number(values.size), Number(values.proofs), Number(values.inorder ?? values.size));
