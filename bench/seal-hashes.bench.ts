/**
 * sealFile with the acquisition hash set (issue 19): the default (SHA-256 only) against
 * `hashes: ['sha-1', 'md5']` (what `--hash sha256,sha1,md5` asks for) and against the sealFile of a
 * reference tree (today's main, extracted by `git archive`), in the same run, alternating, on one
 * input file in the page cache. Reports the median wall-clock rate and the process CPU time
 * (all threads) per GiB, and the ratios to the reference.
 *
 *   npx tsx --conditions=custos-source bench/seal-hashes.bench.ts [--size MiB] [--runs N] [--ref NAME=DIR]…
 *
 * `--ref NAME=DIR`: a source tree to compare (DIR/src/node/seal-file.ts; DIR/node_modules may be a
 * symlink to this checkout's); `main=DIR` runs its default only, another name also with the hash
 * set. The first --ref is the reference of the ratios. Without one, only this tree's variants run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateIdentity } from '../src/envelope/index.js';
import { SigningKey } from '../src/keys/index.js';
import { sealFile } from '../src/node/seal-file.js';

const { values } = parseArgs({ options: { size: { type: 'string' }, runs: { type: 'string' }, ref: { type: 'string', multiple: true } } });
const MiB = 1024 * 1024;
const size = Number(values.size ?? 1024) * MiB;
const runs = Number(values.runs ?? 3);

type Seal = typeof sealFile;
const variants: { name: string; seal: Seal; hashes?: ('sha-1' | 'md5')[] }[] = [
  { name: 'this tree, default (sha-256)', seal: sealFile },
  { name: 'this tree, sha-256 + sha-1 + md5', seal: sealFile, hashes: ['sha-1', 'md5'] },
];
// --ref NAME=DIR (repeatable): the first is the reference the ratios are to
for (const r of [...(values.ref ?? [])].reverse()) {
  const eq = r.indexOf('=');
  const [name, path] = eq > 0 ? [r.slice(0, eq), r.slice(eq + 1)] : ['main', r];
  const ref = (await import(join(path, 'src/node/seal-file.ts'))) as { sealFile: Seal };
  variants.unshift({ name: `${name}, default`, seal: ref.sealFile });
  if (name !== 'main') variants.splice(1, 0, { name: `${name}, sha-256 + sha-1 + md5`, seal: ref.sealFile, hashes: ['sha-1', 'md5'] });
}

const dir = mkdtempSync(join(tmpdir(), 'custos-bench-seal-hashes-'));
try {
  const input = join(dir, 'in.raw');
  const fd = openSync(input, 'w');
  for (let o = 0; o < size; o += 64 * MiB) writeSync(fd, randomBytes(Math.min(64 * MiB, size - o)));
  closeSync(fd);
  const key = SigningKey.generate();
  const opts = { recipients: [generateIdentity().recipient], signer: key, authority: 'bench', id: 'disk', context: { caseId: 'C', purpose: 'bench', legalBasis: 'bench' } };
  const wall = new Map<string, number[]>();
  const cpu = new Map<string, number[]>();
  // one warm-up of each (page cache, JIT, worker start-up paths)
  for (const v of variants) await v.seal(input, join(dir, 'o.age'), join(dir, 'o.cose'), { ...opts, ...(v.hashes ? { hashes: v.hashes } : {}) } as never);
  for (let r = 0; r < runs; r++) {
    for (const v of variants) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await v.seal(input, join(dir, 'o.age'), join(dir, 'o.cose'), { ...opts, ...(v.hashes ? { hashes: v.hashes } : {}) } as never);
      const t = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      rmSync(join(dir, 'o.age'));
      rmSync(join(dir, 'o.cose'));
      (wall.get(v.name) ?? wall.set(v.name, []).get(v.name)!).push(size / 1e6 / t);
      (cpu.get(v.name) ?? cpu.set(v.name, []).get(v.name)!).push((c.user + c.system) / 1e6 / (size / 1024 / MiB));
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const base = variants[0]!.name;
  console.log(`sealFile, ${size / MiB} MiB, ${runs} runs each (median, range), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('| variant | MB/s | CPU s/GiB | rate ÷ first | CPU ÷ first |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const v of variants) {
    const w = wall.get(v.name)!;
    const c = cpu.get(v.name)!;
    console.log(`| ${v.name} | ${med(w).toFixed(0)} (${Math.min(...w).toFixed(0)}–${Math.max(...w).toFixed(0)}) | ${med(c).toFixed(2)} | ${(med(w) / med(wall.get(base)!)).toFixed(2)}× | ${(med(c) / med(cpu.get(base)!)).toFixed(2)}× |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
