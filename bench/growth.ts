/**
 * `npm run bench:growth [-- --only chain-append,log-append --runs 1]`: cost as the work grows,
 * decade by decade (issue 23), so that a regression to superlinear shows at once.
 *
 * Series (sizes): chain-append and chain-verify (1,000 / 10,000 / 100,000 events), log-append
 * and log-reopen (10,000 / 100,000 / 1,000,000 entries), bundle-verify (1 / 100 / 10,000 items),
 * and log-single (one append per batch, the file count; `--single 10000`). Every point is its
 * own child process (bench/growth/points.ts bundled with esbuild, plain node, `--expose-gc`),
 * so its peak RSS is its own; fixtures come from the previous point of the series (the chain
 * file, the log directory, the bundle), untimed. Printed per point: wall time, wall and CPU
 * time per unit, peak RSS, the load average at its start; per series: the exponent between its
 * two largest sizes (time ∝ size^k). Results go to `bench/results/growth-latest.json`.
 *
 * `--baseline DIR`: also run chain-append, chain-verify and log-reopen bundled against DIR's
 * `src/` (e.g. `git archive <commit> src | tar -x -C DIR`), alternating with this checkout point
 * by point: before and after in the same run (log-reopen: on the same directory).
 *
 * Other options: --quick (tiny sizes, for the smoke test), --dir (scratch base), --out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/node/files.js';
import { buildRunners, type Runner } from './compare/build.js';
import { runCustos } from './compare/spawn.js';
import { formatSeries, perUnitUs, tailExponent, type Point, type PointRun, type Series } from './growth/series.js';

export const SERIES = ['chain-append', 'chain-verify', 'log-append', 'log-reopen', 'bundle-verify', 'log-single'] as const;
type SeriesName = (typeof SERIES)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    'baseline-label': { type: 'string', default: 'baseline' },
    single: { type: 'string' },
    dir: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results', import.meta.url)) },
  },
});
const quick = values.quick === true;
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
const only = values.only?.split(',').map((s) => s.trim()) as SeriesName[] | undefined;
for (const s of only ?? []) if (!(SERIES as readonly string[]).includes(s)) throw new Error(`--only: unknown series ${s} (${SERIES.join(', ')})`);
const want = (s: SeriesName) => (only === undefined ? s !== 'log-single' : only.includes(s));
const SIZES = quick
  ? { chain: [10, 100], log: [100, 1000], bundle: [1, 10], single: [50] }
  : { chain: [1_000, 10_000, 100_000], log: [10_000, 100_000, 1_000_000], bundle: [1, 100, 10_000], single: (values.single ?? '10000').split(',').map(Number) };
const say = (s: string) => process.stderr.write(`${s}\n`);

const scratch = mkdtempSync(join(values.dir ?? tmpdir(), 'custos-growth-'));
const started = new Date();
const loadStart = loadavg();
const series: Series[] = [];

function track(name: string, unit: string): Map<number, PointRun[]> {
  const points = new Map<number, PointRun[]>();
  series.push({
    name,
    unit,
    get points(): Point[] {
      return [...points].map(([size, r]) => ({ size, runs: r }));
    },
  });
  return points;
}

async function point(runner: Runner, into: Map<number, PointRun[]>, size: number, name: string, args: object): Promise<PointRun> {
  const load = loadavg()[0]!;
  const r = (await runCustos(runner, name, { n: size, ...args })) as Awaited<ReturnType<typeof runCustos>> & { info?: Record<string, number> };
  const m = r.metrics.main!;
  const run: PointRun = { wallMs: m.wallMs, cpuMs: m.cpuMs, maxRssKiB: r.maxRssKiB, load, ...(r.info !== undefined ? { info: r.info } : {}) };
  const list = into.get(size) ?? [];
  list.push(run);
  into.set(size, list);
  say(`  ${name} ${size}: ${(m.wallMs / 1000).toFixed(2)} s (load ${load.toFixed(1)})`);
  return run;
}

try {
  const entry = fileURLToPath(new URL('./growth/points.ts', import.meta.url));
  const nodeFlags = ['--expose-gc'];
  const ours = (await buildRunners(join(scratch, 'ours'), { entry, nodeFlags, backends: ['node'] })).node;
  const base = values.baseline === undefined ? undefined : (await buildRunners(join(scratch, 'base'), { entry, nodeFlags, backends: ['node'], srcRoot: join(values.baseline, 'src') })).node;
  const contenders: Array<{ label: string; runner: Runner }> = [{ label: '', runner: ours }];
  if (base !== undefined) contenders.push({ label: ` (${values['baseline-label']})`, runner: base });
  say(`scratch ${scratch}; load average ${loadStart.map((l) => l.toFixed(1)).join(' ')}`);

  if (want('chain-append') || want('chain-verify')) {
    const tracks = contenders.map((c) => ({ ...c, append: track(`chain append${c.label}`, 'event'), verify: want('chain-verify') ? track(`chain verify${c.label}`, 'event') : undefined }));
    for (const n of SIZES.chain) {
      for (let r = 0; r < runs; r++) {
        // alternate the contenders' order run by run, so load drift hits both alike
        for (let i = 0; i < tracks.length; i++) {
          const t = tracks[(i + r) % tracks.length]!;
          const file = join(scratch, `chain-${n}.bin`);
          await point(t.runner, t.append, n, 'chainAppend', { out: file });
          if (t.verify !== undefined) await point(t.runner, t.verify, n, 'chainVerify', { file });
          rmSync(file, { force: true });
        }
      }
    }
    if (!want('chain-append')) series.splice(0, series.length, ...series.filter((s) => !s.name.startsWith('chain append')));
  }

  if (want('log-append') || want('log-reopen')) {
    const append = track('log append (durable, 4096 in flight)', 'entry');
    // every contender reopens the same directory (this checkout wrote it), alternating
    const reopens = want('log-reopen') ? contenders.map((c) => ({ ...c, into: track(`log reopen (openLog: recovery)${c.label}`, 'entry') })) : [];
    const keyFile = join(scratch, 'log.skey');
    for (const n of SIZES.log) {
      for (let r = 0; r < runs; r++) {
        const dir = join(scratch, `log-${n}`);
        await point(ours, append, n, 'logAppend', { dir, window: 4096, keyFile });
        for (let i = 0; i < reopens.length; i++) {
          const t = reopens[(i + r) % reopens.length]!;
          await point(t.runner, t.into, n, 'logReopen', { dir, keyFile });
        }
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (!want('log-append')) series.splice(series.indexOf(series.find((s) => s.name.startsWith('log append'))!), 1);
  }

  if (want('bundle-verify')) {
    const verify = track('bundle verify (sealed 1 KiB items, custody chains)', 'item');
    for (const n of SIZES.bundle) {
      const path = join(scratch, `bundle-${n}.tar`);
      await runCustos(ours, 'bundlePrep', { n, out: path });
      for (let r = 0; r < runs; r++) await point(ours, verify, n, 'bundleVerify', { path });
      rmSync(path, { force: true });
    }
  }

  if (want('log-single')) {
    const single = track('log append, one per batch (window 1)', 'entry');
    const keyFile = join(scratch, 'single.skey');
    for (const n of SIZES.single) {
      const dir = join(scratch, `single-${n}`);
      await point(ours, single, n, 'logAppend', { dir, window: 1, keyFile });
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// ---- report ------------------------------------------------------------------------------------

const loadEnd = loadavg();
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageStart: loadStart, loadAverageEnd: loadEnd };
console.log(`custos bench:growth — ${started.toISOString().slice(0, 16)}Z, ${machine.cpus} cores, Node ${machine.node}, ${runs} run(s) per point, load average ${loadStart[0]!.toFixed(1)} → ${loadEnd[0]!.toFixed(1)}`);
for (const s of series) {
  for (const line of formatSeries(s)) console.log(line);
  const pts = [...s.points].sort((x, y) => x.size - y.size);
  for (const p of pts) {
    const info = p.runs.at(-1)?.info;
    if (info === undefined) continue;
    const extra = Object.entries(info).map(([k, v]) => `${k} ${Math.round(v).toLocaleString('en-US')}`);
    console.log(`    ${p.size.toLocaleString('en-US')}: ${extra.join(', ')}`);
  }
  // resident memory per entry of a reopened log: the growth of (RSS after − RSS before open) between the two largest sizes
  const [a, b] = pts.slice(-2).map((p) => ({ size: p.size, d: p.runs.at(-1)?.info?.rssDeltaBytes }));
  if (a?.d !== undefined && b?.d !== undefined) {
    console.log(`  resident memory per entry after reopening, ${a.size.toLocaleString('en-US')} → ${b.size.toLocaleString('en-US')}: ${((b.d - a.d) / (b.size - a.size)).toFixed(1)} B/entry (${(b.d / b.size).toFixed(1)} B/entry at ${b.size.toLocaleString('en-US')} with the fixed cost of opening)`);
  }
}
const result = {
  tool: 'custos bench:growth',
  date: started.toISOString(),
  durationS: Math.round((Date.now() - started.getTime()) / 1000),
  machine,
  options: { only: only ?? null, runs, quick, baseline: values.baseline ?? null },
  method:
    'one child process per point (bench/growth/points.ts bundled with esbuild, plain node --expose-gc); wall and CPU time of the operation only (not start-up or fixtures); per-unit cost = median wall time / size; exponent = log(t2/t1) / log(n2/n1) over the two largest sizes, on wall and on CPU time.',
  series: series.map((s) => ({ name: s.name, unit: s.unit, exponent: tailExponent(s), cpuExponent: tailExponent(s, true), points: s.points.map((p) => ({ size: p.size, perUnitUs: perUnitUs(p), runs: p.runs })) })),
};
await mkdir(values.out!, { recursive: true });
await writeFileAtomic(join(values.out!, 'growth-latest.json'), new TextEncoder().encode(`${JSON.stringify(result, null, 2)}\n`));
console.log(`wrote ${join(values.out!, 'growth-latest.json')}`);
