/**
 * The CLI's conventions, run for real: --quiet prints the verdict only (verify, open, log
 * verify) or only the primary result (seal, keygen), nothing on stderr; --force is the only way
 * to replace an output (seal, open -o, demo --dir). Attacks, each tested: a quiet run that shows
 * a plain VERIFIED for a qualified result (waivers, --no-context-check), a quiet failure that
 * prints no verdict, an existing output replaced without --force, a refusal that still changes
 * the existing file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoResult } from '../../src/cli/demo/run.js';
import { buildCli, cleanupCli, runCli } from './build.js';

let cli: string;
let dir: string;
let demo: DemoResult;
const p = (n: string): string => join(dir, n);
const custos = (args: string[]) => runCli(cli, args);
const unsealed = (): string[] => (demo.omitted.some((o) => o.startsWith('seals')) ? ['--allow-unsealed'] : []);
const ctx = ['--request', 'AT-WKSTA-2026-000417', '--purpose', 'investigation'];

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-conv-'));
  demo = await runDemo({ dir: p('demo'), imageSize: 80_000, print: () => undefined });
  writeFileSync(p('plain.bin'), 'evidence\n');
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

describe('--quiet', () => {
  it('verify prints the verdict line only; a failure prints NOT VERIFIED only', () => {
    const ok = custos(['verify', demo.bundle, '--trust', demo.trust, '--quiet', ...unsealed()]);
    expect(ok.code).toBe(0);
    expect(lines(ok.stdout)).toHaveLength(1);
    expect(ok.stdout).toMatch(unsealed().length > 0 ? /^VERIFIED WITH WAIVERS: seal/ : /^VERIFIED: \d+ checks passed/);
    expect(ok.stderr).toBe('');
    // a trust store that knows no signer: every signature check fails
    writeFileSync(p('other-trust.json'), JSON.stringify({ version: 1, authorities: [] }));
    const nt = custos(['verify', demo.bundle, '--trust', p('other-trust.json'), '--quiet']);
    expect(nt.code).toBe(1);
    expect(lines(nt.stdout)).toEqual([expect.stringMatching(/^NOT VERIFIED: /)]);
  });

  it('open -o prints one verdict line naming what was not checked; a refusal prints NOT VERIFIED', () => {
    const o = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, ...ctx, '-o', p('disk.img'), '--quiet', ...unsealed()]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stderr).toBe('');
    expect(lines(o.stdout)).toEqual([expect.stringMatching(unsealed().length > 0 ? /^VERIFIED WITH WAIVERS: seal: disk opened to / : /^VERIFIED: disk opened to /)]);
    const nc = custos(['open', demo.bundle, 'subscriber', '-k', demo.requesterKey, '--trust', demo.trust, '--no-context-check', '-o', p('sub.bin'), '--quiet', ...unsealed()]);
    expect(nc.code).toBe(0);
    expect(lines(nc.stdout)).toEqual([expect.stringMatching(/opened to .* \(context NOT checked\)$/)]);
    const refused = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, '--request', 'OTHER', '--purpose', 'investigation', '-o', p('no.img'), '--quiet', ...unsealed()]);
    expect(refused.code).toBe(1);
    expect(lines(refused.stdout)).toEqual(['NOT VERIFIED: disk not opened (ERR_CONTEXT_MISMATCH)']);
    expect(refused.stderr).toContain('ERR_CONTEXT_MISMATCH'); // errors are never silenced
  });

  it('log verify prints the verdict line only', () => {
    const ld = p('log');
    const init = custos(['log', 'init', ld, '--origin', 'q.example/log', '--key', p('log.key'), '--quiet']);
    expect(init.code).toBe(0);
    expect(custos(['log', 'append', ld, p('plain.bin'), '--key', p('log.key'), '--quiet']).stdout).toBe('0\n');
    writeFileSync(p('proof'), custos(['log', 'prove', ld, '0', '--key', p('log.key')]).stdout);
    writeFileSync(p('log-trust.json'), JSON.stringify({ version: 1, authorities: [], logs: [{ origin: 'q.example/log', vkey: init.stdout.trim() }] }));
    const v = custos(['log', 'verify', p('proof'), p('plain.bin'), '--trust', p('log-trust.json'), '--quiet']);
    expect(v.code).toBe(0);
    expect(lines(v.stdout)).toEqual([expect.stringMatching(/^VERIFIED: entry 0 is in q\.example\/log at size 1$/)]);
    const f = custos(['log', 'verify', p('proof'), p('log-trust.json'), '--trust', p('log-trust.json'), '--quiet']);
    expect(f.code).toBe(1);
    expect(lines(f.stdout)).toEqual(['NOT VERIFIED']);
  });

  it('seal and keygen print only their primary result, nothing on stderr', () => {
    const k = custos(['keygen', '--id', 'XX-Q', '-o', p('q.key'), '--quiet']);
    expect(k.code).toBe(0);
    expect(k.stderr).toBe('');
    expect(lines(k.stdout).every((l) => l.startsWith('age1'))).toBe(true);
    const s = custos(['seal', p('plain.bin'), '-k', p('q.key'), '--to', demo.requesterKey, '--id', 'plain', '--case', 'C-1', '--purpose', 'investigation', '--legal-basis', 'test', '-o', p('plain.age'), '--quiet']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toBe('');
    expect(lines(s.stdout)).toEqual([expect.stringMatching(/^[0-9a-f]{64}  .*plain\.bin$/)]);
  });
});

describe('--force', () => {
  it('seal refuses an existing .age or seal file (ERR_EXISTS, exit 3, file unchanged); --force replaces', () => {
    const args = ['seal', p('plain.bin'), '-k', p('q.key'), '--to', demo.requesterKey, '--id', 'plain', '--case', 'C-1', '--purpose', 'investigation', '--legal-basis', 'test', '-o', p('f.age')];
    writeFileSync(p('f.age.cose'), 'an existing seal');
    const r = custos(args);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_EXISTS');
    expect(readFileSync(p('f.age.cose'), 'utf8')).toBe('an existing seal');
    expect(() => readFileSync(p('f.age'))).toThrow(); // refused before any byte was read
    const f = custos([...args, '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(readFileSync(p('f.age.cose'), 'utf8')).not.toBe('an existing seal');
  });

  it('open -o refuses an existing file; --force replaces it with the verified plaintext', () => {
    writeFileSync(p('out.img'), 'keep me');
    const args = ['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, ...ctx, '-o', p('out.img'), ...unsealed()];
    const r = custos(args);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_EXISTS');
    expect(readFileSync(p('out.img'), 'utf8')).toBe('keep me');
    expect(custos([...args, '--force']).code).toBe(0);
    expect(readFileSync(p('out.img')).length).toBe(80_000);
  });

  it('open -o naming the bundle itself is a usage error, with --force too: the bundle is kept', () => {
    // Regression: `open B disk -o B --force` exited 0 and replaced the signed bundle by the plaintext
    const before = readFileSync(demo.bundle);
    const r = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, ...ctx, '-o', demo.bundle, '--force', ...unsealed()]);
    expect(r.code, r.stderr).toBe(2);
    expect(Buffer.compare(readFileSync(demo.bundle), before)).toBe(0);
  });

  it('demo --dir refuses a directory that is not empty; --force replaces only the demo artefacts', () => {
    const d = p('demo-dir');
    mkdirSync(d);
    writeFileSync(join(d, 'trust.json'), 'my own trust store');
    writeFileSync(join(d, 'notes.txt'), 'mine');
    const r = custos(['demo', '--dir', d, '--image-size', '70k']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('ERR_EXISTS');
    expect(readFileSync(join(d, 'trust.json'), 'utf8')).toBe('my own trust store');
    const f = custos(['demo', '--dir', d, '--image-size', '70k', '--force', '--quiet']);
    expect(f.code, f.stderr).toBe(0);
    expect(lines(f.stdout)).toEqual([`DONE: ${d}`]);
    expect(JSON.parse(readFileSync(join(d, 'trust.json'), 'utf8')).version).toBe(1);
    expect(readFileSync(join(d, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
