/**
 * SIGINT/SIGTERM during long work (a real child process): the temp output is removed at once,
 * `custos: interrupted` is printed (with --json also the error object), and the exit code is
 * 130 (SIGINT) / 143 (SIGTERM). Neither the final output nor a hidden `.NAME.<pid>.<rand>.tmp`
 * may stay behind. Attacks (each tested): a signal while the temp file is being written (seal of
 * 1 GiB, bundle create, open -o), a signal under --json (still exactly one object on stdout).
 */
import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAtomicTemp } from '../../src/node/files.js';
import { buildCli, cleanupCli, repoRoot, runCli } from './build.js';

let cli: string;
let dir: string;
const p = (n: string): string => join(dir, n);
const temps = (): string[] => readdirSync(dir).filter(isAtomicTemp);

function sparse(path: string, size: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size); // a hole: reads as zeros without using the disk
  closeSync(fd);
}

/** Runs custos, sends `signal` once the temp file of `final` holds data, and waits for the exit. */
async function interrupt(args: string[], final: string, signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number | null; stdout: string; stderr: string; seen: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  let seen = '';
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 60_000;
  while (!done && Date.now() < deadline) {
    const t = temps().find((n) => n.startsWith(`.${final}.`));
    if (t !== undefined && statSync(p(t), { throwIfNoEntry: false })?.size) {
      seen = t;
      child.kill(signal);
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const code = await exited;
  return { code, stdout, stderr, seen };
}

const GiB = 1024 ** 3;

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-sig-'));
  expect(runCli(cli, ['keygen', '--id', 'IE-SIG', '--role', 'custodian', '-o', p('ex.key')]).code).toBe(0);
  expect(runCli(cli, ['keygen', '--pq', '--id', 'AT-SIG', '-o', p('rq.key')]).code).toBe(0);
  sparse(p('big.img'), GiB);
  sparse(p('mid.img'), 256 * 1024 * 1024);
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const seal = (input: string, out: string, extra: string[] = []): string[] => ['seal', p(input), '-k', p('ex.key'), '--to', p('rq.key'), '--id', 'disk', '--case', 'C-1', '--purpose', 'investigation', '--legal-basis', 'test', '-o', p(out), ...extra];

describe('SIGINT/SIGTERM remove the temp output and exit 130/143', () => {
  it('SIGINT during a 1 GiB seal: exit 130, "custos: interrupted", no temp file, no output', async () => {
    const r = await interrupt(seal('big.img', 'big.age'), 'big.age', 'SIGINT');
    expect(r.seen, 'the seal finished before the signal').not.toBe('');
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('custos: interrupted');
    expect(r.stdout).toBe('');
    expect(temps()).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('big.age'))).toEqual([]);
  }, 90_000);

  it('SIGTERM during a 1 GiB seal with --json: exit 143 and one error object', async () => {
    const r = await interrupt(seal('big.img', 'big.age', ['--json']), 'big.age', 'SIGTERM');
    expect(r.seen).not.toBe('');
    expect(r.code, r.stderr).toBe(143);
    expect(JSON.parse(r.stdout)).toEqual({ schema: 'custos/error/1', ok: false, error: { code: 'ERR_INTERRUPTED', message: 'interrupted by SIGTERM' }, exit: 143 });
    expect(temps()).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('big.age'))).toEqual([]);
  }, 90_000);

  it('bundle create and open -o: interrupted, nothing left; completed, the outputs appear', async () => {
    const s = runCli(cli, seal('mid.img', 'mid.age'));
    expect(s.code, s.stderr).toBe(0);
    const create = ['bundle', 'create', '-k', p('ex.key'), '-o', p('b.tar'), '--item', `disk=${p('mid.age')}`, '--seal', `disk=${p('mid.age.cose')}`, '--case', 'C-1'];
    const bi = await interrupt(create, 'b.tar', 'SIGINT');
    expect(bi.seen).not.toBe('');
    expect(bi.code, bi.stderr).toBe(130);
    expect(bi.stderr).toContain('custos: interrupted');
    expect(temps()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('b.tar');
    const b = runCli(cli, create);
    expect(b.code, b.stderr).toBe(0);
    const trust = p('trust.json');
    const pk = runCli(cli, ['pubkey', p('ex.key'), p('rq.key')]);
    expect(pk.code).toBe(0);
    writeFileSync(trust, pk.stdout);
    // no custody chain and no request in this bundle: those two requirements are waived by name
    const open = ['open', p('b.tar'), 'disk', '-k', p('rq.key'), '--trust', trust, '--no-context-check', '--waive', 'custody', '--waive', 'binding', '-o', p('opened.img')];
    const oi = await interrupt(open, 'opened.img', 'SIGTERM');
    expect(oi.seen).not.toBe('');
    expect(oi.code, oi.stderr).toBe(143);
    expect(oi.stderr).toContain('custos: interrupted');
    expect(temps()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('opened.img');
    const o = runCli(cli, open);
    expect(o.code, o.stderr).toBe(0);
    expect(statSync(p('opened.img')).size).toBe(256 * 1024 * 1024);
  }, 120_000);
});
