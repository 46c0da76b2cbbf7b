/**
 * PQ honesty (issue 17, item 11): a file with an mlkem768x25519 stanza and an X25519 one is
 * only as strong as X25519 (breaking that stanza recovers the file key), so calling it
 * post-quantum would be false. Encrypting to a post-quantum recipient together with a classic
 * one is refused (ERR_PQ_MIXED) unless the caller opts in by name (`allowMixedPostQuantum`);
 * a seal made with the opt-in records `quantumResistant: false` in its signed context, and
 * verification (verifySeal, verifyBundle) says so.
 *
 * Attacks / mistakes covered, on every path that writes a header: encrypt (bytes and stream),
 * createEncryptor, encryptFile (Node), rewrap and rewrapFile (adding a classic recipient to a
 * PQ-only file, or a PQ one to a classic file: the result would mix), sealItem and sealFile
 * (both hashing paths); a plug-in stanza custos cannot classify counts as classic; scrypt stays
 * alone even with the opt-in; a property over random recipient sets.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncryptor, decrypt, encrypt, generateIdentity, readHeader, rewrap, ScryptRecipient, type Recipient } from '../../src/envelope/index.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import { encryptFile, rewrapFile } from '../../src/node/envelope.js';
import { sealFile } from '../../src/node/seal-file.js';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';
import { sealItem } from '../../src/seal/seal.js';
import { verifySeal } from '../../src/seal/verify.js';
import { codeOf } from '../support/code.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 15);
const pq = generateIdentity({ pq: true });
const pq2 = generateIdentity({ pq: true });
const x = generateIdentity();
const x2 = generateIdentity();
const data = new TextEncoder().encode('evidence item');
/** A plug-in recipient (an HSM, a KMS): custos cannot tell whether its wrapping resists a quantum attacker. */
const plugin: Recipient = { wrapFileKey: (k) => [{ type: 'example.org/kms', args: ['key-1'], body: k }] };

const types = async (file: Uint8Array) => (await readHeader(file)).header.stanzas.map((s) => s.type);

const dir = mkdtempSync(join(tmpdir(), 'custos-pqmix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encrypting to a post-quantum recipient together with a classic one', () => {
  const table: [string, (string | Recipient)[], string][] = [
    ['PQ + X25519', [pq.recipient, x.recipient], 'ERR_PQ_MIXED'],
    ['X25519 + PQ (order does not matter)', [x.recipient, pq.recipient], 'ERR_PQ_MIXED'],
    ['PQ + a plug-in stanza custos cannot classify', [pq.recipient, plugin], 'ERR_PQ_MIXED'],
    ['PQ + scrypt (scrypt must be alone anyway)', [pq.recipient, new ScryptRecipient('pw', { logN: 2 })], 'ERR_SCRYPT_NOT_ALONE'],
    ['PQ + PQ', [pq.recipient, pq2.recipient], 'none'],
    ['PQ alone', [pq.recipient], 'none'],
    ['X25519 + X25519 (classic only: no PQ claim to undo)', [x.recipient, x2.recipient], 'none'],
    ['scrypt alone', [new ScryptRecipient('pw', { logN: 2 })], 'none'],
  ];
  it.each(table)('%s → %s (encrypt bytes, encrypt stream, createEncryptor, encryptFile)', async (_n, recipients, code) => {
    expect(await codeOf(encrypt(data, recipients))).toBe(code);
    expect(await codeOf(encrypt(new Blob([data]).stream(), recipients))).toBe(code);
    expect(await codeOf(createEncryptor(recipients))).toBe(code);
    const input = join(dir, 'plain');
    writeFileSync(input, data);
    expect(await codeOf(encryptFile(input, join(dir, 'out.age'), recipients))).toBe(code);
  });

  it('with allowMixedPostQuantum the mix is written and every recipient opens it; scrypt still stands alone', async () => {
    const file = await encrypt(data, [pq.recipient, x.recipient], { allowMixedPostQuantum: true });
    expect(await types(file)).toEqual(['mlkem768x25519', 'X25519']);
    expect(await decrypt(file, [pq.identity])).toEqual(data);
    expect(await decrypt(file, [x.identity])).toEqual(data);
    expect(await codeOf(encrypt(data, [pq.recipient, new ScryptRecipient('pw', { logN: 2 })], { allowMixedPostQuantum: true }))).toBe('ERR_SCRYPT_NOT_ALONE');
    const input = join(dir, 'plain2');
    writeFileSync(input, data);
    await encryptFile(input, join(dir, 'mixed.age'), [pq.recipient, x.recipient], { allowMixedPostQuantum: true });
    expect(await types(new Uint8Array(readFileSync(join(dir, 'mixed.age'))))).toEqual(['mlkem768x25519', 'X25519']);
  });

  it('property: refused exactly when a PQ recipient meets any other, unless opted in', async () => {
    const kinds = { pq: pq.recipient, pq2: pq2.recipient, x: x.recipient, x2: x2.recipient, plugin } as const;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...(Object.keys(kinds) as (keyof typeof kinds)[])), { minLength: 1, maxLength: 4 }), fc.boolean(), async (ks, allow) => {
        const mixed = ks.some((k) => k.startsWith('pq')) && ks.some((k) => !k.startsWith('pq'));
        const got = await codeOf(encrypt(data, ks.map((k) => kinds[k]), { allowMixedPostQuantum: allow }));
        expect(got).toBe(mixed && !allow ? 'ERR_PQ_MIXED' : 'none');
      }),
      { numRuns: RUNS * 4 },
    );
  });
});

describe('rewrap cannot make a file mix without the opt-in', () => {
  it('adding X25519 to a PQ-only file, or PQ to an X25519 file, is refused; replacing is fine', async () => {
    const pqOnly = await encrypt(data, [pq.recipient]);
    expect(await codeOf(rewrap(pqOnly, [pq.identity], { add: [x.recipient] }))).toBe('ERR_PQ_MIXED');
    const xOnly = await encrypt(data, [x.recipient]);
    expect(await codeOf(rewrap(xOnly, [x.identity], { add: [pq.recipient] }))).toBe('ERR_PQ_MIXED');
    // moving a classic file to PQ: drop the X25519 stanza, add the PQ one
    const moved = await rewrap(xOnly, [x.identity], { add: [pq.recipient], remove: 'all' });
    expect(await types(moved)).toEqual(['mlkem768x25519']);
    const mixed = await rewrap(pqOnly, [pq.identity], { add: [x.recipient], allowMixedPostQuantum: true });
    expect(await types(mixed)).toEqual(['mlkem768x25519', 'X25519']);
    const path = join(dir, 'rw.age');
    writeFileSync(path, pqOnly);
    expect(await codeOf(rewrapFile(path, [pq.identity], { add: [x.recipient] }))).toBe('ERR_PQ_MIXED');
    expect(new Uint8Array(readFileSync(path))).toEqual(pqOnly); // untouched
  });
});

describe('seals record the opt-in, and verification says so', () => {
  const key = SigningKey.generate();
  const trust = TrustStore.parse({
    version: 1,
    authorities: [{ id: 'ie.p', name: 'Provider', jurisdiction: 'IE', roles: ['custodian'], keys: [trustedKeyEntry('EdDSA', key.publicKey, new Date(Date.now() - 3_600_000))] }],
  });
  const context = { caseId: 'C-1', requestId: 'R-1', purpose: 'investigation', legalBasis: 'test' };
  const base = { signer: key, authority: 'ie.p', id: 'disk', context };

  it('sealItem and sealFile (both hashing paths) refuse the mix without the opt-in', async () => {
    const recipients = [pq.recipient, x.recipient];
    expect(await codeOf(sealItem(data, { ...base, recipients }))).toBe('ERR_PQ_MIXED');
    const input = join(dir, 'seal-in');
    writeFileSync(input, data);
    for (const hashInWorker of [true, false]) {
      expect(await codeOf(sealFile(input, join(dir, 's.age'), join(dir, 's.cose'), { ...base, recipients, hashInWorker }))).toBe('ERR_PQ_MIXED');
    }
  });

  it('with the opt-in the signed context says quantumResistant: false; verifySeal and verifyBundle report it', async () => {
    const recipients = [pq.recipient, x.recipient];
    const s = await sealItem(data, { ...base, recipients, allowMixedPostQuantum: true });
    expect(s.manifest.context.quantumResistant).toBe(false);
    const r = await verifySeal(s.seal, { trust, ciphertext: s.ciphertext });
    expect(r.ok).toBe(true);
    expect(r.quantumResistant).toBe(false);
    expect(r.checks.find((c) => c.check === 'authority')?.detail).toMatch(/NOT quantum-resistant/);
    const input = join(dir, 'seal-in2');
    writeFileSync(input, data);
    for (const hashInWorker of [true, false]) {
      const f = await sealFile(input, join(dir, `f${hashInWorker}.age`), join(dir, `f${hashInWorker}.cose`), { ...base, recipients, hashInWorker, allowMixedPostQuantum: true });
      expect(f.manifest.context.quantumResistant).toBe(false);
    }
    const bundle = join(dir, 'b.tar');
    await createBundle(bundle, { signer: key, issuer: 'ie.p', request: 'R-1', items: [{ id: 'disk', encrypted: s.ciphertext, seal: s.seal }] });
    const report = await verifyBundle(bundle, { trust });
    const sealCheck = report.checks.find((c) => c.check === 'seal' && c.ok);
    expect(sealCheck?.detail).toMatch(/NOT quantum-resistant/);
  });

  it('a PQ-only seal whose file was later rewrapped (by opt-in) to add X25519: verifySeal reads the header and says so', async () => {
    const s = await sealItem(data, { ...base, recipients: [pq.recipient] });
    const mixed = await rewrap(s.ciphertext, [pq.identity], { add: [x.recipient], allowMixedPostQuantum: true });
    const r = await verifySeal(s.seal, { trust, ciphertext: mixed });
    expect(r.ok).toBe(true); // the seal covers the payload, which is unchanged
    expect(r.quantumResistant).toBe(false);
    expect(r.checks.find((c) => c.check === 'payload')?.detail).toMatch(/NOT quantum-resistant: the age header/);
  });

  it('a PQ-only seal says nothing of the kind', async () => {
    const s = await sealItem(data, { ...base, recipients: [pq.recipient] });
    expect(s.manifest.context.quantumResistant).toBeUndefined();
    const r = await verifySeal(s.seal, { trust, ciphertext: s.ciphertext });
    expect(r.ok).toBe(true);
    expect(r.quantumResistant).toBeUndefined();
    expect(r.checks.some((c) => c.detail.includes('quantum'))).toBe(false);
  });
});
