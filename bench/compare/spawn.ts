/**
 * Starting one run: a custos child (bundled run-one, JSON on stdout) or a peer CLI. A peer's wall
 * time is measured here around the spawn (its start-up is a few ms: `age` and `openssl` are
 * native binaries); its CPU time and peak RSS come from GNU time (`/usr/bin/time -f`) when that
 * is installed (Debian package `time`), else they are reported as n/a.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Runner } from './build.js';
import type { Metric, RunResult } from './measure.js';

const GNU_TIME = '/usr/bin/time';
export const haveGnuTime = existsSync(GNU_TIME);

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
}

function run(cmd: string, args: readonly string[], captureStdout: boolean, env?: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'], env: env ?? process.env });
    let stdout = '';
    let stderr = '';
    p.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr, wallMs: performance.now() - t0 }));
  });
}

/** A custos run: the child's own JSON (operation time, CPU time, maxRSS), plus its total wall. */
export async function runCustos(runner: Runner, name: string, args: unknown, env?: Record<string, string>): Promise<RunResult & { processWallMs: number }> {
  const r = await run(runner.cmd, [...runner.args, name, JSON.stringify(args)], true, env === undefined ? undefined : { ...process.env, ...env });
  if (r.code !== 0) throw new Error(`custos run ${name} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line) as RunResult), processWallMs: r.wallMs };
}

export interface PeerRun {
  readonly metric: Metric;
  readonly maxRssKiB: number | null;
  readonly stdout: string;
}

/**
 * A peer command doing `amount` bytes (or ops) of work. `stdout: 'discard'` sends its output to
 * the null device (the discarding sink), `'capture'` returns it (e.g. openssl's digest).
 */
export async function runPeer(cmd: string, args: readonly string[], amount: number, unit: Metric['unit'], stdout: 'discard' | 'capture'): Promise<PeerRun> {
  const full = haveGnuTime ? [GNU_TIME, ['-f', '@@ %U %S %M', cmd, ...args]] as const : [cmd, args] as const;
  const r = await run(full[0], full[1], stdout === 'capture');
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const m = /@@ ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
  const cpuMs = m === null ? NaN : (Number(m[1]) + Number(m[2])) * 1000;
  return { metric: { wallMs: r.wallMs, cpuMs, amount, unit }, maxRssKiB: m === null ? null : Number(m[3]), stdout: r.stdout };
}
