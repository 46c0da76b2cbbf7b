/**
 * `custos bundle create --seal-item ID=FILE|-` (issue 19): the raw evidence is sealed straight
 * into the bundle, and the bundle verifies exactly like one built from `custos seal` + `--item
 * ID=FILE.age` (same checks, same results).
 *
 * Attacks and mistakes (each tested): a reported digest that differs (exit 1, no bundle, no temp);
 * an item id the bundle refuses (exit 2 before any input is read); stdin for two items; a --seal
 * given for an item sealed here; seal options without --seal-item; --reported with two items.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { appendEvent, createChain, serializeChain } from '../../src/custody/index.js';
import { TrustStore } from '../../src/keys/trust.js';
import { readKeyFile } from '../../src/cli/keyfile.js';
import { buildCli, cleanupCli, runCli } from './build.js';

let cli: string;
let dir: string;
let ex: string;
let rq: string;
let trust: string;
let chain: string;
const custos = (args: string[], input?: string | Uint8Array) => runCli(cli, args, input);
const data = crypto.randomBytes(2 * 1024 * 1024 + 4097);
const ctx = ['--case', 'C-1', '--request', 'REQ-1', '--purpose', 'investigation', '--legal-basis', 'test'];
const md5 = createHash('md5').update(data).digest('hex');

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-bundle-seal-'));
  ex = join(dir, 'ex.key');
  rq = join(dir, 'rq.key');
  expect(custos(['keygen', '--id', 'IE-EX', '--role', 'collector', '--role', 'custodian', '-o', ex]).code).toBe(0);
  expect(custos(['keygen', '--pq', '--id', 'AT-RQ', '-o', rq]).code).toBe(0);
  trust = join(dir, 'trust.json');
  writeFileSync(trust, custos(['pubkey', ex, rq]).stdout);
  writeFileSync(join(dir, 'raw.dd'), data);
  // the custody chain REQ-1/disk states the plaintext SHA-256 and ends with a transfer to AT-RQ
  const exKeys = await readKeyFile(ex);
  const rqKeys = await readKeyFile(rq);
  const t = TrustStore.parse(readFileSync(trust, 'utf8'));
  let c = createChain('REQ-1/disk');
  c = appendEvent(c, { type: 'collected', actor: { authority: 'IE-EX', role: 'collector' }, purpose: 'investigation', digests: { 'sha-256': crypto.sha256(data) } }, exKeys.signer, { trust: t }).chain;
  c = appendEvent(c, { type: 'transferred', actor: { authority: 'IE-EX', role: 'custodian' }, purpose: 'investigation', counterparty: { authority: 'AT-RQ', role: 'custodian', kid: rqKeys.signer.kid } }, exKeys.signer, { trust: t }).chain;
  chain = join(dir, 'disk.chain');
  writeFileSync(chain, serializeChain(c));
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

type Report = { ok: boolean; checks: { check: string; subject?: string; ok: boolean; code?: string }[] };
const verify = (b: string) => {
  const r = custos(['verify', b, '--trust', trust, '--waive', 'custody.logged', '--json']);
  return { code: r.code, rep: JSON.parse(r.stdout) as Report };
};
const checks = (r: Report) => r.checks.map((c) => `${c.check}${c.subject !== undefined ? ` ${c.subject}` : ''}:${c.ok}:${c.code ?? ''}`).sort();
const leftovers = () => readdirSync(dir).filter((f) => f.startsWith('.') || f.startsWith('o'));

describe('custos bundle create --seal-item', () => {
  it('from a file and from stdin: the bundle verifies with the same checks as seal + --item', () => {
    const age = join(dir, 'disk.age');
    expect(custos(['seal', join(dir, 'raw.dd'), '-k', ex, '--to', 'AT-RQ', '--trust', trust, '--id', 'disk', ...ctx, '-o', age]).code).toBe(0);
    const classic = join(dir, 'classic.tar');
    const c = custos(['bundle', 'create', '-k', ex, '-o', classic, '--item', `disk=${age}`, '--seal', `disk=${age}.cose`, '--custody', `disk=${chain}`, '--case', 'C-1', '--request', 'REQ-1']);
    expect(c.code, c.stderr).toBe(0);
    const ref = verify(classic);
    expect(ref.code, JSON.stringify(ref.rep.checks.filter((x) => !x.ok))).toBe(0);
    for (const [src, input] of [[join(dir, 'raw.dd'), undefined], ['-', data]] as const) {
      const b = join(dir, `straight-${src === '-' ? 'stdin' : 'file'}.tar`);
      const r = custos(['bundle', 'create', '-k', ex, '-o', b, '--seal-item', `disk=${src}`, '--to', 'AT-RQ', '--trust', trust, ...ctx, '--custody', `disk=${chain}`, '--hash', 'sha256,md5', '--reported', `md5=${md5}`, '--json'], input);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { sealed: Record<string, { size: number; digests: Record<string, string>; reportedChecked: string[] }> };
      expect(j.sealed['disk']).toEqual({ size: data.length, digests: { 'sha-256': Buffer.from(crypto.sha256(data)).toString('hex'), md5 }, reportedChecked: ['md5'] });
      const got = verify(b);
      expect(got.code).toBe(0);
      expect(checks(got.rep)).toEqual(checks(ref.rep));
    }
    expect(leftovers()).toEqual([]);
  });

  it('a reported digest that differs: exit 1, ERR_DIGEST_MISMATCH, no bundle, no temp (file and stdin)', () => {
    const wrong = md5.replace(/^./, (x) => (x === 'a' ? 'b' : 'a'));
    for (const [src, input] of [[join(dir, 'raw.dd'), undefined], ['-', data]] as const) {
      const r = custos(['bundle', 'create', '-k', ex, '-o', join(dir, 'o.tar'), '--seal-item', `disk=${src}`, '--to', 'AT-RQ', '--trust', trust, ...ctx, '--reported', `md5=${wrong}`, '--json'], input);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.code).toBe('ERR_DIGEST_MISMATCH');
      expect(leftovers()).toEqual([]);
    }
  });

  it('usage errors before any input is read (exit 2)', () => {
    const base = ['bundle', 'create', '-k', ex, '-o', join(dir, 'o.tar'), '--to', 'AT-RQ', '--trust', trust, ...ctx];
    const missing = join(dir, 'missing.dd');
    for (const bad of [
      ['--seal-item', `Exhibit 17=${missing}`],
      ['--seal-item', 'a=-', '--seal-item', 'b=-'],
      ['--seal-item', `disk=${missing}`, '--seal', `disk=${missing}`],
      ['--seal-item', `a=${missing}`, '--seal-item', `b=${missing}`, '--reported', `md5=${md5}`],
      ['--seal-item', `disk=${missing}`, '--hash', 'crc32'],
    ]) {
      const r = custos([...base, ...bad]);
      expect(r.code, `${bad.join(' ')}: ${r.stderr}`).toBe(2);
    }
    // Regression: --digests-out naming the bundle replaced it with the JSON (with --force: exit 0,
    // the stdin evidence's only encrypted copy gone); -o over a --seal-item's input likewise
    for (const force of [[], ['--force']]) {
      expect(custos([...base, '--seal-item', 'disk=-', '--digests-out', join(dir, 'o.tar'), ...force], data).code).toBe(2);
      expect(custos([...base, '--seal-item', `disk=${join(dir, 'o.tar')}`, ...force]).code).toBe(2);
    }
    // a --digests-out that cannot be written: refused before the bundle is written (was: after it)
    expect(custos([...base, '--seal-item', 'disk=-', '--digests-out', join(dir, 'no-dir', 'd.json')], data).code).toBe(3);
    // seal options without --seal-item
    expect(custos(['bundle', 'create', '-k', ex, '-o', join(dir, 'o.tar'), '--item', `disk=${missing}`, '--hash', 'md5']).code).toBe(2);
    expect(leftovers()).toEqual([]);
  });
});
