/**
 * `custos custody init|append|verify|show|handover` and `bundle create --receipts/--handover`,
 * through the built CLI, on real files, with a real log and a co-located witness key (the HTTP
 * witness runs in test/e2e/exchange.sh).
 *
 * Attacks on custody append (each refused before anything is signed or written) and on verify:
 * - another authority's key: `--actor` naming another authority than the key's (exit 2); a key the
 *   trust store does not list (ERR_KEY_UNKNOWN, exit 1); through the library, an actor authority
 *   that is not the key's (ERR_EVENT_INVALID);
 * - a revoked key, also with the event back-dated to before the revocation (ERR_KEY_NOT_VALID);
 * - a role the trust store does not give the authority, and a role the event type does not allow
 *   (ERR_ROLE_NOT_ALLOWED);
 * - a chain id of another item: `--request/--item` naming another item, and another item's chain
 *   file copied over this one while CHAIN.id names this item (ERR_CHAIN_ID, also from custody verify
 *   and export, which judge the chain by CHAIN.id when no --request/--item is given);
 * - an event appended to a tampered chain file (one byte of a signature flipped: refused with the
 *   verifier's code, the file left as it was); verify of that file exits 1;
 * - receipts filed under another event (n.tlog-proof renamed to another n: the bundle fails,
 *   exit 1); a pending receipt naming another log entry (refused at issue: nothing stored);
 * - a check whose data is absent: the trust store's witness quorum with no witness given (the
 *   receipt is refused, the chain not extended); a log the trust store does not list; a bundle
 *   made while a receipt is still deferred (ERR_RECEIPT_DEFERRED); a hand-over on a one-entry log;
 * - over HTTP (--log URL): no token file (exit 2), an unreachable log (ERR_HTTP, the chain not
 *   extended); the served log path itself runs in test/e2e/exchange.sh (E2E_LOG=url);
 * - swap between reads: a chain file replaced under an append is serialised by CHAIN.lock
 *   (custody-file tests); here a concurrent writer's lock makes append fail with ERR_LOCKED.
 * - back-date with a revoked key (the bundle verifier's time rule): an event signed now by a key
 *   revoked an hour ago, dated two hours ago, is NOT VERIFIED by custody verify, not exported, and
 *   not appended to;
 *   an event of a key revoked later counts only with a receipt witnessed before the revocation.
 * - forward-date: an event dated years ahead is refused at append (ERR_TIME_INVALID; within the
 *   clock skew it is accepted), and a chain holding one does not verify;
 * Plus: the log key placement rules, digest parsing, escaped human output, JSON with hex digests.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, createChain, serializeChain } from '../../src/custody/index.js';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore } from '../../src/keys/trust.js';
import { generateNoteKey, NOTE_TYPE_COSIGNATURE } from '../../src/log/notekeys.js';
import { appendToChainFile, initChainFile } from '../../src/node/chain-file.js';
import { readKeyFile } from '../../src/cli/keyfile.js';
import { buildCli, cleanupCli, runCli } from './build.js';

let cli: string;
let dir: string;
const custos = (args: string[], input?: string) => runCli(cli, args, input);
const REQ = 'AT-WKSTA-2026-000417';
const SHA = 'ab'.repeat(32);
const witness = generateNoteKey('w.example.org', NOTE_TYPE_COSIGNATURE);
let logVkey: string;
const p = (name: string) => join(dir, name);

function trustWith(name: string, opts: { log?: boolean; quorum?: number } = {}): string {
  const args = ['trust', 'add', p(name), '--authority', p('exec.pub.json'), '--authority', p('req.pub.json')];
  if (opts.log !== false) args.push('--log', logVkey, '--witness', witness.vkey, '--quorum', String(opts.quorum ?? 1));
  expect(custos(['trust', 'init', '-o', p(name)]).code).toBe(0);
  const r = custos(args);
  expect(r.code, r.stderr).toBe(0);
  return p(name);
}

const execArgs = (trust: string) => ['-k', p('exec.key'), '--trust', trust];
const logArgs = () => ['--log', p('log'), '--log-key', p('keys/log.key'), '--witness-key', p('keys/w.skey')];

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-custody-'));
  mkdirSync(p('keys'));
  expect(custos(['keygen', '--id', 'IE-MAILSVC', '--jurisdiction', 'IE', '--role', 'collector', '--role', 'custodian', '-o', p('exec.key')]).code).toBe(0);
  expect(custos(['keygen', '--id', 'AT-WKSTA', '--jurisdiction', 'AT', '--role', 'custodian', '-o', p('req.key')]).code).toBe(0);
  expect(custos(['keygen', '--id', 'XX-OTHER', '--jurisdiction', 'FR', '--role', 'custodian', '-o', p('other.key')]).code).toBe(0);
  writeFileSync(p('exec.pub.json'), custos(['pubkey', p('exec.key')]).stdout);
  writeFileSync(p('req.pub.json'), custos(['pubkey', p('req.key')]).stdout);
  const init = custos(['log', 'init', p('log'), '--origin', 'log.mailsvc.example.ie/custody', '--key', p('keys/log.key')]);
  expect(init.code, init.stderr).toBe(0);
  logVkey = init.stdout.trim();
  writeFileSync(p('keys/w.skey'), `${witness.skey}\n`, { mode: 0o600 });
  trustWith('trust.json');
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('custos custody', () => {
  it('init, append with --log (deferred, then issued), verify, show, handover, bundle create, verify under the default policy', () => {
    const t = p('trust.json');
    const chain = p('disk.chain');
    expect(custos(['custody', 'init', chain, '--request', REQ, '--item', 'disk', '--json']).code).toBe(0);
    expect(readFileSync(`${chain}.id`, 'utf8')).toBe(`${REQ}/disk\n`);
    expect(custos(['custody', 'init', chain, '--request', REQ, '--item', 'disk']).code).toBe(3); // never replaced without --force
    writeFileSync(p('mx2.raw'), 'an image of mail server mx2\n'.repeat(1000));
    const sealed = custos(['seal', p('mx2.raw'), '-k', p('exec.key'), '--to', p('req.key'), '--id', 'disk', '--case', 'C-1', '--request', REQ, '--purpose', 'investigation', '--legal-basis', 'EU 2023/1543', '-o', p('disk.age'), '--json']);
    expect(sealed.code, sealed.stderr).toBe(0);
    const sha = JSON.parse(sealed.stdout).sha256 as string;
    const a0 = custos(['custody', 'append', chain, 'acquired', ...execArgs(t), '--role', 'collector', '--digest', `sha-256=${sha}`, '--digest', `md5=${'CD'.repeat(16)}`, '--purpose', 'investigation', '--authorisation', `EPOC=${REQ}`, ...logArgs(), '--json']);
    expect(a0.code, a0.stderr).toBe(0);
    const j0 = JSON.parse(a0.stdout);
    expect(j0).toMatchObject({ ok: true, chainId: `${REQ}/disk`, seq: 0, type: 'acquired', log: { index: 0, issued: [], pending: [0] } });
    expect(existsSync(`${chain}.receipts/0.pending`)).toBe(true);
    // a bundle made now would lack the receipt of event 0: refused
    const early = custos(['bundle', 'create', '-k', p('exec.key'), '-o', p('early.tar'), '--request', REQ, '--item', `disk=${chain}`, '--receipts', `disk=${chain}.receipts`]);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain('ERR_RECEIPT_DEFERRED');
    const a1 = custos(['custody', 'append', chain, 'transferred', ...execArgs(t), '--role', 'custodian', '--counterparty', 'AT-WKSTA:custodian', '--purpose', 'investigation', ...logArgs(), '--json']);
    expect(a1.code, a1.stderr).toBe(0);
    expect(JSON.parse(a1.stdout).log).toMatchObject({ index: 1, issued: [0, 1], pending: [] });
    expect(readdirSync(`${chain}.receipts`).sort()).toEqual(['0.receipt.cose', '0.tlog-proof', '1.receipt.cose', '1.tlog-proof']);

    const v = custos(['custody', 'verify', chain, '--trust', t, '--allow-pending-transfer']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toContain(`VERIFIED: ${chain}: chain ${REQ}/disk, 2 events`);
    expect(custos(['custody', 'verify', chain, '--trust', t]).code).toBe(1); // a transfer not received
    expect(custos(['custody', 'verify', chain, '--trust', t, '--allow-pending-transfer', '--request', REQ, '--item', 'other']).code).toBe(1);

    const show = JSON.parse(custos(['custody', 'show', chain, '--json']).stdout);
    expect(show.verified).toBe(false);
    expect(show.events[0].digests).toEqual({ 'sha-256': sha, md5: 'cd'.repeat(16) });
    expect(show.events[1].counterparty).toEqual({ authority: 'AT-WKSTA', role: 'custodian' });
    expect(show.events[1].hash).toMatch(/^[0-9a-f]{64}$/);

    const h = custos(['custody', 'handover', chain, '--trust', t, ...logArgs(), '-o', p('handover'), '--json']);
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout)).toMatchObject({ ok: true, size: 2, consistency: [] });
    const item = ['--request', REQ, '--case', 'C-1', '--item', `disk=${p('disk.age')}`, '--seal', `disk=${p('disk.age.cose')}`, '--custody', `disk=${chain}`];
    const b = custos(['bundle', 'create', '-k', p('exec.key'), '-o', p('b.tar'), ...item, '--receipts', `disk=${chain}.receipts`, '--handover', p('handover')]);
    expect(b.code, b.stderr).toBe(0);
    const ver = custos(['verify', p('b.tar'), '--trust', t, '--json']); // the default policy, no waiver
    expect(ver.code, ver.stdout).toBe(0);
    const rep = JSON.parse(ver.stdout) as { ok: boolean; waived: string[]; checks: { check: string; ok: boolean; subject?: string }[] };
    expect(rep.waived).toEqual([]);
    const ok = (check: string) => rep.checks.filter((c) => c.check === check && c.ok).length;
    expect(ok('receipt')).toBe(4);
    expect(ok('witness.quorum')).toBe(1);
    expect(ok('custody.logged')).toBe(1);
    expect(rep.checks.filter((c) => !c.ok)).toEqual([]);

    // receipts filed under another event: the bundle does not verify
    const swapped = p('swapped.receipts');
    mkdirSync(swapped);
    copyFileSync(`${chain}.receipts/1.tlog-proof`, join(swapped, '0.tlog-proof'));
    copyFileSync(`${chain}.receipts/0.tlog-proof`, join(swapped, '1.tlog-proof'));
    copyFileSync(`${chain}.receipts/0.receipt.cose`, join(swapped, '0.receipt.cose'));
    copyFileSync(`${chain}.receipts/1.receipt.cose`, join(swapped, '1.receipt.cose'));
    const bs = custos(['bundle', 'create', '-k', p('exec.key'), '-o', p('bs.tar'), ...item, '--receipts', `disk=${swapped}`, '--handover', p('handover')]);
    expect(bs.code, bs.stderr).toBe(0);
    const vs = JSON.parse(custos(['verify', p('bs.tar'), '--trust', t, '--json']).stdout) as { ok: boolean; checks: { check: string; ok: boolean; subject?: string }[] };
    expect(vs.ok).toBe(false);
    expect(vs.checks.filter((c) => c.check === 'receipt' && !c.ok).map((c) => c.subject).sort()).toEqual(['receipts/disk/0.tlog-proof', 'receipts/disk/1.tlog-proof']);
    expect(custos(['verify', p('bs.tar'), '--trust', t]).code).toBe(1);

    // CASE/UCO export of the verified chain, the size from the verified seal
    const ex = custos(['custody', 'export', chain, '--format', 'case', '--trust', t, '--seal', p('disk.age.cose'), '-o', p('disk.jsonld'), '--json']);
    expect(ex.code, ex.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(p('disk.jsonld'), 'utf8')) as { '@graph': Record<string, unknown>[] };
    expect(doc['@graph'].filter((n) => n['@type'] === 'case-investigation:InvestigativeAction')).toHaveLength(2);
    expect(JSON.stringify(doc)).toContain(`"@value": "${String(readFileSync(p('mx2.raw')).length)}"`.replace(': ', ':'));
    const wrongSeal = custos(['custody', 'export', chain, '--format', 'case', '--trust', t, '--seal', p('b.tar')]);
    expect(wrongSeal.code).not.toBe(0);
    expect(custos(['custody', 'export', chain, '--format', 'xml', '--trust', t]).code).toBe(2);

    // the other side records received on its copy; the completed chain verifies
    copyFileSync(chain, p('recv.chain'));
    const r = custos(['custody', 'append', p('recv.chain'), 'received', '-k', p('req.key'), '--trust', t, '--role', 'custodian', '--request', REQ, '--item', 'disk']);
    expect(r.code, r.stderr).toBe(0);
    expect(custos(['custody', 'verify', p('recv.chain'), '--trust', t, '--request', REQ, '--item', 'disk']).code).toBe(0);
  });

  it('refuses another authority\'s key, an unknown key, a revoked key (also back-dated), a role not allowed', async () => {
    const t = trustWith('trust-k.json', { log: false });
    const chain = p('k.chain');
    expect(custos(['custody', 'init', chain, '--chain-id', `${REQ}/k`]).code).toBe(0);
    const before = readFileSync(chain);
    // another authority's key, claiming to act for IE-MAILSVC
    expect(custos(['custody', 'append', chain, 'collected', '-k', p('req.key'), '--actor', 'IE-MAILSVC', '--trust', t, '--role', 'collector']).code).toBe(2);
    // a key the trust store does not list
    const unknown = custos(['custody', 'append', chain, 'collected', '-k', p('other.key'), '--trust', t, '--role', 'custodian']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ERR_KEY_UNKNOWN');
    // a role the trust store does not give, and one the event type does not allow
    const notGiven = custos(['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'examiner']);
    expect(notGiven.stderr).toContain('ERR_ROLE_NOT_ALLOWED');
    expect(custos(['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'collector']).code).toBe(0);
    const wrongType = custos(['custody', 'append', chain, 'transferred', ...execArgs(t), '--role', 'collector', '--counterparty', 'AT-WKSTA']);
    expect(wrongType.stderr).toContain('ERR_ROLE_NOT_ALLOWED');
    // through the library: an actor authority that is not the key's
    const keys = await readKeyFile(p('req.key'));
    const trust = TrustStore.parse(readFileSync(t, 'utf8'));
    await expect(appendToChainFile(chain, { type: 'accessed', actor: { authority: 'IE-MAILSVC', role: 'custodian' } }, keys.signer, { trust })).rejects.toMatchObject({ code: 'ERR_EVENT_INVALID' });
    // revoked: refused now, and for an event dated before the revocation
    const kid = JSON.parse(custos(['trust', 'list', t, '--json']).stdout).trust.authorities[0].keys[0].kid as string;
    expect(custos(['trust', 'revoke', t, '--authority', 'IE-MAILSVC', '--kid', kid, '--at', new Date(Date.now() - 60_000).toISOString()]).code).toBe(0);
    const revoked = custos(['custody', 'append', chain, 'accessed', ...execArgs(t), '--role', 'custodian']);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('ERR_KEY_NOT_VALID');
    const backdated = custos(['custody', 'append', chain, 'accessed', ...execArgs(t), '--role', 'custodian', '--time', new Date(Date.now() - 30_000 - 60_000).toISOString()]);
    expect(backdated.stderr).toContain('ERR_KEY_NOT_VALID');
    expect(readFileSync(chain).length).toBeGreaterThan(before.length); // only the one accepted event
    expect(JSON.parse(custos(['custody', 'show', chain, '--json']).stdout).events).toHaveLength(1);
    // a signer that is no key at all is a misuse, not a verdict
    await expect(appendToChainFile(chain, { type: 'accessed', actor: { authority: 'IE-MAILSVC', role: 'custodian' } }, SigningKey.generate(), { trust })).rejects.toMatchObject({ code: 'ERR_KEY_UNKNOWN' });
  });

  it('refuses a chain id of another item, another item\'s chain file, a tampered chain file, a locked one', async () => {
    const t = trustWith('trust-c.json', { log: false });
    const [a, b] = [p('a.chain'), p('b.chain')];
    expect(custos(['custody', 'init', a, '--request', REQ, '--item', 'a']).code).toBe(0);
    expect(custos(['custody', 'init', b, '--request', REQ, '--item', 'b']).code).toBe(0);
    const other = custos(['custody', 'append', a, 'collected', ...execArgs(t), '--role', 'collector', '--request', REQ, '--item', 'b']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('ERR_CHAIN_ID');
    for (const f of [a, b]) expect(custos(['custody', 'append', f, 'collected', ...execArgs(t), '--role', 'collector', '--digest', `sha-256=${SHA}`]).code).toBe(0);
    copyFileSync(b, a); // b's chain where a's should be (a.chain.id still names a)
    const swapped = custos(['custody', 'append', a, 'accessed', ...execArgs(t), '--role', 'custodian']);
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toContain('ERR_CHAIN_ID');
    // verify and export judge it by a.chain.id too (no VERIFIED for b's chain under a's name)
    const vs = custos(['custody', 'verify', a, '--trust', t, '--json']);
    expect(vs.code, vs.stdout).toBe(1);
    expect((JSON.parse(vs.stdout) as { failures: { code: string }[] }).failures.map((f) => f.code)).toContain('ERR_CHAIN_ID');
    expect(custos(['custody', 'export', a, '--format', 'case', '--trust', t]).stderr).toContain('ERR_CHAIN_ID');
    expect(custos(['custody', 'verify', a, '--trust', t, '--request', REQ, '--item', 'b']).code).toBe(0); // asked for b: it is b
    // a tampered chain: the last byte of event 0's signature flipped
    const bytes = readFileSync(b);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    writeFileSync(b, bytes);
    const tampered = custos(['custody', 'append', b, 'accessed', ...execArgs(t), '--role', 'custodian']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('ERR_SIGNATURE_INVALID');
    expect(readFileSync(b).equals(bytes)).toBe(true);
    expect(custos(['custody', 'verify', b, '--trust', t]).code).toBe(1);
    expect(custos(['custody', 'export', b, '--format', 'case', '--trust', t]).code).toBe(1); // never exported
    // a writer holding the lock
    await initChainFile(p('l.chain'), `${REQ}/l`);
    writeFileSync(`${p('l.chain')}.lock`, `${process.pid}\n`);
    const locked = custos(['custody', 'append', p('l.chain'), 'collected', ...execArgs(t), '--role', 'collector']);
    expect(locked.stderr).toContain('ERR_LOCKED');
    rmSync(`${p('l.chain')}.lock`);
  });

  it('fails closed on the log side: no witness for the quorum, a log the trust store lacks, a pending receipt naming another entry, a one-entry hand-over', () => {
    const t = p('trust.json');
    const chain = p('w.chain');
    expect(custos(['custody', 'init', chain, '--request', REQ, '--item', 'w']).code).toBe(0);
    // quorum 1 but no witness: the receipt is refused and the chain not extended (the log gets an
    // entry first, so that this test does not depend on the others: a first entry's receipt is deferred)
    writeFileSync(p('first'), 'a first entry');
    expect(custos(['log', 'append', p('log'), p('first'), '--key', p('keys/log.key')]).code).toBe(0);
    const solo = ['--log', p('log'), '--log-key', p('keys/log.key')];
    const noWitness = custos(['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'collector', ...solo]);
    expect(noWitness.code).toBe(1);
    expect(noWitness.stderr).toContain('ERR_WITNESS_QUORUM');
    expect(readFileSync(chain).length).toBe(0);
    // a trust store without the log
    const nolog = trustWith('trust-nolog.json', { log: false });
    const unlisted = custos(['custody', 'append', chain, 'collected', ...execArgs(nolog), '--role', 'collector', ...logArgs()]);
    expect(unlisted.code).toBe(1);
    expect(unlisted.stderr).toContain('ERR_NOTE_UNVERIFIED');
    expect(readFileSync(chain).length).toBe(0);
    // a pending receipt naming another log entry (index 0 is another chain's event)
    expect(custos(['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'collector', ...logArgs()]).code).toBe(0);
    rmSync(`${chain}.receipts`, { recursive: true });
    mkdirSync(`${chain}.receipts`);
    writeFileSync(`${chain}.receipts/0.pending`, '0\n');
    const h = custos(['custody', 'handover', chain, '--trust', t, ...logArgs(), '-o', p('h2')]);
    expect(h.code).toBe(1);
    expect(readdirSync(`${chain}.receipts`)).toEqual(['0.pending']);
    // --log URL: the token comes from a file; an unreachable log extends nothing
    const url = ['--log', 'http://127.0.0.1:9/'];
    expect(custos(['custody', 'append', chain, 'accessed', ...execArgs(t), '--role', 'custodian', ...url]).code).toBe(2);
    writeFileSync(p('tokens'), 'tok-0123456789\n');
    expect(custos(['custody', 'append', chain, 'accessed', ...execArgs(t), '--role', 'custodian', ...url, '--token-file', p('tokens'), '--log-key', p('keys/log.key')]).code).toBe(2);
    const before = readFileSync(chain);
    const unreachable = custos(['custody', 'append', chain, 'accessed', ...execArgs(t), '--role', 'custodian', ...url, '--token-file', p('tokens')]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('ERR_HTTP');
    expect(readFileSync(chain).equals(before)).toBe(true);

    // a one-entry log cannot hand over: the receipt stays deferred
    const one = p('log1');
    const oi = custos(['log', 'init', one, '--origin', 'one.example/log', '--key', p('keys/one.key')]);
    expect(oi.code).toBe(0);
    const t1 = trustWith('trust-one.json', { log: false });
    expect(custos(['trust', 'add', t1, '--log', oi.stdout.trim()]).code).toBe(0);
    const c1 = p('one.chain');
    expect(custos(['custody', 'init', c1, '--request', REQ, '--item', 'one']).code).toBe(0);
    const oneLog = ['--log', one, '--log-key', p('keys/one.key')];
    const a = custos(['custody', 'append', c1, 'collected', ...execArgs(t1), '--role', 'collector', ...oneLog, '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout).log.pending).toEqual([0]);
    const ho = custos(['custody', 'handover', c1, '--trust', t1, ...oneLog, '-o', p('h1')]);
    expect(ho.code).toBe(3);
    expect(ho.stderr).toContain('ERR_RECEIPT_DEFERRED');
  });

  it('verify and export: an event of a revoked key counts only with a receipt witnessed before the revocation, as in the bundle verifier', async () => {
    const t = trustWith('trust-rv.json', { log: false });
    const revokeAt = (file: string, out: string, at: number, notBefore?: number) => {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { authorities: { id: string; keys: Record<string, unknown>[] }[] };
      const a = doc.authorities.find((x) => x.id === 'IE-MAILSVC')!;
      a.keys = a.keys.map((k) => ({ ...k, ...(notBefore !== undefined ? { notBefore: new Date(notBefore).toISOString() } : {}), revokedAt: new Date(at).toISOString() }));
      writeFileSync(out, JSON.stringify(doc));
      return out;
    };
    // signed now by the key revoked an hour ago, dated two hours ago: only a claim
    const rt = revokeAt(t, p('trust-rv-revoked.json'), Date.now() - 3600_000, Date.now() - 2 * 86400_000);
    const keys = await readKeyFile(p('exec.key'));
    const collected = appendEvent(createChain(`${REQ}/rv`), { type: 'collected', actor: { authority: 'IE-MAILSVC', role: 'collector' }, time: new Date(Date.now() - 2 * 3600_000) }, keys.signer).chain;
    const forged = appendEvent(collected, { type: 'transferred', actor: { authority: 'IE-MAILSVC', role: 'custodian' }, counterparty: { authority: 'AT-WKSTA', role: 'custodian' }, time: new Date(Date.now() - 2 * 3600_000 + 60_000) }, keys.signer).chain;
    writeFileSync(p('rv.chain'), serializeChain(forged));
    const v = custos(['custody', 'verify', p('rv.chain'), '--trust', rt, '--allow-pending-transfer', '--json']);
    expect(v.code, v.stdout).toBe(1);
    expect((JSON.parse(v.stdout) as { failures: { code: string }[] }).failures.map((f) => f.code)).toEqual(['ERR_KEY_NOT_VALID', 'ERR_KEY_NOT_VALID']);
    // nor does the receiver's append vouch for it
    const before = readFileSync(p('rv.chain'));
    const rcv = custos(['custody', 'append', p('rv.chain'), 'received', '-k', p('req.key'), '--trust', rt, '--role', 'custodian', '--counterparty', 'IE-MAILSVC']);
    expect(rcv.code, rcv.stderr).not.toBe(0);
    expect(rcv.stderr).toContain('ERR_KEY_NOT_VALID');
    expect(readFileSync(p('rv.chain')).equals(before)).toBe(true);
    expect(custos(['custody', 'verify', p('rv.chain'), '--trust', rt]).stdout).toContain('NOT VERIFIED');
    const ex = custos(['custody', 'export', p('rv.chain'), '--format', 'case', '--trust', rt]);
    expect(ex.code).not.toBe(0);
    expect(ex.stderr).toContain('ERR_KEY_NOT_VALID');
    expect(ex.stdout).toBe('');

    // honest: logged and witnessed now, the key revoked in an hour: verified through its receipts
    const tl = p('trust.json');
    const chain = p('rv2.chain');
    expect(custos(['custody', 'init', chain, '--chain-id', `${REQ}/rv2`]).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const a = custos(['custody', 'append', chain, i === 0 ? 'collected' : 'accessed', ...execArgs(tl), '--role', i === 0 ? 'collector' : 'custodian', ...logArgs()]);
      expect(a.code, a.stderr).toBe(0);
    }
    const later = revokeAt(tl, p('trust-rv-later.json'), Date.now() + 3600_000);
    const ok = custos(['custody', 'verify', chain, '--trust', later]);
    expect(ok.code, ok.stdout).toBe(0);
    expect(custos(['custody', 'export', chain, '--format', 'case', '--trust', later]).code).toBe(0);
    // the same chain without its receipts: nothing shows when it was signed
    copyFileSync(chain, p('rv3.chain'));
    expect(custos(['custody', 'verify', p('rv3.chain'), '--trust', later]).code).toBe(1);
    // but append goes on: a key whose revocation is still to come cannot have signed after it
    const a3 = custos(['custody', 'append', p('rv3.chain'), 'accessed', ...execArgs(later), '--role', 'custodian']);
    expect(a3.code, a3.stderr).toBe(0);
  });

  it('refuses an event dated in the future at append, and verify does not call such a chain VERIFIED', async () => {
    const t = trustWith('trust-f.json', { log: false });
    const chain = p('f.chain');
    expect(custos(['custody', 'init', chain, '--chain-id', `${REQ}/f`]).code).toBe(0);
    const future = custos(['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'collector', '--time', '2030-01-01T00:00:00Z']);
    expect(future.code).not.toBe(0);
    expect(future.stderr).toContain('ERR_TIME_INVALID');
    expect(readFileSync(chain).length).toBe(0);
    // within the clock skew: accepted
    expect(custos(['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'collector', '--time', new Date(Date.now() + 60_000).toISOString()]).code).toBe(0);
    // made through the library without the check: verify and export refuse it
    const keys = await readKeyFile(p('exec.key'));
    const made = appendEvent(createChain(`${REQ}/f2`), { type: 'collected', actor: { authority: 'IE-MAILSVC', role: 'collector' }, time: '2030-01-01T00:00:00Z' }, keys.signer).chain;
    writeFileSync(p('f2.chain'), serializeChain(made));
    const v = custos(['custody', 'verify', p('f2.chain'), '--trust', t, '--json']);
    expect(v.code, v.stdout).toBe(1);
    expect((JSON.parse(v.stdout) as { failures: { code: string }[] }).failures.map((f) => f.code)).toEqual(['ERR_TIME_INVALID']);
    expect(custos(['custody', 'export', p('f2.chain'), '--format', 'case', '--trust', t]).stderr).toContain('ERR_TIME_INVALID');
  });

  it('parses digests strictly, escapes human output, and keeps the log key out of the log directory', () => {
    const t = trustWith('trust-d.json', { log: false });
    const chain = p('d.chain');
    expect(custos(['custody', 'init', chain, '--chain-id', `${REQ}/d`]).code).toBe(0);
    const base = ['custody', 'append', chain, 'collected', ...execArgs(t), '--role', 'collector'];
    expect(custos([...base, '--digest', 'sha-256=abcd']).code).toBe(2); // wrong length
    expect(custos([...base, '--digest', `crc32=${SHA}`]).code).toBe(2); // unknown algorithm
    writeFileSync(p('digests.json'), JSON.stringify({ 'sha-256': 'cd'.repeat(32) }));
    expect(custos([...base, '--digest', `sha-256=${SHA}`, '--digests', p('digests.json')]).code).toBe(2); // two values
    writeFileSync(p('digests.json'), JSON.stringify({ 'sha-256': SHA, 'sha-1': '12'.repeat(20) }));
    expect(custos([...base, '--digests', p('digests.json'), '--note', 'evil \u001b[2J note']).code).toBe(0);
    const show = custos(['custody', 'show', chain]);
    expect(show.stdout).not.toContain('\u001b');
    expect(show.stdout).toContain(`sha-1 ${'12'.repeat(20)}`);
    expect(JSON.parse(custos(['custody', 'show', chain, '--json']).stdout).events[0].note).toBe('evil \u001b[2J note');
    // log key placement
    const inside = custos(['log', 'init', p('logx'), '--origin', 'x.example/log', '--key', p('logx/k.key')]);
    expect(inside.code).toBe(3);
    expect(inside.stderr).toContain('ERR_LOG_KEY_PLACEMENT');
    expect(custos(['log', 'init', p('logy'), '--origin', 'y.example/log', '--key', p('exec.key')]).code).toBe(2); // never overwrites a key file
    expect(custos(['log', 'init', p('logz'), '--origin', 'z.example/log']).code).toBe(2); // --key is required
    // a legacy log with DIR/log.skey still works, with a warning
    const legacy = p('legacy');
    expect(custos(['log', 'init', legacy, '--origin', 'l.example/log', '--key', p('keys/legacy.key')]).code).toBe(0);
    renameSync(p('keys/legacy.key'), join(legacy, 'log.skey'));
    writeFileSync(p('e'), 'entry');
    const la = custos(['log', 'append', legacy, p('e')]);
    expect(la.code, la.stderr).toBe(0);
    expect(la.stderr).toContain('warning: the log key is inside the published log directory');
    expect(custos(['log', 'append', legacy, p('e'), '--key', join(legacy, 'log.skey')]).stderr).toContain('ERR_LOG_KEY_PLACEMENT');
  });
});
