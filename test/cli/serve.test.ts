// `custos serve witness` and `custos serve log` as real processes on loopback: the log serves
// its tiles, takes an authenticated append, and publishes the checkpoint its witness cosigned;
// both stop cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { verifyRemoteInclusion } from '../../src/server/index.js';
import { buildCli, cleanupCli, repoRoot, runCli } from './build.js';

let cli: string;
const tmp = mkdtempSync(join(tmpdir(), 'custos-serve-'));
const children = new Set<ChildProcess>();
beforeAll(async () => {
  cli = await buildCli();
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  cleanupCli();
  rmSync(tmp, { recursive: true, force: true });
});

function serve(args: string[]): Promise<{ child: ChildProcess; url: string; out: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    children.add(child);
    const out: string[] = [];
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      out.push(...buf.split('\n').slice(0, -1));
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
      const l = out.find((x) => x.startsWith('listening '));
      if (l) resolve({ child, url: l.slice('listening '.length), out });
    });
    child.on('exit', (c) => {
      children.delete(child);
      reject(new Error(`exited ${c}: ${err}`));
    });
  });
}
const exit = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.on('exit', (code) => r(code))));

describe('custos serve', () => {
  it('serve witness + serve log: append over HTTP, witnessed checkpoint, clean stop', async () => {
    const dir = join(tmp, 'log');
    const init = runCli(cli, ['log', 'init', dir, '--origin', 'serve.example.org/log', '--key', join(tmp, 'log.key')]);
    expect(init.code, init.stderr).toBe(0);
    const vkey = init.stdout.trim();
    const w = await serve(['serve', 'witness', '--key', join(tmp, 'w.skey'), '--name', 'w.example.org', '--log', vkey, '--state', join(tmp, 'w.json'), '--listen', '127.0.0.1:0']);
    const wkey = w.out.find((l) => l.startsWith('witness key '))!.slice('witness key '.length);
    writeFileSync(join(tmp, 'tokens'), 'cli-token-0123456789abcdef\n');
    const l = await serve(['serve', 'log', dir, '--key', join(tmp, 'log.key'), '--listen', '127.0.0.1:0', '--token-file', join(tmp, 'tokens'), '--witness', `${w.url}/=${wkey}`, '--quorum', '1']);
    const r = await fetch(`${l.url}/add`, { method: 'POST', body: 'custody event', headers: { Authorization: 'Bearer cli-token-0123456789abcdef' }, signal: AbortSignal.timeout(10_000) });
    expect(r.status).toBe(200);
    const { index } = (await r.json()) as { index: number };
    expect(index).toBe(0);
    const policy = { log: [vkey], witnesses: [wkey], quorum: 1 };
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      const cp = await (await fetch(`${l.url}/checkpoint`)).text();
      ok = verifyCheckpoint(cp, policy).checkpoint?.size === 1;
      if (!ok) await new Promise((res) => setTimeout(res, 50));
    }
    expect(ok).toBe(true);
    expect((await verifyRemoteInclusion(`${l.url}/`, 0, policy, { entry: new TextEncoder().encode('custody event') })).ok).toBe(true);
    expect((await fetch(`${l.url}/add`, { method: 'POST', body: 'x' })).status).toBe(401);
    const exits = [exit(l.child), exit(w.child)]; // listen before the signals: either may exit first
    l.child.kill('SIGTERM');
    w.child.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0]);
  }, 60_000);
});
