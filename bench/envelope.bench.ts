/**
 * Envelope benchmarks, each against a reference measured in the same run:
 *
 * - file → file (default 1 GiB): `encryptFile` / `decryptFile` vs the `age` CLI on the same
 *   file (targets ≥ 0.8× / ≥ 0.9× age's throughput), on the calling thread and with the opt-in
 *   custos' peak RSS while doing it (target < 128 MiB);
 * - in memory (default 64 MiB): `encrypt` / `decrypt` on Uint8Array vs the `age-encryption`
 *   npm package (target ≥ 8× with the node backend).
 *
 *   npx tsx --conditions=custos-source bench/envelope.bench.ts
 *
 * Env: CUSTOS_BENCH_FILE_MB (1024), CUSTOS_BENCH_MEM_MB (64), CUSTOS_BENCH_RUNS (3). Runs of ours
 * and the reference are interleaved and the median is reported. MB/s uses MB = 10^6 bytes.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decrypter, Encrypter } from 'age-encryption';
import { decrypt, encrypt } from '../src/envelope/index.js';
import { decryptFile, encryptFile } from '../src/node/envelope.js';

const FILE_MB = Number(process.env.CUSTOS_BENCH_FILE_MB ?? 1024);
const MEM_MB = Number(process.env.CUSTOS_BENCH_MEM_MB ?? 64);
const RUNS = Number(process.env.CUSTOS_BENCH_RUNS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);
const loadavg = async () => (await import('node:os')).loadavg()[0]!.toFixed(1);

/** Wall and CPU milliseconds of one run. */
interface Sample {
  wall: number;
  cpu: number;
}

/** Runs a command under /usr/bin/time to get its CPU time (user + system) next to wall time. */
function sh(cmd: string, args: string[]): Sample {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr.toString());
  return { wall, cpu: m === null ? NaN : (Number(m[1]) + Number(m[2])) * 1000 };
}

/** Wall and CPU time (this process, all threads) of `f`. */
async function time(f: () => unknown): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** Samples RSS every 10 ms while `f` runs; returns the peak in MiB. */
async function peakRss(f: () => Promise<unknown>): Promise<number> {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    await f();
  } finally {
    clearInterval(t);
  }
  return Math.max(peak, process.memoryUsage().rss) / 2 ** 20;
}

/**
 * Prints wall-clock throughput and the ratio, plus the same ratio on CPU time: on a shared,
 * loaded machine the CPU-time ratio is the steadier measure of the work each side does.
 */
function line(name: string, bytes: number, ours: Sample[], ref: Sample[], refName: string, target: number): void {
  const w = (xs: Sample[]) => mbps(bytes, median(xs.map((x) => x.wall)));
  const c = (xs: Sample[]) => mbps(bytes, median(xs.map((x) => x.cpu)));
  const ratio = w(ours) / w(ref);
  const cpuRatio = c(ours) / c(ref);
  console.log(
    `${name.padEnd(28)} custos ${w(ours).toFixed(0).padStart(5)} MB/s  ${refName} ${w(ref).toFixed(0).padStart(5)} MB/s  ratio ${ratio.toFixed(2)} | per CPU-second: custos ${c(ours).toFixed(0).padStart(5)}  ${refName} ${c(ref).toFixed(0).padStart(5)}  ratio ${cpuRatio.toFixed(2)}  (target ≥ ${target}: wall ${ratio >= target ? 'OK' : 'BELOW'}, cpu ${cpuRatio >= target ? 'OK' : 'BELOW'})`,
  );
}

async function fileBench(dir: string): Promise<void> {
  const size = FILE_MB * 1024 * 1024;
  const plain = join(dir, 'plain.bin');
  const fd = openSync(plain, 'w');
  const block = new Uint8Array(4 * 1024 * 1024);
  for (let left = size; left > 0; left -= block.length) writeSync(fd, randomFillSync(block), 0, Math.min(block.length, left));
  closeSync(fd);
  const key = join(dir, 'key.txt');
  spawnSync('age-keygen', ['-o', key]);
  const identity = readFileSync(key, 'utf8');
  const recipient = /public key: (age1[0-9a-z]+)/.exec(identity)![1]!;
  const ageOut = join(dir, 'age.age');
  const ourOut = join(dir, 'ours.age');
  const enc = { ours: [] as Sample[], age: [] as Sample[] };
  const dec = { ours: [] as Sample[], age: [] as Sample[] };
  let rssEnc = 0;
  let rssDec = 0;
  for (let i = 0; i < RUNS; i++) {
    enc.age.push(sh('age', ['-r', recipient, '-o', ageOut, plain]));
    rssEnc = Math.max(rssEnc, await peakRss(async () => enc.ours.push(await time(() => encryptFile(plain, ourOut, [recipient])))));
    dec.age.push(sh('age', ['-d', '-i', key, '-o', join(dir, 'age.out'), ourOut]));
    rssDec = Math.max(rssDec, await peakRss(async () => dec.ours.push(await time(() => decryptFile(ageOut, join(dir, 'ours.out'), identity)))));
  }
  if (statSync(join(dir, 'ours.out')).size !== size || statSync(join(dir, 'age.out')).size !== size) throw new Error('size mismatch');
  console.log(`file → file, ${FILE_MB} MiB, median of ${RUNS} (cross-decrypted: custos opens age's file, age opens custos')`);
  line('encryptFile vs age -r', size, enc.ours, enc.age, 'age', 0.8);
  line('decryptFile vs age -d', size, dec.ours, dec.age, 'age', 0.9);
  console.log(`peak RSS in this (tsx) process: encryptFile ${rssEnc.toFixed(0)} MiB, decryptFile ${rssDec.toFixed(0)} MiB (includes the tsx loader; see the clean-child figure)`);
  await childRss(dir);
  for (const f of [plain, ageOut, ourOut, join(dir, 'age.out'), join(dir, 'ours.out')]) rmSync(f, { force: true });
}

/**
 * Peak RSS in a clean child process: the Node file helpers are bundled with esbuild (already
 * installed with tsx/tsup) and run under plain `node`, so the figure is custos' footprint and not
 * the tsx loader's. Reports the child's maxRSS for encryptFile and for decryptFile separately.
 */
async function childRss(dir: string): Promise<void> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    console.log('peak RSS (clean child): skipped, esbuild not available');
    return;
  }
  const entry = join(dir, 'rss-entry.ts');
  const out = join(dir, 'rss.mjs');
  const src = new URL('../src/node/envelope.ts', import.meta.url).pathname;
  writeFileSync(
    entry,
    `import { encryptFile, decryptFile } from ${JSON.stringify(src)};
import { readFileSync } from 'node:fs';
const [mode, a, b, key] = process.argv.slice(2);
if (mode.startsWith('enc')) await encryptFile(a, b, [/public key: (age1[0-9a-z]+)/.exec(readFileSync(key, 'utf8'))[1]], {});
else await decryptFile(a, b, readFileSync(key, 'utf8'));
console.log(process.resourceUsage().maxRSS);
`,
  );
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: out, conditions: ['custos-source'], logLevel: 'error' });
  const size = FILE_MB * 1024 * 1024;
  const plain = join(dir, 'plain.bin');
  const key = join(dir, 'key.txt');
  // Peak RSS via /usr/bin/time: on Linux a child's own ru_maxrss starts from the RSS of the
  // process it was forked from (this tsx process, ~100+ MiB), so self-reported figures are floored.
  const maxRss = (args: string[]) => {
    const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', process.execPath, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return Number(/MAXRSS (\d+)/.exec(r.stderr)![1]) / 1024;
  };
  const run = (args: string[]) => maxRss([out, ...args]);
  const enc = run(['enc', plain, join(dir, 'rss.age'), key]);
  const dec = run(['dec', join(dir, 'rss.age'), join(dir, 'rss.out'), key]);
  if (statSync(join(dir, 'rss.out')).size !== size) throw new Error('size mismatch');
  const idle = maxRss(['-e', '0']);
  console.log(
    `peak RSS, clean child process, ${FILE_MB} MiB file: encryptFile ${enc.toFixed(0)} MiB, decryptFile ${dec.toFixed(0)} MiB (an idle node is ${idle.toFixed(0)} MiB; target < 128 MiB: ${Math.max(enc, dec) < 128 ? 'OK' : 'ABOVE TARGET'})`,
  );
  for (const f of ['rss.age', 'rss.out']) rmSync(join(dir, f), { force: true });
}

async function memBench(): Promise<void> {
  const size = MEM_MB * 1024 * 1024;
  const data = randomFillSync(new Uint8Array(size));
  const { generateX25519Identity, identityToRecipient } = await import('age-encryption');
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const enc = { ours: [] as Sample[], ref: [] as Sample[] };
  const dec = { ours: [] as Sample[], ref: [] as Sample[] };
  let ourFile: Uint8Array = new Uint8Array(0);
  let refFile: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < RUNS; i++) {
    enc.ref.push(await time(async () => {
      const e = new Encrypter();
      e.addRecipient(recipient);
      refFile = await e.encrypt(data);
    }));
    enc.ours.push(await time(async () => {
      ourFile = await encrypt(data, [recipient]);
    }));
    dec.ref.push(await time(async () => {
      const d = new Decrypter();
      d.addIdentity(identity);
      await d.decrypt(ourFile);
    }));
    dec.ours.push(await time(() => decrypt(refFile, [identity])));
  }
  console.log(`in memory, ${MEM_MB} MiB Uint8Array, median of ${RUNS}`);
  line('encrypt vs age-encryption', size, enc.ours, enc.ref, 'typage', 8);
  line('decrypt vs age-encryption', size, dec.ours, dec.ref, 'typage', 8);
}

const dir = mkdtempSync(join(tmpdir(), 'custos-bench-'));
console.log(`load average at start: ${await loadavg()} (2 cores here; other work on the machine skews wall-clock figures)`);
console.log(`baseline RSS of this process before any work: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (node + tsx loader + modules)`);
try {
  await fileBench(dir);
  await memBench();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
