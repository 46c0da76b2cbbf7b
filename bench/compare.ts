/**
 * `npm run bench:compare [-- --size 1GiB --runs 5]`: custos against the tools an agency would
 * otherwise use, in one run, on this machine (issue 9).
 *
 * Every measured run is its own child process (peak RSS per run). Contenders alternate run by run
 * (A B C, B C A, …) so load drift on a shared machine hits all of them alike. Reported per
 * contender: median throughput and min–max; per comparison: ratio of medians (custos / peer)
 * against the issue's target, and the same ratio on CPU time. Results go to
 * `bench/results/compare-<date>.json` and `latest.json`, the chart to `compare-latest.svg`.
 *
 * Options: --size (test file, default 1GiB), --runs (5), --mem-size (64MiB), --events (10000),
 * --quick (small in-memory/chain/log settings, for the smoke test), --dir (scratch base),
 * --out (results directory), --only encrypt,decrypt,hash,memory,chain,log,presentation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/node/files.js';
import { buildRunners, type Runner } from './compare/build.js';
import { buildRows, formatTable, summarizeContender, type Absolute, type Comparison, type Sample, type Samples } from './compare/report.js';
import { GROUPS, makeKeys, makeTestFile, parseOptions } from './compare/setup.js';
import { haveGnuTime, runCustos, runPeer } from './compare/spawn.js';
import { ratioChart } from './compare/svg.js';

const opts = parseOptions(process.argv.slice(2), fileURLToPath(new URL('./results', import.meta.url)));
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['age', 'age-keygen', 'openssl'].filter((c) => !have(c));
const PEERS: Partial<Record<(typeof GROUPS)[number], string[]>> = { encrypt: ['age', 'age-keygen', 'openssl'], decrypt: ['age', 'age-keygen'], hash: ['openssl'] };
const want = (g: (typeof GROUPS)[number]) => (opts.only === undefined || opts.only.includes(g)) && !(PEERS[g] ?? []).some((c) => missing.includes(c));
const scratch = await mkdtemp(join(opts.dir ?? tmpdir(), 'custos-compare-'));
const started = new Date();
const loadStart = loadavg();
const samples: Samples = {};
const notes: string[] = missing.map((c) => `${c} is not installed: the comparisons that need it were skipped`);
const say = (s: string) => process.stderr.write(`${s}\n`);

/**
 * A contender: one run returns its metrics by key ('main' for single-metric runs). `output`: the
 * file the run writes, removed before each run so no contender overwrites (and pays for freeing)
 * another run's file.
 */
type Contender = { label: string; run: () => Promise<Record<string, Sample>>; output?: string };

const SEAL_PIPE = 'tee|openssl, age -r, tee|openssl → file + sync';
const SINK_PIPE = 'age -r | tee|openssl → /dev/null';
const SEAL_FLOOR = 'seal floor: ChaCha20-Poly1305 + 2 × SHA-256 in memory, spread over the cores';

/**
 * The shell pipeline doing a seal's work with the same durability: SHA-256 of the plaintext,
 * age encryption, SHA-256 of the ciphertext, the output synced (issue 23:
 * `tee >(openssl dgst -sha256) < in | age -r R | tee >(openssl dgst -sha256) > out; sync out`,
 * with named pipes so the shell waits for both digests). Prints the plaintext digest first.
 */
function sealPipeline(input: string, recipient: string, out: string, fifo: string): string {
  return [
    `rm -f ${fifo}.a ${fifo}.b ${fifo}.ha ${fifo}.hb && mkfifo ${fifo}.a ${fifo}.b`,
    `openssl dgst -sha256 -r < ${fifo}.a > ${fifo}.ha & openssl dgst -sha256 -r < ${fifo}.b > ${fifo}.hb &`,
    `tee ${fifo}.a < ${input} | age -r ${recipient} | tee ${fifo}.b > ${out}`,
    `wait && sync ${out} && cat ${fifo}.ha ${fifo}.hb && rm -f ${fifo}.a ${fifo}.b ${fifo}.ha ${fifo}.hb`,
  ].join('\n');
}

/** The same for a discarding sink: `age -r R < in | tee >(openssl dgst -sha256) > /dev/null`. */
function sinkPipeline(input: string, recipient: string, fifo: string): string {
  return [
    `rm -f ${fifo}.a && mkfifo ${fifo}.a`,
    `openssl dgst -sha256 -r < ${fifo}.a > /dev/null &`,
    `age -r ${recipient} < ${input} | tee ${fifo}.a > /dev/null`,
    `wait && rm -f ${fifo}.a`,
  ].join('\n');
}

function record(label: string, key: string, s: Sample): void {
  (samples[key === 'main' ? label : `${label} ${key}`] ??= []).push(s);
}

/** Runs every contender `runs` times, rotating the order each round (A B C, B C A, …). */
async function alternate(title: string, contenders: readonly Contender[], runs = opts.runs): Promise<void> {
  say(`${title}: ${contenders.map((c) => c.label).join(' | ')} × ${runs}`);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + r) % contenders.length]!;
      // Start every run from the same disk state: the previous run's output gone and its dirty
      // pages written back (untimed), so no run pays for the write-back of the one before it.
      if (c.output !== undefined) rmSync(c.output, { force: true });
      spawnSync('sync');
      const load = loadavg()[0]!;
      for (const [k, s] of Object.entries(await c.run())) record(c.label, k, { ...s, load });
    }
  }
}

function custos(runner: Runner, name: string, args: unknown, check?: (v: string | undefined) => void, env?: Record<string, string>): () => Promise<Record<string, Sample>> {
  return async () => {
    const r = await runCustos(runner, name, args, env);
    check?.(r.check);
    return Object.fromEntries(Object.entries(r.metrics).map(([k, metric]) => [k, { metric, maxRssKiB: r.maxRssKiB }]));
  };
}

function peer(cmd: string, args: string[], amount: number, stdout: 'discard' | 'capture' = 'discard', check?: (out: string) => void): () => Promise<Record<string, Sample>> {
  return async () => {
    const r = await runPeer(cmd, args, amount, 'B', stdout);
    check?.(r.stdout);
    return { main: { metric: r.metric, maxRssKiB: r.maxRssKiB } };
  };
}

// The code measured is what was bundled here: the commit, and any uncommitted change to the
// sources at that moment (the working tree may be shared with people editing it).
const code = {
  commit: git(['rev-parse', 'HEAD']),
  uncommittedSources: git(['status', '--porcelain', '--', 'src']).split('\n').filter((l) => l !== ''),
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CUSTOS_'))),
};
const runners = await buildRunners(scratch);
if (runners.node.viaTsx) notes.push('esbuild unavailable: custos runs under tsx, so their RSS includes the TypeScript loader; the portable backend was not measured');
const node = runners.node;
const keys = makeKeys(scratch);
// RSS of a bundled child that loads custos and does nothing: the floor under every custos figure
const idleRssMiB = ((await runCustos(node, 'idle', {})).maxRssKiB ?? NaN) / 1024;
const input = join(scratch, 'input.bin');
const f = (name: string) => join(scratch, name);
const comparisons: Comparison[] = [];
const absolutes: Absolute[] = [];
let inputSha: string | undefined;

try {
  say(`scratch ${scratch}; load average ${loadStart.map((l) => l.toFixed(1)).join(' ')}`);
  if (want('encrypt') || want('decrypt') || want('hash')) makeTestFile(input, opts.size);
  const size = opts.size;
  const fa = { input, identity: keys.identity, recipient: keys.recipient, signerSeed: keys.signerSeed };
  const sameSha = (v: string | undefined) => {
    if (v === undefined) return;
    if (inputSha !== undefined && v !== inputSha) throw new Error(`SHA-256 mismatch: ${v} vs ${inputSha}`);
    inputSha = v;
  };

  if (want('hash')) {
    await alternate('hash', [
      { label: 'custos hashFile', run: custos(node, 'hashFile', { ...fa, output: '' }, sameSha) },
      { label: 'openssl dgst -sha256', run: peer('openssl', ['dgst', '-sha256', '-r', input], size, 'capture', (out) => sameSha(out.split(' ')[0])) },
    ]);
    comparisons.push({ name: 'SHA-256 of a file', ours: 'custos hashFile', peer: 'openssl dgst -sha256', target: 0.9 });
  }

  if (want('encrypt') || want('decrypt')) {
    // custos fsyncs its output (atomic write): every file comparison is against `age … && sync out`;
    // `age -r` alone stays as information. A seal does more than age: the pipeline that does the
    // same work (plaintext SHA-256, encryption, ciphertext SHA-256, durable output) is its peer.
    await alternate('encrypt → file', [
      { label: 'custos sealFile', run: custos(node, 'sealFile', { ...fa, output: f('sealed.age') }, sameSha), output: f('sealed.age') },
      { label: 'custos encryptFile', run: custos(node, 'encryptFile', { ...fa, output: f('enc.age') }), output: f('enc.age') },
      { label: 'age -r → file', run: peer('age', ['-r', keys.recipient, '-o', f('age.age'), input], size), output: f('age.age') },
      { label: 'age -r → file + sync', run: peer('sh', ['-c', `age -r ${keys.recipient} -o ${f('age-sync.age')} ${input} && sync ${f('age-sync.age')}`], size), output: f('age-sync.age') },
      { label: SEAL_PIPE, run: peer('sh', ['-c', sealPipeline(input, keys.recipient, f('pipe.age'), f('pipe'))], size, 'capture', (out) => sameSha(out.split(' ')[0])), output: f('pipe.age') },
    ]);
    comparisons.push(
      { name: 'seal → file (sealFile) vs the same work in a shell pipeline', ours: 'custos sealFile', peer: SEAL_PIPE, target: 1.5 },
      { name: 'seal → file vs age -r + sync', ours: 'custos sealFile', peer: 'age -r → file + sync', target: null },
      { name: 'seal → file vs age -r alone', ours: 'custos sealFile', peer: 'age -r → file', target: null },
      { name: 'encrypt → file (encryptFile)', ours: 'custos encryptFile', peer: 'age -r → file + sync', target: 0.8 },
    );
    // the floor in the same run: the three passes of a seal in memory, spread over the cores
    await alternate('seal floor (in memory)', [{ label: SEAL_FLOOR, run: custos(node, 'sealFloor', { sizeBytes: size }) }]);
    comparisons.push({ name: 'seal → file ÷ the in-memory floor', ours: 'custos sealFile', peer: SEAL_FLOOR, target: null });
  }

  if (want('encrypt')) {
    await alternate('encrypt → discarding sink', [
      { label: 'custos sealItem(stream) → sink', run: custos(node, 'sealSink', { ...fa, output: '' }, sameSha) },
      { label: 'custos encrypt(stream) → sink', run: custos(node, 'encryptSink', { ...fa, output: '' }) },
      { label: SINK_PIPE, run: peer('sh', ['-c', sinkPipeline(input, keys.recipient, f('sinkpipe'))], size) },
    ]);
    comparisons.push(
      { name: 'seal → sink (sealItem stream)', ours: 'custos sealItem(stream) → sink', peer: SINK_PIPE, target: null },
      { name: 'encrypt → sink (encrypt stream)', ours: 'custos encrypt(stream) → sink', peer: SINK_PIPE, target: null },
    );
  }

  if (want('decrypt')) {
    // cross-implementation: custos opens age's file, age opens custos' sealed file
    await alternate('decrypt', [
      { label: 'custos openFile (hash check)', run: custos(node, 'openFile', { ...fa, input: f('sealed.age'), seal: f('sealed.age.seal'), output: f('open.out') }), output: f('open.out') },
      { label: 'custos decryptFile', run: custos(node, 'decryptFile', { ...fa, input: f('age.age'), output: f('dec.out') }), output: f('dec.out') },
      { label: 'age -d + sync', run: peer('sh', ['-c', `age -d -i ${keys.keyFile} -o ${f('age.out')} ${f('sealed.age')} && sync ${f('age.out')}`], size), output: f('age.out') },
    ]);
    for (const o of ['open.out', 'dec.out', 'age.out']) if (statSync(f(o)).size !== size) throw new Error(`${o}: wrong size`);
    comparisons.push(
      { name: 'open + hash check (openFile)', ours: 'custos openFile (hash check)', peer: 'age -d + sync', target: 0.9 },
      { name: 'decrypt → file (decryptFile)', ours: 'custos decryptFile', peer: 'age -d + sync', target: 0.8 },
    );
  }
  for (const o of ['input.bin', 'sealed.age', 'enc.age', 'age.age', 'age-sync.age', 'pipe.age', 'open.out', 'dec.out', 'age.out']) rmSync(f(o), { force: true });

  if (want('memory')) {
    const ma = { sizeBytes: opts.memSize, recipient: keys.recipient, identity: keys.identity };
    const cs: Contender[] = [
      { label: 'custos (node backend)', run: custos(node, 'memCustos', ma) },
      { label: 'age-encryption', run: custos(node, 'memTypage', ma) },
    ];
    if (runners.web !== undefined) cs.push({ label: 'custos (portable backend)', run: custos(runners.web, 'memCustos', ma) });
    await alternate(`in memory, ${opts.memSize} B`, cs);
    for (const op of ['encrypt', 'decrypt']) {
      // 6×, not 8×: Node 20's cipher API and first-touch page faults set the floor (README, Performance)
      comparisons.push({ name: `in-memory ${op}, node backend`, ours: `custos (node backend) ${op}`, peer: `age-encryption ${op}`, target: 6 });
      comparisons.push({ name: `in-memory ${op}, portable backend`, ours: `custos (portable backend) ${op}`, peer: `age-encryption ${op}`, target: 0.95 });
    }
  }

  if (want('chain')) {
    const ca = { chainFile: f('chain.bin'), seedHex: keys.signerSeed, events: opts.events };
    await runCustos(node, 'prepChain', ca);
    await alternate(`custody chain, ${opts.events} events`, [
      { label: 'custos verifyChain', run: custos(node, 'verifyChain', ca) },
      { label: 'node:crypto Ed25519 verify', run: custos(node, 'chainRaw', ca) },
    ]);
    comparisons.push({ name: `verifyChain (${opts.events} events)`, ours: 'custos verifyChain', peer: 'node:crypto Ed25519 verify', target: 0.7 });
  }

  if (want('presentation')) {
    const pa = { ms: opts.quick ? 100 : 1000 };
    await alternate('verifyPresentation', [
      { label: 'custos verifyPresentation', run: custos(node, 'presentation', pa) },
      { label: 'node:crypto Ed25519 verify ×2', run: custos(node, 'presentationRaw', pa) },
    ]);
    comparisons.push({ name: 'verifyPresentation (2 signatures)', ours: 'custos verifyPresentation', peer: 'node:crypto Ed25519 verify ×2', target: 0.65 });
  }

  if (want('log')) {
    const la = opts.quick ? { dir: scratch, appends: 300, window: 64, proofs: 300 } : { dir: scratch, appends: 20_000, window: 4096, proofs: 20_000 };
    await alternate(`log: ${la.appends} durable appends, ${la.proofs} proofs`, [{ label: 'custos log', run: custos(node, 'log', la) }]);
    absolutes.push(
      { name: 'log append (durable, batched)', ours: 'custos log append', target: 10_000, reference: 'custos log fsyncRef' },
      { name: 'log prove (from the store)', ours: 'custos log prove', target: 50_000, reference: 'custos log sha65Ref' },
    );
    comparisons.push({ name: `log verify inclusion (${la.appends} entries) vs the hash-bound limit`, ours: 'custos log verify', peer: 'custos log hashBound', target: 0.8 });
    const ta = opts.quick ? { size: 20_000, proofs: 2_000 } : { size: 1_000_000, proofs: 200_000 };
    await alternate(`log tree: ${ta.size} entries in memory, ${ta.proofs} proofs`, [{ label: 'custos logTree', run: custos(node, 'logTree', ta) }]);
    const sha = 'custos logTree sha65';
    const perProof = (k: string) => {
      const h = samples[`custos logTree ${k}Hashes`] ?? [];
      const n = samples[`custos logTree ${k}`] ?? [];
      return h.map((x, i) => (x.metric.amount / n[i]!.metric.amount).toFixed(2)).join(', ');
    };
    notes.push(`log tree batches: hashes computed per proof, run by run: ${perProof('batchRandom')} at random indices, ${perProof('batchOrder')} in index order (one proof at a time: every node of the path, ≈ log2 of the size)`);
    comparisons.push({ name: `log verify, one proof at a time (${ta.size} entries) vs the hash-bound limit`, ours: 'custos logTree single', peer: 'custos logTree hashBound', target: 0.8 });
    absolutes.push(
      { name: `log verify, batch of ${ta.proofs} random (createInclusionVerifier)`, ours: 'custos logTree batchRandom', target: 100_000, reference: sha },
      { name: `log verify, batch of all ${ta.size} in order`, ours: 'custos logTree batchOrder', target: 100_000, reference: sha },
    );
    // Ratio = verifications/s ÷ raw SHA-256 (65 B, #crypto) ops/s, both measured in the same child.
    comparisons.push(
      { name: 'log verify batch random ÷ raw SHA-256 ops', ours: 'custos logTree batchRandom', peer: sha, target: null },
      { name: 'log verify batch in order ÷ raw SHA-256 ops', ours: 'custos logTree batchOrder', peer: sha, target: null },
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// ---- report ------------------------------------------------------------------------------------

const loadEnd = loadavg();
const rows = buildRows(samples, comparisons, absolutes);
const rssOf = (label: string) => summarizeContender(samples[label] ?? []).maxRssMiB;
// The 128 MiB bound of the issue is for file work at any size: the streaming file runs. The
// in-memory runs hold the buffer, its ciphertext and the decrypted copy (3 × 64 MiB) by design,
// and the chain/log/presentation runs hold their fixtures; their RSS is in the table, unbound.
const FILE_RUNS = [
  'custos hashFile',
  'custos sealFile',
  'custos encryptFile',
  'custos sealItem(stream) → sink',
  'custos encrypt(stream) → sink',
  'custos openFile (hash check)',
  'custos decryptFile',
];
const rss = FILE_RUNS.map((l) => ({ name: l, mib: rssOf(l) })).filter((r): r is { name: string; mib: number } => r.mib !== null);
const peakRss = rss.length === 0 ? null : Math.max(...rss.map((r) => r.mib));
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageStart: loadStart,
  loadAverageEnd: loadEnd,
  gnuTime: haveGnuTime,
};
const date = started.toISOString().slice(0, 10);
const caption = `${date}, ${machine.cpus} cores, Node ${machine.node}, ${(opts.size / 2 ** 20).toFixed(0)} MiB file, ${opts.runs} runs each, load average ${loadStart[0]!.toFixed(1)} → ${loadEnd[0]!.toFixed(1)}`;
console.log(`custos bench:compare — ${caption}`);
console.log(formatTable(rows));
if (peakRss !== null) console.log(`peak RSS over the custos file runs: ${peakRss.toFixed(0)} MiB (bound 128 MiB: ${peakRss <= 128 ? 'met' : 'MISSED'}); an idle child with custos loaded: ${idleRssMiB.toFixed(0)} MiB`);
if (loadStart[0]! > machine.cpus) notes.push(`the machine was shared: load average ${loadStart[0]!.toFixed(1)} at start on ${machine.cpus} cores; wall-clock figures are noisy, the cpu ratio is the steadier measure of work`);
for (const n of notes) console.log(`note: ${n}`);

const result = {
  tool: 'custos bench:compare',
  date: started.toISOString(),
  durationS: Math.round((Date.now() - started.getTime()) / 1000),
  machine,
  options: { ...opts, out: undefined, dir: undefined },
  method:
    'each run is its own child process (custos: run-one bundled with esbuild, plain node; peers: the CLI under GNU time). Contenders alternate run by run. Throughput = bytes (or operations) / wall time of the operation; custos times exclude process start-up, peers include it (a few ms). ratio = custos median / peer median; cpu ratio = the same on CPU seconds (all threads). MB = 10^6 bytes.',
  code,
  inputSha256: inputSha ?? null,
  notes,
  peakRssMiB: peakRss,
  idleRssMiB,
  rows,
  samples,
  packageVersions: { ageCli: `age (Debian) ${readVersion('age') ?? '?'}`, openssl: (spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout ?? '').trim() ?? '?', ageEncryption: readPkgVersion('age-encryption') },
};
await mkdir(opts.out, { recursive: true });
await writeFileAtomic(join(opts.out, `compare-${date}.json`), new TextEncoder().encode(`${JSON.stringify(result, null, 2)}\n`));
await writeFileAtomic(join(opts.out, 'latest.json'), new TextEncoder().encode(`${JSON.stringify(result, null, 2)}\n`));
await writeFileAtomic(join(opts.out, 'compare-latest.svg'), new TextEncoder().encode(ratioChart(rows, rss, caption)));
console.log(`wrote ${join(opts.out, `compare-${date}.json`)}, latest.json, compare-latest.svg`);

function git(args: string[]): string {
  const r = spawnSync('git', args, { encoding: 'utf8', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}
function readVersion(cmd: string): string | undefined {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
function readPkgVersion(name: string): string {
  return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
}
