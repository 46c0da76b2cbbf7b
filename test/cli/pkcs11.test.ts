/**
 * The CLI with a token key (a real spawned `custos`, SoftHSM2): `custos pubkey --signer pkcs11:…`
 * prints the token key's trust-store entry; `seal` and `bundle create` sign on the token; the
 * ordinary `custos verify` accepts the bundle. The PIN comes from CUSTOS_PKCS11_PIN and the
 * module from the URI or CUSTOS_PKCS11_MODULE, never from an argument.
 *
 * Failures tested: a wrong PIN exits non-zero with ERR_PKCS11_PIN and without the PIN in its
 * output; --signer pkcs11:… without --authority is a usage error; -k and --signer together too.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, createChain, serializeChain, sha256, TrustStore } from '../../src/index.js';
import { openPkcs11Signer } from '../../src/node/index.js';
import { buildCli, cleanupCli, runCli } from './build.js';
import { createTestToken, skipReason, tokenUri, USER_PIN, type TestToken } from '../node/pkcs11/softhsm.js';

const reason = skipReason();
if (reason !== undefined) console.warn(`[pkcs11 cli] ${reason}`);

describe.skipIf(reason !== undefined)('custos with --signer pkcs11:…', () => {
  let t: TestToken;
  let cli: string;
  let dir: string;
  let env: Record<string, string>;
  const custos = (args: string[], extra: Record<string, string> = {}) => runCli(cli, args, undefined, { ...env, ...extra });

  beforeAll(async () => {
    t = createTestToken('garda-hsm');
    t.generate('EdDSA', 'exec-2026', Uint8Array.of(1));
    cli = await buildCli();
    dir = mkdtempSync(join(tmpdir(), 'custos-cli-pkcs11-'));
    env = { SOFTHSM2_CONF: process.env['SOFTHSM2_CONF']!, CUSTOS_PKCS11_PIN: USER_PIN, CUSTOS_PKCS11_MODULE: t.module };
  }, 120_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    t?.dispose();
    cleanupCli();
  });

  it('pubkey, seal, bundle create on the token; custos verify accepts the bundle', async () => {
    const uri = tokenUri(t, 'object=exec-2026', '');
    expect(custos(['keygen', '--id', 'AT-STA', '--jurisdiction', 'AT', '--role', 'custodian', '-o', join(dir, 'requester.key')]).code).toBe(0);
    const pub = custos(['pubkey', join(dir, 'requester.key'), '--signer', uri, '--authority', 'IE-GARDA', '--jurisdiction', 'IE', '--role', 'collector', '--role', 'custodian']);
    expect(pub.stderr).toBe('');
    expect(pub.code).toBe(0);
    const trustDoc = JSON.parse(pub.stdout);
    const trust = TrustStore.parse(trustDoc);
    expect(trustDoc.authorities.map((a: { id: string }) => a.id)).toEqual(['AT-STA', 'IE-GARDA']);

    const plain = new TextEncoder().encode('mail server image\n'.repeat(1000));
    writeFileSync(join(dir, 'disk.img'), plain);
    writeFileSync(join(dir, 'trust.json'), pub.stdout);
    const seal = custos(['seal', join(dir, 'disk.img'), '--signer', uri, '--authority', 'IE-GARDA', '--to', join(dir, 'requester.key'), '--id', 'disk', '--case', 'C-1', '--request', 'REQ-1', '--purpose', 'investigation', '--legal-basis', 'Directive 2014/41/EU', '-o', join(dir, 'disk.age')]);
    expect(seal.stderr.includes('ERR_'), seal.stderr).toBe(false);
    expect(seal.code).toBe(0);

    // The custody chain, signed on the token through the library (the CLI has no custody command).
    const signer = await openPkcs11Signer(tokenUri(t, 'object=exec-2026'), { pin: USER_PIN });
    let chain = createChain('REQ-1/disk'); // a chain id names its request and item
    try {
      chain = (await appendEvent(chain, { type: 'collected', actor: { authority: 'IE-GARDA', role: 'collector' }, purpose: 'investigation', digests: { 'sha-256': sha256(plain) } }, signer, { trust })).chain;
    } finally {
      await signer.close();
    }
    writeFileSync(join(dir, 'disk.chain'), serializeChain(chain));

    const b = custos(['bundle', 'create', '--signer', uri, '--authority', 'IE-GARDA', '-o', join(dir, 'bundle.tar'), '--case', 'C-1', '--request', 'REQ-1', '--item', `disk=${join(dir, 'disk.age')}`, '--seal', `disk=${join(dir, 'disk.age.cose')}`, '--custody', `disk=${join(dir, 'disk.chain')}`]);
    expect(b.stderr.includes('ERR_'), b.stderr).toBe(false);
    expect(b.code).toBe(0);
    const v = custos(['verify', join(dir, 'bundle.tar'), '--trust', join(dir, 'trust.json'), '--json']);
    const report = JSON.parse(v.stdout);
    expect(report.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(v.code).toBe(0);
    expect(readFileSync(join(dir, 'bundle.tar')).length).toBeGreaterThan(plain.length);
  });

  // script(1) gives the CLI a pseudo-terminal: what the user sees, echo included, is captured.
  it.skipIf(!existsSync('/usr/bin/script'))('asks for the PIN on the terminal without echoing it', async () => {
    const uri = tokenUri(t, 'object=exec-2026', '');
    const { CUSTOS_PKCS11_PIN: _drop, ...noPin } = { ...process.env, ...env };
    void _drop;
    const cmd = [process.execPath, cli, 'pubkey', '--signer', `'${uri}'`, '--authority', 'IE-GARDA'].join(' ');
    // The PIN is typed once the prompt is up (typed-ahead input would be echoed by the terminal
    // before the CLI turns echo off, as with any program): wait for the prompt, then type.
    const r = await new Promise<{ stdout: string; status: number | null }>((resolve, reject) => {
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: { ...noPin, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      let typed = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => {
        stdout += c;
        if (!typed && stdout.includes('PIN for token')) {
          typed = true;
          child.stdin.write(`${USER_PIN}\r`);
        }
      });
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        child.stdin.destroy();
        resolve({ stdout, status });
      });
    });
    expect(r.stdout).toContain('PIN for token "garda-hsm"');
    expect(r.stdout).toContain('"IE-GARDA"');
    expect(r.stdout).not.toContain(USER_PIN);
    expect(r.status).toBe(0);
  });

  it('a wrong PIN fails with ERR_PKCS11_PIN and never prints the PIN; usage errors for missing --authority and -k with --signer', () => {
    const uri = tokenUri(t, 'object=exec-2026', '');
    const bad = custos(['pubkey', '--signer', uri, '--authority', 'IE-GARDA'], { CUSTOS_PKCS11_PIN: 'Wrong-PIN-913' });
    expect(bad.code).not.toBe(0);
    expect(`${bad.stdout}${bad.stderr}`).toContain('ERR_PKCS11_PIN');
    expect(`${bad.stdout}${bad.stderr}`).not.toContain('Wrong-PIN-913');
    // No PIN anywhere and no terminal to ask on: a clear error, not a hang.
    const none = runCli(cli, ['pubkey', '--signer', uri, '--authority', 'IE-GARDA'], '', { ...env, CUSTOS_PKCS11_PIN: '' });
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('ERR_PKCS11_PIN');
    expect(custos(['pubkey', '--signer', uri]).code).toBe(2);
    expect(custos(['bundle', 'create', '-k', join(dir, 'requester.key'), '--signer', uri, '--authority', 'X', '-o', join(dir, 'x.tar'), '--item', 'a=b']).code).toBe(2);
  });
});
