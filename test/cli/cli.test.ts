/**
 * End-to-end tests of the `custos` command: spawned as a real process (sources through tsx),
 * checking exit codes, `--json` output, `-` piping, tamper detection on a real bundle made by
 * the demo, and interop with the real `age` CLI after `tar -x`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { toHex } from '../../src/bytes.js';
import { runDemo, type DemoResult } from '../../src/cli/demo/run.js';
import { readTarIndex, TAR_END, tarHeader } from '../../src/bundle/tar.js';

import { buildCli, cleanupCli, runCli } from './build.js';

let cli: string;
function custos(args: string[], input?: string | Uint8Array): { code: number; stdout: string; stderr: string } {
  return runCli(cli, args, input);
}

let demo: DemoResult;
let dir: string;

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-cli-'));
  const lines: string[] = [];
  demo = await runDemo({ dir: join(dir, 'demo'), imageSize: 3 * 65536 + 17, print: (l) => lines.push(l) });
  if (!demo.ok) throw new Error(lines.join('\n'));
});

afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const unsealed = (): string[] => (demo.omitted.some((o) => o.startsWith('seals')) ? ['--allow-unsealed'] : []);

describe('custos CLI', () => {
  it('the demo bundle verifies (exit 0) and --json prints exactly one report object', () => {
    const r = custos(['verify', demo.bundle, '--trust', demo.trust, '--json', ...unsealed()]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.check)).toEqual(expect.arrayContaining(['tar', 'manifest.signature', 'manifest.files', 'file.digest', 'custody', 'checkpoint', 'witness.quorum']));
  });

  it('reads the bundle and the trust store from stdin with -', () => {
    const r = custos(['verify', demo.bundle, '--trust', '-', ...unsealed()], readFileSync(demo.trust, 'utf8'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/VERIFIED/);
    const r2 = custos(['verify', '-', '--trust', demo.trust, '--json', ...unsealed()], readFileSync(demo.bundle));
    expect(r2.code, r2.stderr).toBe(0);
    expect(JSON.parse(r2.stdout).ok).toBe(true);
  });

  it('a bundle with a single byte changed fails (exit 1; 3 when the tar structure itself is broken) and names the failed check', async () => {
    const bytes = new Uint8Array(readFileSync(demo.bundle));
    const idx = await readTarIndex(async (o, n) => bytes.slice(o, o + n), bytes.length);
    const at = (name: string, off: number): number => idx.find((e) => e.name.startsWith(name))!.offset + off;
    // Sample positions: tar header, item ciphertext (start, middle, end), custody chain, checkpoint, manifest.
    const cases: [string, number, string][] = [
      ['tar header', 100, 'tar'],
      ['disk ciphertext header', at('items/disk.age', 10), 'file.digest'],
      ['disk ciphertext middle', at('items/disk.age', 70_000), 'file.digest'],
      ['custody chain', at('custody/subscriber', 40), 'file.digest'],
      ['checkpoint', at('checkpoints/', 5), 'file.digest'],
      ['manifest signature', at('manifest.cose', idx.find((e) => e.name === 'manifest.cose')!.size - 3), 'manifest.signature'],
      ['end marker', bytes.length - 1, 'tar'],
    ];
    for (const [what, pos, check] of cases) {
      const b = bytes.slice();
      b[pos] = b[pos]! ^ 0x01;
      const p = join(dir, 'tampered.tar');
      writeFileSync(p, b);
      const r = custos(['verify', p, '--trust', demo.trust, '--json', ...unsealed()]);
      // a broken tar structure is not a readable bundle (input error, 3); anything else fails (1)
      expect(r.code, `${what}: ${r.stderr}`).toBe(check === 'tar' ? 3 : 1);
      const report = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; ok: boolean; code?: string }[] };
      expect(report.ok).toBe(false);
      const failed = report.checks.filter((c) => !c.ok);
      expect(failed.map((c) => c.check), what).toContain(check);
      for (const f of failed) expect(f.code, what).toMatch(/^ERR_/);
    }
  });

  it('a trust store that does not know the signer fails verification (exit 1)', () => {
    const other = join(dir, 'other.key');
    expect(custos(['keygen', '--id', 'XX-OTHER', '-o', other]).code).toBe(0);
    const t = custos(['pubkey', other]);
    writeFileSync(join(dir, 'other.json'), t.stdout);
    const r = custos(['verify', demo.bundle, '--trust', join(dir, 'other.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL manifest\.signature.*ERR_KEY_UNKNOWN/);
  });

  it('exit codes: 2 for usage errors, 3 for unreadable or malformed input, 0 for --help', () => {
    expect(custos([]).code).toBe(2);
    expect(custos(['frobnicate']).code).toBe(2);
    expect(custos(['verify']).code).toBe(2);
    expect(custos(['verify', demo.bundle, '--bogus']).code).toBe(2);
    // issue 16, defect 4: unreadable or non-bundle input is exit 3 (it was 1, like a tampered bundle)
    const missing = custos(['verify', join(dir, 'nope.tar'), '--trust', demo.trust, '--json']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, readable: false, checks: [{ check: 'tar', ok: false }] });
    const notTar = join(dir, 'not-a.tar');
    writeFileSync(notTar, 'this is not a tar archive\n'.repeat(40));
    expect(custos(['verify', notTar, '--trust', demo.trust]).code).toBe(3);
    const empty = join(dir, 'empty.tar');
    writeFileSync(empty, '');
    expect(custos(['verify', empty, '--trust', demo.trust]).code).toBe(3);
    expect(custos(['verify', dir, '--trust', demo.trust]).code).toBe(3); // a directory
    const noManifest = join(dir, 'no-manifest.tar');
    writeFileSync(noManifest, new Uint8Array([...tarHeader('items/x.age', 1), 0x61, ...new Uint8Array(511), ...TAR_END]));
    expect(custos(['verify', noManifest, '--trust', demo.trust]).code).toBe(3); // a tar, but not a bundle
    const openMissing = custos(['open', join(dir, 'nope.tar'), 'disk', '-k', demo.requesterKey, '--trust', demo.trust, '--no-context-check', '-o', join(dir, 'nope.out')]);
    expect(openMissing.code).toBe(3);
    const badTrust = join(dir, 'bad.json');
    writeFileSync(badTrust, '{"version":2}');
    const bt = custos(['verify', demo.bundle, '--trust', badTrust, '--json']);
    expect(bt.code).toBe(3);
    expect(JSON.parse(bt.stdout).error.code).toBe('ERR_TRUST_STORE');
    expect(custos(['inspect', join(dir, 'nope.tar')]).code).toBe(3);
    const h = custos(['verify', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/example:\n {2}custos verify/);
  });

  it('every command has --help with an example', async () => {
    const top = custos(['--help']);
    expect(top.code).toBe(0);
    const names = [...top.stdout.matchAll(/^ {2}([a-z]+(?: [a-z]+)?) {2,}/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThanOrEqual(18);
    // In-process for speed: the dispatcher is the same code the spawned CLI runs.
    const { run } = await import('../../src/cli/run.js');
    const write = process.stdout.write.bind(process.stdout);
    for (const n of names) {
      let out = '';
      process.stdout.write = ((c: string | Uint8Array) => {
        out += String(c);
        return true;
      }) as typeof process.stdout.write;
      let code: number;
      try {
        code = await run([...n.split(' '), '--help']);
      } finally {
        process.stdout.write = write;
      }
      expect(code, n).toBe(0);
      expect(out, n).toMatch(/\nexample:\n {2}custos /);
    }
  });

  it('keygen writes a 0600 key file and refuses to overwrite it; pubkey prints a trust store', () => {
    const k = join(dir, 'k.key');
    const r = custos(['keygen', '--pq', '--id', 'FR-TEST', '--jurisdiction', 'FR', '-o', k, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { recipients: string[] };
    expect(out.recipients[0]).toMatch(/^age1pq1/);
    expect(out.recipients[1]).toMatch(/^age1[02-9ac-hj-np-z]+$/);
    expect(statSync(k).mode & 0o777).toBe(0o600);
    expect(custos(['keygen', '--id', 'FR-TEST', '-o', k]).code).toBe(3); // ERR_EXISTS: never replaced without --force
    const t = JSON.parse(custos(['pubkey', k]).stdout) as { authorities: { id: string; keys: { ageRecipients: string[] }[] }[] };
    expect(t.authorities[0]!.id).toBe('FR-TEST');
    expect(t.authorities[0]!.keys[0]!.ageRecipients).toEqual(out.recipients);
    expect(JSON.stringify(t)).not.toMatch(/AGE-SECRET-KEY|secret/);
  });

  it('inspect shows the items and the custody files', () => {
    const r = custos(['inspect', demo.bundle]);
    expect(r.code, r.stderr).toBe(0);
    for (const id of ['disk', 'subscriber', 'traffic']) expect(r.stdout).toContain(`item ${id}`);
    expect(r.stdout).toContain('custody/disk.cbor');
    const j = custos(['inspect', demo.bundle, '--json']);
    expect(JSON.parse(j.stdout).items).toHaveLength(3);
  });

  it('the bundle items are post-quantum only; the classic copy beside the bundle opens with the real age -d', async () => {
    const out = join(dir, 'x');
    mkdirSync(out);
    execFileSync('tar', ['-xf', demo.bundle, '-C', out]);
    // every item carries mlkem768x25519 stanzas only: no X25519 stanza that would undo the PQ claim
    for (const id of ['disk', 'subscriber', 'traffic']) {
      const header = readFileSync(join(out, 'items', `${id}.age`)).subarray(0, 4096).toString('latin1');
      const types = [...header.matchAll(/^-> (\S+)/gm)].map((m) => m[1]);
      expect(types, id).toEqual(['mlkem768x25519']);
    }
    const key = JSON.parse(readFileSync(demo.requesterKey, 'utf8')) as { age: { identity: string }[] };
    const x25519 = key.age.find((a) => a.identity.startsWith('AGE-SECRET-KEY-1'))!.identity;
    expect(readFileSync(demo.classicIdentity, 'utf8')).toBe(`${x25519}\n`);
    expect(statSync(demo.classicIdentity).mode & 0o777).toBe(0o600);
    // the X25519 key no longer opens the bundle's item (age 1.1 here has no PQ support either)
    expect(() => execFileSync('age', ['-d', '-i', demo.classicIdentity, join(out, 'items', 'disk.age')], { stdio: 'pipe' })).toThrow();
    // the classic copy does, and it is the image the bundle sealed: the bytes custos open returns
    const plain = execFileSync('age', ['-d', '-i', demo.classicIdentity, demo.classicCopy], { maxBuffer: 64 * 1024 * 1024 });
    expect(plain.length).toBe(3 * 65536 + 17);
    const opened = join(dir, 'opened-disk.img');
    const o = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, '--request', 'AT-WKSTA-2026-000417', '--purpose', 'investigation', '-o', opened, ...unsealed()]);
    expect(o.code, o.stderr).toBe(0);
    expect(toHex(crypto.sha256(new Uint8Array(plain)))).toBe(toHex(crypto.sha256(new Uint8Array(readFileSync(opened)))));
  });
});
