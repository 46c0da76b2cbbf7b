import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { joinBytes, utf8 } from '../../src/bytes.js';
import { decrypt, generateIdentity, rewrap } from '../../src/envelope/index.js';
import { isCustosError } from '../../src/errors.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import { decodeSeal, openItem, sealItem, verifySeal, type SealContext } from '../../src/seal/index.js';
import { codeOf } from '../support/code.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 15);

const key = SigningKey.fromSecret(new Uint8Array(32).fill(21));
const other = SigningKey.fromSecret(new Uint8Array(32).fill(22), 'ES256');
const stranger = SigningKey.generate();
const trust = TrustStore.parse({
  version: 1,
  authorities: [
    { id: 'at.lpd-wien', name: 'LPD Wien', jurisdiction: 'AT', roles: ['collector'], keys: [{ ...trustedKeyEntry('EdDSA', key.publicKey, '2026-01-01T00:00:00Z'), notAfter: '2027-01-01T00:00:00Z' }] },
    { id: 'de.bka', name: 'BKA', jurisdiction: 'DE', roles: ['custodian'], keys: [trustedKeyEntry('ES256', other.publicKey, '2026-01-01T00:00:00Z')] },
  ],
});
const alice = generateIdentity();
const bob = generateIdentity({ pq: true });
const context: SealContext = {
  caseId: '12 St 34/26',
  requestId: 'EIO-2026-771',
  purpose: 'fraud investigation',
  legalBasis: 'Directive 2014/41/EU',
  restrictions: ['no-onward-transfer'],
  retentionUntil: '2031-12-31T23:59:59Z',
  issuingState: 'DE',
  executingState: 'AT',
};
const base = { recipients: [alice.recipient], signer: key, authority: 'at.lpd-wien', id: 'AT-2026-417/3', context, created: '2026-11-02T09:00:00+01:00', mediaType: 'application/x-e01' };
const expectOk = { requestId: 'EIO-2026-771', purpose: 'fraud investigation' };

function streamOf(b: Uint8Array, chunk = 10_000): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= b.length) return c.close();
      c.enqueue(b.slice(o, o + chunk));
      o += chunk;
    },
  });
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const r = s.getReader();
  for (;;) {
    const x = await r.read();
    if (x.done) break;
    parts.push(x.value);
  }
  return joinBytes(parts);
}

const item = crypto.randomBytes(200_000);
/** Byte equality without vitest's element-by-element deep diff (slow on large arrays). */
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b)).toBe(0);

describe('sealItem / verifySeal / openItem', () => {
  it('bytes: seal, verify with and without the age file, open', async () => {
    const s = await sealItem(item, base);
    expect(s.manifest.sha256).toEqual(crypto.sha256(item));
    expect(s.manifest.size).toBe(item.length);
    expect(s.manifest.created).toBe(Date.parse('2026-11-02T08:00:00Z'));
    same(await decrypt(s.ciphertext, [alice.identity]), item);
    const r = await verifySeal(s.seal, { trust, ciphertext: s.ciphertext });
    expect(r.checks.map((c) => [c.check, c.ok])).toEqual([['decode', true], ['key', true], ['signature', true], ['authority', true], ['payload', true]]);
    expect(r.ok).toBe(true);
    expect(r.signer?.authority).toBe('at.lpd-wien');
    expect((await verifySeal(s.seal, { trust })).ok).toBe(true);
    const { plaintext, manifest } = await openItem(s.ciphertext, s.seal, { identities: [alice.identity], trust, expect: expectOk });
    same(plaintext, item);
    expect(manifest.context).toEqual(context);
  });

  it('streams: one pass, same result as bytes; the seal settles when the stream ends', async () => {
    const { ciphertext, seal } = await sealItem(streamOf(item), base);
    const file = await collect(ciphertext);
    const { seal: sealBytes, manifest } = await seal;
    expect(manifest.sha256).toEqual(crypto.sha256(item));
    expect((await verifySeal(sealBytes, { trust, ciphertext: streamOf(file, 7777) })).ok).toBe(true);
    const opened = await openItem(streamOf(file, 65_536 + 13), sealBytes, { identities: alice.identity, trust, expect: { caseId: context.caseId } });
    same(await collect(opened.plaintext), item);
  });

  it('the age CLI opens a sealed item', async () => {
    const s = await sealItem(utf8('exhibit content'), base);
    const dir = mkdtempSync(join(tmpdir(), 'custos-seal-'));
    writeFileSync(join(dir, 'id.txt'), `${alice.identity}\n`);
    writeFileSync(join(dir, 'x.age'), s.ciphertext);
    try {
      expect(execFileSync('age', ['-d', '-i', join(dir, 'id.txt'), join(dir, 'x.age')]).toString()).toBe('exhibit content');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rewrap (adding a recipient) keeps the seal valid; the new recipient can open', async () => {
    const s = await sealItem(item, base);
    const rewrapped = await rewrap(s.ciphertext, [alice.identity], { add: [bob.recipient], allowMixedPostQuantum: true });
    expect(Buffer.compare(rewrapped, s.ciphertext)).not.toBe(0);
    expect((await verifySeal(s.seal, { trust, ciphertext: rewrapped })).ok).toBe(true);
    same((await openItem(rewrapped, s.seal, { identities: [bob.identity], trust, expect: expectOk })).plaintext, item);
  });

  it('property: rewrapping (add or replace recipients) keeps the seal valid, for any item size', async () => {
    const carol = generateIdentity();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * 65_536 + 5 }), fc.constantFrom('add', 'replace'), async (n, how) => {
        const data = crypto.randomBytes(n);
        const s = await sealItem(data, base);
        const changes = how === 'add' ? { add: [carol.recipient] } : { remove: 'all' as const, add: [carol.recipient] };
        const rewrapped = await rewrap(s.ciphertext, [alice.identity], changes);
        expect((await verifySeal(s.seal, { trust, ciphertext: rewrapped })).ok).toBe(true);
        same((await openItem(rewrapped, s.seal, { identities: [carol.identity], trust, expect: expectOk })).plaintext, data);
      }),
      { numRuns: RUNS },
    );
  });

  it('a different age file for the same item does not match the seal', async () => {
    const s = await sealItem(item, base);
    const again = await sealItem(item, base);
    const r = await verifySeal(s.seal, { trust, ciphertext: again.ciphertext });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.check === 'payload')?.code).toBe('ERR_DIGEST_MISMATCH');
    expect(await codeOf(openItem(again.ciphertext, s.seal, { identities: [alice.identity], trust, expect: expectOk }))).toBe('ERR_DIGEST_MISMATCH');
  });

  it('wrong expected context → ERR_CONTEXT_MISMATCH, before decrypting (no identity needed)', async () => {
    const s = await sealItem(item, base);
    const wrong: Array<Record<string, unknown>> = [
      { purpose: 'tax audit' },
      { requestId: 'EIO-2026-772' },
      { restrictions: [] },
      { restrictions: ['no-onward-transfer', 'protective-order'] },
      { id: 'AT-2026-417/4' },
      { retentionUntil: '2032-01-01T00:00:00Z' },
    ];
    for (const expect_ of wrong) {
      // identities that cannot open the file: the context check must come first
      expect(await codeOf(openItem(s.ciphertext, s.seal, { identities: [bob.identity], trust, expect: expect_ }))).toBe('ERR_CONTEXT_MISMATCH');
      expect(await codeOf(openItem(streamOf(s.ciphertext), s.seal, { identities: [bob.identity], trust, expect: expect_ }))).toBe('ERR_CONTEXT_MISMATCH');
    }
    expect(await codeOf(openItem(s.ciphertext, s.seal, { identities: [alice.identity], trust, expect: {} }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(openItem(s.ciphertext, s.seal, { identities: [alice.identity], trust, expect: { porpose: 'x' } as never }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('property: openItem with a wrong expected context never yields plaintext', async () => {
    const s = await sealItem(utf8('secret'), base);
    await fc.assert(
      fc.asyncProperty(
        fc.record({ purpose: fc.string({ minLength: 1, maxLength: 30 }), requestId: fc.string({ minLength: 1, maxLength: 20 }), caseId: fc.string({ minLength: 1, maxLength: 20 }) }, { requiredKeys: [] }),
        async (e) => {
          const matches = Object.entries(e).every(([k, v]) => (context as Record<string, unknown>)[k] === v);
          const got = await openItem(s.ciphertext, s.seal, { identities: [alice.identity], trust, expect: e }).then(
            (r) => r.plaintext,
            (err) => (isCustosError(err) ? err.code : 'thrown'),
          );
          if (Object.keys(e).length === 0) expect(got).toBe('ERR_INVALID_ARGUMENT');
          else if (matches) expect(got).toEqual(utf8('secret'));
          else expect(got).toBe('ERR_CONTEXT_MISMATCH');
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });

  it('seal failures are reported with their codes', async () => {
    const s = await sealItem(item, base);
    // a flipped signature byte
    const t = s.seal.slice();
    t[t.length - 1]! ^= 1;
    expect((await verifySeal(t, { trust })).checks.find((c) => !c.ok)?.code).toBe('ERR_SIGNATURE_INVALID');
    expect(await codeOf(openItem(s.ciphertext, t, { identities: [alice.identity], trust, expect: expectOk }))).toBe('ERR_SIGNATURE_INVALID');
    // an unknown signer
    const u = await sealItem(item, { ...base, signer: stranger });
    expect((await verifySeal(u.seal, { trust })).checks.find((c) => !c.ok)?.code).toBe('ERR_KEY_UNKNOWN');
    // a key sealing outside its validity window
    const late = await sealItem(item, { ...base, created: '2027-01-01T00:00:00Z' });
    expect((await verifySeal(late.seal, { trust })).checks.find((c) => !c.ok)?.code).toBe('ERR_KEY_NOT_VALID');
    // a trusted key of another authority than the manifest names
    const misattributed = await sealItem(item, { ...base, signer: other });
    const r = await verifySeal(misattributed.seal, { trust });
    expect(r.checks.find((c) => !c.ok)).toMatchObject({ check: 'authority', code: 'ERR_SEAL_MALFORMED' });
    // ES256 seals verify when the authority matches
    expect((await verifySeal((await sealItem(item, { ...base, signer: other, authority: 'de.bka' })).seal, { trust })).ok).toBe(true);
    // garbage
    expect((await verifySeal(utf8('no seal'), { trust })).checks[0]).toMatchObject({ check: 'decode', ok: false });
    // every byte flip of a seal is caught
    for (let i = 0; i < s.seal.length; i += 3) {
      const f = s.seal.slice();
      f[i]! ^= 0x40;
      expect((await verifySeal(f, { trust })).ok, `byte ${i}`).toBe(false);
    }
  });

  it('a flipped payload byte: verifySeal reports it, openItem refuses', async () => {
    const s = await sealItem(item, base);
    const t = s.ciphertext.slice();
    t[t.length - 100]! ^= 1;
    expect((await verifySeal(s.seal, { trust, ciphertext: t })).checks.find((c) => c.check === 'payload')?.code).toBe('ERR_DIGEST_MISMATCH');
    expect(await codeOf(openItem(t, s.seal, { identities: [alice.identity], trust, expect: expectOk }))).toBe('ERR_DIGEST_MISMATCH');
    // the stream path has no payload check up front: the chunk fails authentication
    const { plaintext } = await openItem(streamOf(t), s.seal, { identities: [alice.identity], trust, expect: expectOk });
    expect(await codeOf(collect(plaintext))).toBe('ERR_CHUNK_AUTH');
  });

  it('invalid inputs are refused before encrypting', async () => {
    expect(await codeOf(sealItem(item, { ...base, context: { ...context, retentionUntil: '2031-02-30T00:00:00Z' } }))).toBe('ERR_CONTEXT_INVALID');
    expect(await codeOf(sealItem(item, { ...base, context: { ...context, purpose: '' } }))).toBe('ERR_CONTEXT_INVALID');
    expect(await codeOf(sealItem(item, { ...base, context: { ...context, extra: 1 } as never }))).toBe('ERR_CONTEXT_INVALID');
    expect(await codeOf(sealItem(item, { ...base, id: '' }))).toBe('ERR_SEAL_MALFORMED');
    expect(await codeOf(sealItem('text' as never, base))).toBe('ERR_INVALID_ARGUMENT');
    expect(decodeSeal((await sealItem(new Uint8Array(0), base)).seal).manifest.size).toBe(0);
  });
});
