/**
 * `npm run bench`: throughput of custos' crypto wrappers against raw node:crypto measured in the
 * same run, and of the portable noble backend for comparison.
 *
 * - SHA-256 and ChaCha20-Poly1305 over a 64 MiB buffer, one shot and in 64 KiB chunks (the age
 *   STREAM chunk size; each chunk sealed/opened with its own nonce, as age does).
 * - Ed25519 sign and verify, operations per second.
 *
 * Every figure is the median of several runs, timed in process CPU time (see `time`); ours and
 * raw are interleaved run by run so that machine noise hits both alike. "ratio" = throughput of
 * our node backend / raw node:crypto from the median CPU times (1.00 = no cost; the target is
 * ≥ 0.95). On a shared machine the figures stay somewhat noisy (±5% between identical code paths
 * was seen at load average 3 on 2 cores). MB = 10^6 bytes. Set CUSTOS_BENCH_RUNS to change the
 * run count and CUSTOS_BENCH_MB to change the buffer size (default 64 MiB).
 */
import * as nc from 'node:crypto';
import * as ours from '../src/crypto/node.js';
import * as noble from '../src/crypto/web.js';

const RUNS = Number(process.env.CUSTOS_BENCH_RUNS ?? 9);
const SIZE = Number(process.env.CUSTOS_BENCH_MB ?? 64) * 1024 * 1024;
const CHUNK = 64 * 1024;

const data = nc.randomFillSync(new Uint8Array(SIZE));
const key = nc.randomFillSync(new Uint8Array(32));
const nonces = Array.from({ length: SIZE / CHUNK }, (_, i) => {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setUint32(7, i);
  return n;
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Milliseconds of this process's CPU time (user + system) spent in f. CPU time, not wall time:
 * on a shared machine other processes stretch wall time at random, but not our CPU time. Every
 * contender here is synchronous on the main thread, so the two agree on an idle machine.
 */
function time(f: () => unknown): number {
  const c0 = process.cpuUsage();
  f();
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

/**
 * Runs each contender RUNS times after one warm-up, interleaved run by run (the order rotating
 * so that none always goes first); returns per-contender run times in ms.
 */
function race(contenders: Record<string, () => unknown>, runs = RUNS): Record<string, number[]> {
  const entries = Object.entries(contenders);
  const times: Record<string, number[]> = {};
  for (const [name, f] of entries) {
    f();
    times[name] = [];
  }
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, f] = entries[(i + r) % entries.length]!;
      times[name]!.push(time(f));
    }
  }
  return times;
}

/** Ratio of the median CPU times raw/ours (> 1: ours is faster). */
function ratioOfMedians(raw: number[], node: number[]): number {
  return median(raw) / median(node);
}

const rows: string[][] = [['case', 'raw node:crypto', 'custos node', 'ratio', 'custos web (noble)']];
const mbps = (ms: number) => `${((SIZE / 1e6) / (ms / 1000)).toFixed(0)} MB/s`;

function throughput(name: string, raw: () => unknown, node: () => unknown, web: () => unknown): void {
  const t = race({ raw, node });
  const w = race({ web }, Math.max(1, Math.ceil(RUNS / 3)));
  rows.push([name, mbps(median(t['raw']!)), mbps(median(t['node']!)), ratioOfMedians(t['raw']!, t['node']!).toFixed(3), mbps(median(w['web']!))]);
}

// ---- SHA-256 -----------------------------------------------------------------------------------

throughput(
  'sha256, 64 MiB one shot',
  () => nc.createHash('sha256').update(data).digest(),
  () => ours.sha256(data),
  () => noble.sha256(data),
);

function chunked(h: { update(d: Uint8Array): unknown; digest(): unknown }): unknown {
  for (let o = 0; o < SIZE; o += CHUNK) h.update(data.subarray(o, o + CHUNK));
  return h.digest();
}
throughput(
  'sha256, 64 KiB chunks',
  () => chunked(nc.createHash('sha256')),
  () => chunked(ours.createSha256()),
  () => chunked(noble.createSha256()),
);

// ---- ChaCha20-Poly1305 -------------------------------------------------------------------------

/** Raw node:crypto: ciphertext and tag as OpenSSL hands them out (no concatenation). */
function rawSeal(pt: Uint8Array, nonce: Uint8Array): unknown {
  const c = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  const ct = c.update(pt);
  c.final();
  return [ct, c.getAuthTag()];
}
/** Raw node:crypto producing the same single ct‖tag array as chacha20poly1305Seal. */
function rawSealJoined(pt: Uint8Array, nonce: Uint8Array): unknown {
  const c = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  const ct = c.update(pt);
  c.final();
  return Buffer.concat([ct, c.getAuthTag()]);
}
function rawOpen(sealed: Uint8Array, nonce: Uint8Array): unknown {
  const d = nc.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const pt = d.update(sealed.subarray(0, sealed.length - 16));
  d.final();
  return pt;
}

throughput(
  'chacha20-poly1305 sealParts, 64 MiB one shot',
  () => rawSeal(data, nonces[0]!),
  () => ours.chacha20poly1305SealParts(key, nonces[0]!, data),
  () => noble.chacha20poly1305SealParts(key, nonces[0]!, data),
);
throughput(
  'chacha20-poly1305 seal (ct‖tag), 64 MiB one shot',
  () => rawSealJoined(data, nonces[0]!),
  () => ours.chacha20poly1305Seal(key, nonces[0]!, data),
  () => noble.chacha20poly1305Seal(key, nonces[0]!, data),
);

function eachChunk(f: (pt: Uint8Array, nonce: Uint8Array) => unknown): void {
  for (let i = 0, o = 0; o < SIZE; i++, o += CHUNK) f(data.subarray(o, o + CHUNK), nonces[i]!);
}
throughput(
  'chacha20-poly1305 sealParts, 64 KiB chunks',
  () => eachChunk(rawSeal),
  () => eachChunk((pt, n) => ours.chacha20poly1305SealParts(key, n, pt)),
  () => eachChunk((pt, n) => noble.chacha20poly1305SealParts(key, n, pt)),
);
throughput(
  'chacha20-poly1305 seal (ct‖tag), 64 KiB chunks',
  () => eachChunk(rawSealJoined),
  () => eachChunk((pt, n) => ours.chacha20poly1305Seal(key, n, pt)),
  () => eachChunk((pt, n) => noble.chacha20poly1305Seal(key, n, pt)),
);

const sealedChunks = nonces.map((n, i) => ours.chacha20poly1305Seal(key, n, data.subarray(i * CHUNK, (i + 1) * CHUNK)));
function eachSealed(f: (sealed: Uint8Array, nonce: Uint8Array) => unknown): void {
  for (let i = 0; i < sealedChunks.length; i++) f(sealedChunks[i]!, nonces[i]!);
}
throughput(
  'chacha20-poly1305 open, 64 KiB chunks',
  () => eachSealed(rawOpen),
  () => eachSealed((s, n) => ours.chacha20poly1305Open(key, n, s)),
  () => eachSealed((s, n) => noble.chacha20poly1305Open(key, n, s)),
);

// ---- Ed25519 -----------------------------------------------------------------------------------

const seed = nc.randomFillSync(new Uint8Array(32));
const msg = nc.randomFillSync(new Uint8Array(200));
const pub = ours.ed25519PublicKey(seed);
const sig = ours.ed25519Sign(seed, msg);
const rawPriv = nc.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const rawPub = nc.createPublicKey(rawPriv);

function opsRace(name: string, n: number, raw: () => unknown, node: () => unknown, web: () => unknown): void {
  const loop = (f: () => unknown, k: number) => () => {
    for (let i = 0; i < k; i++) f();
  };
  const t = race({ raw: loop(raw, n), node: loop(node, n) });
  const webN = Math.max(50, Math.floor(n / 10));
  const w = race({ web: loop(web, webN) }, Math.max(1, Math.ceil(RUNS / 3)));
  const ops = (ms: number, k: number) => `${Math.round(k / (ms / 1000))} ops/s`;
  rows.push([name, ops(median(t['raw']!), n), ops(median(t['node']!), n), ratioOfMedians(t['raw']!, t['node']!).toFixed(3), ops(median(w['web']!), webN)]);
}

opsRace(
  'ed25519 sign (200-byte message)',
  2000,
  () => nc.sign(null, msg, rawPriv),
  () => ours.ed25519Sign(seed, msg),
  () => noble.ed25519Sign(seed, msg),
);
opsRace(
  'ed25519 verify (200-byte message)',
  2000,
  () => nc.verify(null, msg, rawPub, sig),
  () => ours.ed25519Verify(pub, msg, sig),
  () => noble.ed25519Verify(pub, msg, sig),
);

// ---- report ------------------------------------------------------------------------------------

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
console.log(`custos crypto bench: node ${process.version}, ${RUNS} runs (median, process CPU time), buffer ${SIZE / 1024 / 1024} MiB, load average ${load}`);
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
const worst = Math.min(...rows.slice(1, 8).map((r) => Number(r[3])));
console.log(`worst throughput ratio (target ≥ 0.95): ${worst.toFixed(3)}`);
