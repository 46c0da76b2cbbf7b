/** End-to-end tests of the remaining commands: open, rewrap, redact, log, request. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { toHex } from '../../src/bytes.js';
import { runDemo, type DemoResult } from '../../src/cli/demo/run.js';
import { buildCli, cleanupCli, repoRoot, runCli } from './build.js';

let cli: string;
let demo: DemoResult;
let dir: string;
const custos = (args: string[], input?: string | Uint8Array) => runCli(cli, args, input);
const IMAGE = 100_000;

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-cmd-'));
  demo = await runDemo({ dir: join(dir, 'demo'), imageSize: IMAGE, print: () => undefined });
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const unsealed = (): string[] => (demo.omitted.some((o) => o.startsWith('seals')) ? ['--allow-unsealed'] : []);

describe('custos open / rewrap', () => {
  it('open writes the verified plaintext; a wrong expected request is refused without output', () => {
    const out = join(dir, 'disk.img');
    const r = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, '--request', 'AT-WKSTA-2026-000417', '--purpose', 'investigation', '-o', out, '--json', ...unsealed()]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { size: number; sha256: string };
    const img = new Uint8Array(readFileSync(out));
    expect(img.length).toBe(IMAGE);
    expect(toHex(crypto.sha256(img))).toBe(res.sha256);
    const bad = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, '--request', 'OTHER', '--purpose', 'investigation', '-o', join(dir, 'no.img'), ...unsealed()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ERR_CONTEXT_MISMATCH');
    expect(() => readFileSync(join(dir, 'no.img'))).toThrow();
    const missing = custos(['open', demo.bundle, 'nope', '-k', demo.requesterKey, '--trust', demo.trust, '--no-context-check', '-o', join(dir, 'x'), ...unsealed()]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('ERR_ITEM_NOT_FOUND');
  });

  it('issue 17: open requires --request and --purpose or --no-context-check; verify never prints a plain VERIFIED with waivers or for part of a bundle', () => {
    const none = custos(['open', demo.bundle, 'disk', '-k', demo.requesterKey, '--trust', demo.trust, '-o', join(dir, 'ctx.img'), ...unsealed()]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--no-context-check');
    const unchecked = custos(['open', demo.bundle, 'subscriber', '-k', demo.requesterKey, '--trust', demo.trust, '--no-context-check', '-o', join(dir, 'ctx.bin'), ...unsealed()]);
    expect(unchecked.code).toBe(0);
    expect(unchecked.stderr).toContain('context NOT checked');
    const all = custos(['verify', demo.bundle, '--trust', demo.trust, ...unsealed()]);
    expect(all.stdout).toMatch(unsealed().length > 0 ? /VERIFIED WITH WAIVERS: seal/ : /\nVERIFIED: \d+ checks passed/);
    const part = custos(['verify', demo.bundle, '--trust', demo.trust, '--item', 'disk', ...unsealed()]);
    expect(part.code).toBe(0);
    expect(part.stdout).toMatch(/items NOT checked: subscriber, traffic/);
    expect(part.stdout).not.toMatch(/\nVERIFIED: /);
    const waived = custos(['verify', demo.bundle, '--trust', demo.trust, '--waive', 'custody.logged']);
    expect(waived.stdout).toMatch(/VERIFIED WITH WAIVERS: (seal, )?custody\.logged/);
    expect(custos(['verify', demo.bundle, '--trust', demo.trust, '--waive', 'all']).code).toBe(2);
  });

  it('a reader that closes the pipe early ends custos quietly (EPIPE) with 141, never 0 (the end-of-stream digest check did not run), and a non-TTY stderr gets no progress bar', () => {
    const cmd = `"${process.execPath}" "${cli}" open "${demo.bundle}" disk -k "${demo.requesterKey}" --trust "${demo.trust}" --no-context-check ${unsealed().join(' ')} | head -c 10 > /dev/null; echo "status=\${PIPESTATUS[0]}"`;
    const out = execFileSync('bash', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.trim()).toBe('status=141');
    const v = custos(['verify', demo.bundle, '--trust', demo.trust, ...unsealed()]);
    expect(v.code).toBe(0);
    expect(v.stderr).toBe('');
  });

  it('open - streams to stdout', () => {
    const r = runCli(cli, ['open', demo.bundle, 'subscriber', '-k', demo.requesterKey, '--trust', demo.trust, '--no-context-check', ...unsealed()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(100);
  });

  it('rewrap adds a recipient without touching the payload; a classic one only by opt-in; the new key opens it with age -d', () => {
    execFileSync('tar', ['-xf', demo.bundle, '-C', dir, 'items/disk.age']);
    const src = join(dir, 'items', 'disk.age');
    const k2 = join(dir, 'court.key');
    expect(custos(['keygen', '--id', 'AT-COURT', '-o', k2]).code).toBe(0);
    const court = JSON.parse(readFileSync(k2, 'utf8')) as { age: { identity: string; recipient: string }[] };
    const out = join(dir, 'disk-court.age');
    // the demo's items are post-quantum only: adding an X25519 recipient is refused unless asked for
    const refused = custos(['rewrap', src, '-k', demo.requesterKey, '--add', court.age[0]!.recipient, '-o', out, '--json']);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout).error.code).toBe('ERR_PQ_MIXED');
    const r = custos(['rewrap', src, '-k', demo.requesterKey, '--add', court.age[0]!.recipient, '--allow-mixed-pq', '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const before = readFileSync(src);
    const after = readFileSync(out);
    const tail = (b: Buffer, off: number) => b.subarray(off);
    const oldHeader = before.indexOf('\n---') + before.subarray(before.indexOf('\n---') + 1).indexOf('\n') + 2;
    const newHeader = JSON.parse(r.stdout).headerBytes as number;
    expect(tail(after, newHeader).equals(tail(before, oldHeader))).toBe(true);
    const idFile = join(dir, 'court.txt');
    writeFileSync(idFile, `${court.age[0]!.identity}\n`, { mode: 0o600 });
    expect(execFileSync('age', ['-d', '-i', idFile, out]).length).toBe(IMAGE);
  });
});

describe('custos seal → bundle create → verify, by hand', () => {
  it('seals a file, bundles it, and the bundle verifies with the pubkey trust store', () => {
    const ex = join(dir, 'hand-ex.key');
    const rq = join(dir, 'hand-rq.key');
    expect(custos(['keygen', '--id', 'IE-HAND', '--role', 'custodian', '-o', ex]).code).toBe(0);
    expect(custos(['keygen', '--pq', '--id', 'AT-HAND', '-o', rq]).code).toBe(0);
    const src = join(dir, 'hand.bin');
    const data = crypto.randomBytes(70_000);
    writeFileSync(src, data);
    const age = join(dir, 'hand.age');
    const s = custos(['seal', src, '-k', ex, '--to', rq, '--id', 'hand', '--case', 'C-1', '--purpose', 'investigation', '--legal-basis', 'test', '-o', age, '--json']);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).sha256).toBe(toHex(crypto.sha256(data)));
    const b = join(dir, 'hand.tar');
    const c = custos(['bundle', 'create', '-k', ex, '-o', b, '--item', `hand=${age}`, '--seal', `hand=${age}.cose`, '--case', 'C-1']);
    expect(c.code, c.stderr).toBe(0);
    const trust = join(dir, 'hand-trust.json');
    writeFileSync(trust, custos(['pubkey', ex, rq]).stdout);
    const v = custos(['verify', b, '--trust', trust, '--json']);
    const rep = JSON.parse(v.stdout) as { checks: { check: string; ok: boolean; code?: string }[] };
    // sealed, but no custody chain was given, and the bundle names no request to bind to: those fail
    expect(rep.checks.filter((x) => !x.ok).map((x) => `${x.check}:${x.code}`)).toEqual(['custody:ERR_BUNDLE_MALFORMED', 'binding:ERR_BINDING_MISMATCH']);
    expect(rep.checks.filter((x) => x.ok).map((x) => x.check)).toEqual(expect.arrayContaining(['seal', 'seal.payload']));
    expect(v.code).toBe(1);
    const o = custos(['open', b, 'hand', '-k', rq, '--trust', trust, '--request', 'R-1', '--purpose', 'investigation']);
    expect(o.code).toBe(1); // refuses: the bundle does not verify
  });
});

describe('custos redact / log / request', () => {
  it('redact discloses only the policy paths for the purpose', () => {
    const rec = join(dir, 'rec.json');
    writeFileSync(rec, JSON.stringify({ account: 'a@x.example', subscriber: { name: 'N', phone: '+1' } }));
    const pol = join(dir, 'pol.json');
    writeFileSync(pol, JSON.stringify({ version: 1, id: 'p1', public: ['account'], purposes: { investigation: { categories: { subscriber: ['subscriber.name'] } } } }));
    const kf = join(dir, 'redact.key');
    expect(custos(['keygen', '--id', 'IE-X', '--role', 'disclosure-officer', '-o', kf]).code).toBe(0);
    const out = join(dir, 'pres.cbor');
    const r = custos(['redact', rec, '--policy', pol, '--purpose', 'investigation', '--category', 'subscriber', '--request', 'R1', '--audience', 'AT-X', '--nonce', 'n1', '--redactable', 'subscriber.name', '--redactable', 'subscriber.phone', '-k', kf, '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const ev = JSON.parse(r.stdout).event as { disclosedPaths: string[]; withheldCount: number };
    expect(ev.disclosedPaths).toEqual(['subscriber.name']);
    expect(ev.withheldCount).toBe(1);
    expect(readFileSync(out).includes('+1')).toBe(false);
    const denied = custos(['redact', rec, '--policy', pol, '--purpose', 'investigation', '--category', 'content', '--request', 'R1', '--audience', 'AT-X', '--nonce', 'n1', '--redactable', 'subscriber.name', '-k', kf, '-o', join(dir, 'pres-denied.cbor')]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain('ERR_POLICY_DENIED');
  });

  it('log init, append, prove and verify round-trip; a wrong entry fails with exit 1', () => {
    const ld = join(dir, 'log');
    const lk = join(dir, 'log.key');
    const init = custos(['log', 'init', ld, '--origin', 'test.example/log', '--key', lk, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const vkey = JSON.parse(init.stdout).vkey as string;
    const e1 = join(dir, 'e1');
    writeFileSync(e1, 'first entry');
    expect(custos(['log', 'append', ld, e1, '--key', lk]).stdout.trim()).toBe('0');
    expect(custos(['log', 'append', ld, '-', '--key', lk], 'second entry').stdout.trim()).toBe('1');
    const proof = custos(['log', 'prove', ld, '0', '--key', lk]);
    expect(proof.code).toBe(0);
    expect(proof.stdout.startsWith('c2sp.org/tlog-proof@v1\nindex 0\n')).toBe(true);
    const pf = join(dir, 'p0');
    writeFileSync(pf, proof.stdout);
    const trust = join(dir, 'log-trust.json');
    writeFileSync(trust, JSON.stringify({ version: 1, authorities: [], logs: [{ origin: 'test.example/log', vkey }] }));
    const ok = custos(['log', 'verify', pf, e1, '--trust', trust]);
    expect(ok.code, ok.stdout).toBe(0);
    const e2 = join(dir, 'e2');
    writeFileSync(e2, 'second entry');
    expect(custos(['log', 'verify', pf, e2, '--trust', trust]).code).toBe(1);
    expect(custos(['log', 'checkpoint', ld, '--key', lk]).stdout.split('\n')[1]).toBe('2');
  });

  it('request validate and deadlines', () => {
    const ex = join(repoRoot, 'examples', 'requests', 'epoc-traffic.json');
    expect(custos(['request', 'validate', ex]).code).toBe(0);
    const bad = custos(['request', 'validate', '-', '--json'], '{"instrument":"EPOC"}');
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).issues.length).toBeGreaterThan(0);
    const d = custos(['request', 'deadlines', ex, '--received', '2026-03-28T09:00:00+01:00', '--json']);
    expect(d.code).toBe(0);
    expect((JSON.parse(d.stdout).deadlines as { id: string }[]).map((x) => x.id)).toContain('production');
    expect(custos(['request', 'deadlines', ex]).code).toBe(2);
  });
});
