/**
 * `npx tsx --conditions=custos-source bench/bundle-open.ts [--size 1GiB] [--runs 3] [--old DIR]`:
 * openBundleItem on one large item against `age -d` of the same item and, with `--old DIR`
 * (a checkout of an older custos with its node_modules), against that implementation (issue 16).
 *
 * Every measured run is its own child process; its wall time, CPU time and peak RSS come from
 * GNU time. Contenders alternate run by run so load drift hits all alike. Both custos runs open
 * the same item (one age file, one seal, one custody event) from a bundle written by their own
 * createBundle, to a discarding output (the pipeline, not the disk) and to a file (what
 * `custos open -o FILE` does: atomic, fsynced). `age -d` decrypts the age file itself (no bundle,
 * no checks) to the null device or a file (not fsynced: age does not sync).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleChild } from '../test/support/bundle-child.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const newRoot = join(here, '..');

/** Bundles the measured child against one implementation's sources (and copies its worker scripts). */
async function buildChild(root: string, outdir: string): Promise<string> {
  return bundleChild({
    entry: join(here, 'bundle-open-child.ts'),
    outfile: join(outdir, 'child.mjs'),
    alias: { 'custos-impl': join(root, 'src/node/index.ts'), 'custos-impl-core': join(root, 'src/index.ts') },
    nodePaths: [join(newRoot, 'node_modules')],
    withRequire: true,
    workersFrom: join(root, 'src'),
  });
}

function timed(cmd: string, args: string[], stdoutTo?: string): Promise<{ wallMs: number; cpuMs: number; rssKiB: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', ['-f', '@@ %U %S %M', cmd, ...args], { stdio: ['ignore', stdoutTo === undefined ? 'pipe' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const sink = stdoutTo === undefined ? undefined : createWriteStream(stdoutTo);
    if (sink !== undefined) p.stdout!.pipe(sink);
    else p.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wallMs = performance.now() - t0;
      const m = /@@ ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr);
      if (code !== 0 || m === null) return reject(new Error(`${cmd} failed (${code}): ${stderr.slice(-1500)}`));
      resolve({ wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssKiB: Number(m[3]), stdout });
    });
  });
}

async function prepare(dir: string, size: number, oldRoot: string | undefined): Promise<void> {
  const lib = await import('../src/node/index.js');
  const core = await import('../src/index.js');
  const crypto = await import('#crypto');
  const signer = core.SigningKey.generate();
  const id = core.generateIdentity();
  await writeFile(join(dir, 'key.txt'), `${id.identity}\n`, { mode: 0o600 });
  const plain = join(dir, 'plain.bin');
  const w = createWriteStream(plain);
  const block = crypto.randomBytes(1 << 20);
  for (let o = 0; o < size; o += block.length) {
    block[0] = o & 0xff; // not one block repeated (a no-op against dedup, cheap)
    if (!w.write(block.subarray(0, Math.min(block.length, size - o)))) await new Promise<void>((r) => w.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => w.end((e?: Error) => (e ? j(e) : r())));
  const context = { caseId: 'C-1', requestId: 'R-1', purpose: 'investigation', legalBasis: 'bench' };
  const sealed = await lib.sealFile(plain, join(dir, 'disk.age'), join(dir, 'disk.seal'), { recipients: [id.recipient], signer, authority: 'IE-P', id: 'disk', context });
  await rm(plain);
  let chain = core.createChain('R-1/disk');
  chain = core.appendEvent(chain, { type: 'collected', actor: { authority: 'IE-P', role: 'collector' }, purpose: 'investigation', digests: { 'sha-256': sealed.manifest.sha256 } }, signer).chain;
  const custody = core.serializeChain(chain);
  const seal = new Uint8Array(await (await import('node:fs/promises')).readFile(join(dir, 'disk.seal')));
  const trustDoc = { version: 1, authorities: [{ id: 'IE-P', name: 'P', jurisdiction: 'IE', roles: ['collector', 'custodian'], keys: [core.trustedKeyEntry(signer.alg, signer.publicKey, new Date(Date.now() - 3600_000))] }] };
  await writeFile(join(dir, 'trust.json'), JSON.stringify(trustDoc));
  const opts = { signer, issuer: 'IE-P', request: 'R-1', case: 'C-1', items: [{ id: 'disk', encrypted: join(dir, 'disk.age'), seal, custody }] };
  await lib.createBundle(join(dir, 'new.tar'), opts);
  if (oldRoot !== undefined) {
    const old = (await import(pathToFileURL(join(oldRoot, 'src/node/index.ts')).href)) as Record<string, any>;
    const oldCore = (await import(pathToFileURL(join(oldRoot, 'src/index.ts')).href)) as Record<string, any>;
    // the old package's own key class (its #crypto): re-create the signer from the same secret is
    // not exposed, so sign the old bundle with a new key listed in the same trust store
    const oldSigner = oldCore.SigningKey.generate();
    trustDoc.authorities[0]!.keys.push(core.trustedKeyEntry(oldSigner.alg, oldSigner.publicKey, new Date(Date.now() - 3600_000)));
    await writeFile(join(dir, 'trust.json'), JSON.stringify(trustDoc));
    await old.createBundle(join(dir, 'old.tar'), { ...opts, signer: oldSigner });
  }
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);
  const sizeArg = arg('--size') ?? '1GiB';
  const size = /^(\d+)GiB$/.test(sizeArg) ? Number(sizeArg.slice(0, -3)) * 2 ** 30 : /^(\d+)MiB$/.test(sizeArg) ? Number(sizeArg.slice(0, -3)) * 2 ** 20 : Number(sizeArg);
  const runs = Number(arg('--runs') ?? 3);
  const oldRoot = arg('--old');
  const dir = await mkdtemp(join(arg('--dir') ?? tmpdir(), 'custos-bench-open-'));
  const say = (s: string) => process.stderr.write(`${s}\n`);
  try {
    say(`preparing a ${size}-byte item in ${dir} (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    await prepare(dir, size, oldRoot);
    const age = (await stat(join(dir, 'disk.age'))).size;
    await mkdir(join(dir, 'new'));
    const newChild = await buildChild(newRoot, join(dir, 'new'));
    let oldChild: string | undefined;
    if (oldRoot !== undefined) {
      await mkdir(join(dir, 'old'));
      oldChild = await buildChild(oldRoot, join(dir, 'old'));
    }
    // throughput from the child's own operation time (process start and module load excluded)
    const custos = async (file: string, api: string, out: string | null) => {
      const r = await timed(process.execPath, [file, JSON.stringify({ dir, out, api })]);
      const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; bytes: number; rssBeforeKiB: number };
      if (j.bytes !== size) throw new Error(`${api}: opened ${j.bytes} bytes, expected ${size}`);
      idle.set(api, Math.max(idle.get(api) ?? 0, j.rssBeforeKiB));
      return { ...r, wallMs: j.ms };
    };
    const idle = new Map<string, number>();
    const contenders: { name: string; run: () => Promise<{ wallMs: number; cpuMs: number; rssKiB: number }> }[] = [];
    for (const sink of ['null', 'file'] as const) {
      const out = sink === 'file' ? join(dir, 'out.bin') : null;
      contenders.push({ name: `custos openBundleItem → ${sink}`, run: () => custos(newChild, 'new', out) });
      if (oldChild !== undefined) contenders.push({ name: `old openBundleItem (3b0f35b) → ${sink}`, run: () => custos(oldChild!, 'old', out) });
      contenders.push({ name: `age -d → ${sink}`, run: () => timed('age', ['-d', '-i', join(dir, 'key.txt'), join(dir, 'disk.age')], sink === 'file' ? join(dir, 'out.bin') : '/dev/null') });
    }
    const results = new Map<string, { wallMs: number; cpuMs: number; rssKiB: number }[]>();
    for (let i = 0; i < runs; i++) {
      const order = contenders.map((_, k) => contenders[(k + i) % contenders.length]!);
      for (const c of order) {
        const r = await c.run();
        results.set(c.name, [...(results.get(c.name) ?? []), r]);
        await rm(join(dir, 'out.bin'), { force: true });
        say(`  ${c.name}: ${(size / 1e6 / (r.wallMs / 1000)).toFixed(0)} MB/s, peak RSS ${(r.rssKiB / 1024).toFixed(0)} MiB`);
      }
    }
    const lines = [`openBundleItem, ${size} bytes plaintext (age file ${age} bytes), ${runs} runs each, load at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`];
    lines.push(`${'contender'.padEnd(40)} ${'MB/s median'.padStart(12)} ${'min-max'.padStart(12)} ${'CPU s'.padStart(7)} ${'peak RSS MiB'.padStart(13)}`);
    for (const [name, rs] of results) {
      const mbs = rs.map((r) => size / 1e6 / (r.wallMs / 1000));
      lines.push(`${name.padEnd(40)} ${med(mbs).toFixed(0).padStart(12)} ${`${Math.min(...mbs).toFixed(0)}-${Math.max(...mbs).toFixed(0)}`.padStart(12)} ${(med(rs.map((r) => r.cpuMs)) / 1000).toFixed(2).padStart(7)} ${(Math.max(...rs.map((r) => r.rssKiB)) / 1024).toFixed(0).padStart(13)}`);
    }
    for (const [api, kib] of idle) lines.push(`${api === 'new' ? 'custos' : 'old'} child before the operation (node + custos loaded): ${(kib / 1024).toFixed(0)} MiB RSS`);
    const m = (n: string) => med((results.get(n) ?? []).map((r) => size / 1e6 / (r.wallMs / 1000)));
    for (const sink of ['null', 'file']) {
      if (oldRoot !== undefined) lines.push(`ratio new/old → ${sink}: ${(m(`custos openBundleItem → ${sink}`) / m(`old openBundleItem (3b0f35b) → ${sink}`)).toFixed(2)}×`);
      lines.push(`ratio new/age -d → ${sink}: ${(m(`custos openBundleItem → ${sink}`) / m(`age -d → ${sink}`)).toFixed(2)}×`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


await main();
