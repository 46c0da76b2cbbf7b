import { encode as cborgEncode } from 'cborg';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toBase64Url, toHex, utf8 } from '../../src/bytes.js';
import { isCustosError, type ErrorCode } from '../../src/errors.js';
import { keyId, SigningKey, TrustStore, trustedKeyEntry, verifySignature, type TrustStoreDocument } from '../../src/keys/index.js';

function code(f: () => unknown): ErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (isCustosError(e)) return e.code;
    throw e;
  }
}

describe('RFC 9679 key ids', () => {
  it('matches the RFC 9679 §6 example (EC2 P-256)', () => {
    const x = fromHex('65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d');
    const y = fromHex('1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c');
    const pk = new Uint8Array([4, ...x, ...y]);
    expect(toHex(keyId('ES256', pk))).toBe('496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec');
  });

  it('OKP Ed25519 thumbprint equals SHA-256 of {1:1,-1:6,-2:x} from an independent encoder', () => {
    for (let i = 0; i < 5; i++) {
      const k = SigningKey.generate();
      // cborg sorts map keys by length-first order, which for these small keys equals bytewise order
      const expected = createHash('sha256').update(cborgEncode(new Map<number, unknown>([[1, 1], [-1, 6], [-2, k.publicKey]]))).digest();
      expect(toHex(k.kid)).toBe(expected.toString('hex'));
    }
    expect(code(() => keyId('EdDSA', new Uint8Array(31)))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => keyId('ES256', new Uint8Array(65)))).toBe('ERR_KEY_FORMAT');
  });

  it('SigningKey: deterministic from secret, secret never serialised', () => {
    const seed = new Uint8Array(32).fill(7);
    const a = SigningKey.fromSecret(seed);
    const b = SigningKey.fromSecret(seed);
    expect(a.kid).toEqual(b.kid);
    expect(a.exportSecret()).toEqual(seed);
    const json = JSON.stringify(a);
    expect(json).not.toContain(toBase64Url(seed));
    expect(json).not.toContain(toHex(seed));
    const msg = utf8('m');
    expect(verifySignature('EdDSA', a.publicKey, msg, a.sign(msg))).toBe(true);
    const p = SigningKey.generate('ES256');
    expect(p.publicKey.length).toBe(65);
    expect(verifySignature('ES256', p.publicKey, msg, p.sign(msg))).toBe(true);
    expect(verifySignature('ES256', p.publicKey, utf8('n'), p.sign(msg))).toBe(false);
    expect(verifySignature('EdDSA', a.publicKey, msg, new Uint8Array(63))).toBe(false);
  });
});

const K1 = SigningKey.fromSecret(new Uint8Array(32).fill(1));
const K2 = SigningKey.fromSecret(new Uint8Array(32).fill(2));
const P1 = SigningKey.fromSecret(new Uint8Array(32).fill(3), 'ES256');

function doc(): TrustStoreDocument {
  return {
    version: 1,
    authorities: [
      {
        id: 'at.bmi',
        name: 'Bundesministerium für Inneres',
        jurisdiction: 'AT',
        roles: ['custodian'],
        keys: [
          { ...trustedKeyEntry('EdDSA', K1.publicKey, '2026-01-01T00:00:00Z'), notAfter: '2027-01-01T00:00:00Z' },
          { ...trustedKeyEntry('ES256', P1.publicKey, '2026-01-01T00:00:00+01:00'), revokedAt: '2026-06-01T12:00:00Z' },
        ],
      },
      { id: 'de.bka', name: 'BKA', jurisdiction: 'DE', roles: ['examiner'], keys: [trustedKeyEntry('EdDSA', K2.publicKey, '2026-03-01T00:00:00Z')] },
    ],
  };
}

describe('trust store', () => {
  it('parses and looks keys up with validity windows (boundaries inclusive/exclusive as documented)', () => {
    const t = TrustStore.parse(JSON.stringify(doc()));
    expect(t.authorities.length).toBe(2);
    const l = t.lookup(K1.kid, '2026-01-01T00:00:00Z');
    expect(l.ok && l.authority.id).toBe('at.bmi');
    // notBefore is inclusive
    expect(t.lookup(K1.kid, Date.parse('2026-01-01T00:00:00Z') - 1)).toMatchObject({ ok: false, code: 'ERR_KEY_NOT_VALID' });
    // notAfter is exclusive
    expect(t.lookup(K1.kid, Date.parse('2027-01-01T00:00:00Z') - 1).ok).toBe(true);
    expect(t.lookup(K1.kid, '2027-01-01T00:00:00Z')).toMatchObject({ ok: false, code: 'ERR_KEY_NOT_VALID' });
    // revokedAt is exclusive; signatures dated before it stay valid
    expect(t.lookup(P1.kid, '2026-06-01T11:59:59.999Z').ok).toBe(true);
    expect(t.lookup(P1.kid, '2026-06-01T12:00:00Z')).toMatchObject({ ok: false, code: 'ERR_KEY_NOT_VALID' });
    // offsets are honoured: +01:00 midnight is 23:00 the day before in UTC
    expect(t.lookup(P1.kid, '2025-12-31T23:00:00Z').ok).toBe(true);
    expect(t.lookup(P1.kid, '2025-12-31T22:59:59Z').ok).toBe(false);
    expect(t.lookup(SigningKey.generate().kid, '2026-05-01T00:00:00Z')).toMatchObject({ ok: false, code: 'ERR_KEY_UNKNOWN' });
    expect(code(() => t.keyFor(K2.kid, '2026-02-28T23:59:59Z'))).toBe('ERR_KEY_NOT_VALID');
    expect(t.keyFor(K2.kid, new Date('2030-01-01T00:00:00Z')).authority.id).toBe('de.bka');
    expect(t.authorityOf(K2.kid)?.id).toBe('de.bka');
    expect(code(() => t.lookup(K1.kid, 'yesterday'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => t.lookup('kid' as unknown as Uint8Array, 0))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('rejects malformed documents with ERR_TRUST_STORE', () => {
    const bad: Array<(d: any) => void> = [
      (d) => (d.version = 2),
      (d) => (d.authorities[0].keys[0].kid = toBase64Url(K2.kid)),
      (d) => (d.authorities[0].keys[0].publicKey = toBase64Url(new Uint8Array(31))),
      (d) => (d.authorities[1].keys.push(d.authorities[0].keys[0])),
      (d) => (d.authorities[1].id = 'at.bmi'),
      (d) => (d.authorities[0].jurisdiction = 'Austria'),
      (d) => (d.authorities[0].keys[0].notBefore = '2026-01-01'),
      (d) => (d.authorities[0].keys[0].notBefore = '2026-01-01T00:00:00'),
      // calendar-invalid instants that Date.parse would silently roll over
      (d) => (d.authorities[0].keys[0].notAfter = '2026-02-30T00:00:00Z'),
      (d) => (d.authorities[0].keys[0].notAfter = '2026-12-31T24:00:00Z'),
      (d) => (d.authorities[0].keys[0].notAfter = '2026-12-31T00:00:00+25:00'),
      (d) => (d.authorities[0].keys[0].notAfter = '2025-12-31T00:00:00Z'),
      (d) => (d.authorities[0].extra = true),
      (d) => (d.authorities[0].keys = []),
    ];
    for (const [i, mutate] of bad.entries()) {
      const d = structuredClone(doc());
      mutate(d);
      expect(code(() => TrustStore.parse(d)), `mutation ${i}`).toBe('ERR_TRUST_STORE');
    }
    expect(code(() => TrustStore.parse('{not json'))).toBe('ERR_TRUST_STORE');
  });
});

describe('trust store: log and witness keys', () => {
  const vkey = 'example.com/log+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
  const wkey = 'witness.example+8d66cf3f+BNpk5JQ5Hlg2a7R4cLWfAAutVDnyP6ysf1vfEUSUcpwr';
  const base = { version: 1 as const, authorities: [] };

  it('validity windows on log and witness keys become the checkpoint policy, in seconds', () => {
    const t = TrustStore.parse({
      ...base,
      logs: [{ origin: 'example.com/log', vkey, notBefore: '2026-01-01T00:00:00Z', revokedAt: '2026-06-01T00:00:00Z' }, { origin: 'other', vkey }],
      witnesses: [{ name: 'w', vkey: wkey, notAfter: '2027-01-01T00:00:00Z' }],
      witnessQuorum: 1,
    });
    const p = t.checkpointPolicy('example.com/log');
    expect(p.log).toEqual([{ key: vkey, notBefore: Date.parse('2026-01-01T00:00:00Z') / 1000, revokedAt: Date.parse('2026-06-01T00:00:00Z') / 1000 }]);
    expect(p.witnesses).toEqual([{ key: wkey, notAfter: Date.parse('2027-01-01T00:00:00Z') / 1000 }]);
    expect(p.quorum).toBe(1);
    expect(t.checkpointPolicy('unknown').log).toEqual([]);
  });

  it('a quorum larger than the witnesses listed is refused (it would otherwise be lowered to fit, or never be met)', () => {
    expect(() => TrustStore.parse({ ...base, witnessQuorum: 1 })).toThrow(expect.objectContaining({ code: 'ERR_TRUST_STORE' }));
    expect(() => TrustStore.parse({ ...base, witnesses: [{ name: 'w', vkey: wkey }], witnessQuorum: 2 })).toThrow(expect.objectContaining({ code: 'ERR_TRUST_STORE' }));
    expect(TrustStore.parse({ ...base, witnesses: [{ name: 'w', vkey: wkey }], witnessQuorum: 1 }).checkpointPolicy('x').quorum).toBe(1);
  });

  it('window times must be real instants', () => {
    expect(() => TrustStore.parse({ ...base, logs: [{ origin: 'o', vkey, revokedAt: '2026-02-30T00:00:00Z' }] })).toThrow(expect.objectContaining({ code: 'ERR_TRUST_STORE' }));
    expect(() => TrustStore.parse({ ...base, witnesses: [{ name: 'w', vkey: wkey, notBefore: 'yesterday' }] })).toThrow(expect.objectContaining({ code: 'ERR_TRUST_STORE' }));
  });
});
