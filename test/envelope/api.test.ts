import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  ScryptIdentity,
  ScryptRecipient,
  X25519Identity,
  armor,
  createEncryptor,
  dearmor,
  decrypt,
  decryptRange,
  encrypt,
  generateIdentity,
  identityFromString,
  identityToRecipient,
  parseHeader,
  parseIdentityFile,
  payloadSize,
  plaintextSize,
  readHeader,
  rewrap,
} from '../../src/envelope/index.js';
import type { Identity, Recipient, Stanza } from '../../src/envelope/index.js';
import { parseAgeIdentity } from '../../src/keys/age.js';
import { codeOf, collect, pseudoRandom, sha, streamOf } from './helpers.js';

const x = generateIdentity();
const pq = generateIdentity({ pq: true });
const other = generateIdentity();

describe('keys', () => {
  it('generates X25519 and hybrid identities that round-trip through their strings', () => {
    expect(x.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    expect(x.recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(pq.identity).toMatch(/^AGE-SECRET-KEY-PQ-1[0-9A-Z]+$/);
    expect(pq.recipient.startsWith('age1pq1')).toBe(true);
    expect(identityToRecipient(x.identity)).toBe(x.recipient);
    expect(identityToRecipient(pq.identity)).toBe(pq.recipient);
    expect(identityToRecipient(x.identity.toLowerCase())).toBe(x.recipient);
  });

  it('matches the spec examples (C2SP age)', () => {
    // X25519 example identity/recipient from the spec text.
    expect(identityToRecipient('AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX')).toBe(
      'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj',
    );
  });

  it('rejects malformed key strings with ERR_KEY_FORMAT', () => {
    for (const bad of [x.identity.slice(0, -1) + (x.identity.endsWith('Q') ? 'P' : 'Q'), 'AGE-SECRET-KEY-1', x.recipient, ` ${x.identity}`, 'Age-Secret-Key-1abc']) {
      expect(() => parseAgeIdentity(bad)).toThrow(expect.objectContaining({ code: 'ERR_KEY_FORMAT' }));
    }
  });

  it('parses identity files with comments and several keys', async () => {
    const file = `# created: 2026-01-01\n# public key: ${x.recipient}\n${x.identity}\n\n  # another\r\n${pq.identity}\r\n`;
    expect(parseIdentityFile(file)).toHaveLength(2);
    const enc = await encrypt(new Uint8Array([1, 2, 3]), [pq.recipient]);
    expect(await decrypt(enc, file)).toEqual(new Uint8Array([1, 2, 3]));
    expect(() => parseIdentityFile(`${x.identity}\nnot-a-key\n`)).toThrow(expect.objectContaining({ code: 'ERR_KEY_FORMAT' }));
    expect(() => parseIdentityFile('# only comments\n')).toThrow(expect.objectContaining({ code: 'ERR_KEY_FORMAT' }));
  });
});

describe('encrypt / decrypt', () => {
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 3 * CHUNK_SIZE + 7];
  for (const n of sizes) {
    it(`round-trips ${n} bytes as bytes and as streams, X25519 + hybrid (mixed by opt-in)`, async () => {
      const data = pseudoRandom(n, n + 1);
      const enc = await encrypt(data, [x.recipient, pq.recipient], { allowMixedPostQuantum: true });
      expect(enc.length).toBe(parseHeader(enc).payloadOffset + payloadSize(n));
      expect(sha(await decrypt(enc, x.identity))).toBe(sha(data));
      expect(sha(await decrypt(enc, [pq.identity]))).toBe(sha(data));
      const encS = await collect(await encrypt(streamOf(data, 1000), [x.recipient]));
      expect(sha(await collect(await decrypt(streamOf(encS, 777), [x.identity])))).toBe(sha(data));
      expect(plaintextSize(encS.length - parseHeader(encS).payloadOffset)).toBe(n);
    });
  }

  it('tries identities in order and reports ERR_NO_IDENTITY when none matches', async () => {
    const enc = await encrypt(new Uint8Array(10), [x.recipient]);
    expect(await decrypt(enc, [other.identity, x.identity])).toHaveLength(10);
    expect(await codeOf(decrypt(enc, [other.identity, pq.identity]))).toBe('ERR_NO_IDENTITY');
  });

  it('passphrases: scrypt alone, work factor bounded', async () => {
    const enc = await encrypt(new Uint8Array([7]), [new ScryptRecipient('pw', { logN: 10 })]);
    expect(parseHeader(enc).header.stanzas[0]!.args[1]).toBe('10');
    expect(await decrypt(enc, [new ScryptIdentity('pw')])).toEqual(new Uint8Array([7]));
    expect(await codeOf(decrypt(enc, [new ScryptIdentity('no')]))).toBe('ERR_NO_IDENTITY');
    expect(await codeOf(decrypt(enc, [new ScryptIdentity('pw', { maxLogN: 9 })]))).toBe('ERR_SCRYPT_WORK_FACTOR');
    expect(await codeOf(encrypt(new Uint8Array(1), [new ScryptRecipient('pw', { logN: 10 }), x.recipient]))).toBe('ERR_SCRYPT_NOT_ALONE');
  });

  it('armors and dearmors; decrypt detects armor', async () => {
    const data = pseudoRandom(1000);
    const text = armor(await encrypt(data, [x.recipient]));
    expect(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(text.split('\n').every((l) => l.length <= 64)).toBe(true);
    expect(await decrypt(new TextEncoder().encode(text), [x.identity])).toEqual(data);
    expect(dearmor(text.replace(/\n/g, '\r\n'))).toEqual(dearmor(text));
    expect(await codeOf(decrypt(new TextEncoder().encode(text), [x.identity], { armor: false }))).toBe('ERR_AGE_VERSION');
  });

  it('rejects misuse with ERR_INVALID_ARGUMENT', async () => {
    expect(await codeOf(encrypt(new Uint8Array(1), []))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(decrypt(new Uint8Array(1), []))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(encrypt('text' as unknown as Uint8Array, [x.recipient]))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('plug-in interface', () => {
  const kmsKey = pseudoRandom(32, 99);
  const xorWrap = (k: Uint8Array) => k.map((b, i) => b ^ kmsKey[i]!);
  const kmsRecipient: Recipient = { wrapFileKey: async (k) => [{ type: 'example.org/kms', args: ['key-1'], body: xorWrap(k) }] };
  const kmsIdentity: Identity = {
    async unwrapFileKey(stanzas: readonly Stanza[]) {
      const s = stanzas.find((s) => s.type === 'example.org/kms');
      if (s === undefined) return null;
      if (s.args[0] !== 'key-1' || s.body.length !== 16) throw new Error('broken kms stanza');
      return xorWrap(s.body);
    },
  };

  it('wraps and unwraps through user-supplied recipients and identities', async () => {
    const enc = await encrypt(new Uint8Array([1, 2]), [kmsRecipient, x.recipient]);
    expect(parseHeader(enc).header.stanzas.map((s) => s.type)).toEqual(['example.org/kms', 'X25519']);
    expect(await decrypt(enc, [kmsIdentity])).toEqual(new Uint8Array([1, 2]));
    expect(await decrypt(enc, [other.identity, x.identity])).toEqual(new Uint8Array([1, 2]));
  });

  it('"mine but broken" throws (not ERR_NO_IDENTITY); a wrong file key fails the header MAC', async () => {
    const broken: Recipient = { wrapFileKey: () => [{ type: 'example.org/kms', args: ['key-2'], body: new Uint8Array(16) }] };
    const enc = await encrypt(new Uint8Array([1]), [broken]);
    expect(await codeOf(decrypt(enc, [kmsIdentity]))).toBe('ERR_AGE_STANZA');
    const liar: Identity = { unwrapFileKey: () => new Uint8Array(16) };
    expect(await codeOf(decrypt(enc, [liar]))).toBe('ERR_HEADER_MAC');
    const shortKey: Identity = { unwrapFileKey: () => new Uint8Array(15) };
    expect(await codeOf(decrypt(enc, [shortKey]))).toBe('ERR_AGE_STANZA');
  });
});

describe('rewrap', () => {
  it('adds a recipient and removes one, keeping the payload bytes identical', async () => {
    const data = pseudoRandom(3 * CHUNK_SIZE + 5);
    const enc = await encrypt(data, [x.recipient, other.recipient]);
    const out = await rewrap(enc, [x.identity], { add: [pq.recipient], remove: [other.identity], allowMixedPostQuantum: true });
    const a = await readHeader(enc);
    const b = await readHeader(out);
    expect(Buffer.from(b.payload).equals(Buffer.from(a.payload))).toBe(true);
    expect(b.header.stanzas.map((s) => s.type)).toEqual(['X25519', 'mlkem768x25519']);
    expect(sha(await decrypt(out, [pq.identity]))).toBe(sha(data));
    expect(sha(await decrypt(out, [x.identity]))).toBe(sha(data));
    expect(await codeOf(decrypt(out, [other.identity]))).toBe('ERR_NO_IDENTITY');
  });

  it('works on a detached header and on streams', async () => {
    const enc = await encrypt(pseudoRandom(5000), [x.recipient]);
    const { payloadOffset } = parseHeader(enc);
    const detached = enc.slice(0, payloadOffset);
    const newHeader = await rewrap(detached, [x.identity], { remove: 'all', add: [other.recipient] });
    const joined = new Uint8Array([...newHeader, ...enc.subarray(payloadOffset)]);
    expect(await decrypt(joined, [other.identity])).toHaveLength(5000);
    const viaStream = await collect(await rewrap(streamOf(enc, 100), [x.identity], { add: other.recipient }));
    expect(await decrypt(viaStream, [other.identity])).toHaveLength(5000);
    expect(await codeOf(rewrap(enc, [x.identity], { remove: 'all' }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(rewrap(enc, [pq.identity], { add: other.recipient }))).toBe('ERR_NO_IDENTITY');
  });
});

describe('decryptRange', () => {
  it('returns exactly the requested bytes around chunk boundaries', async () => {
    const data = pseudoRandom(3 * CHUNK_SIZE + 100, 5);
    const enc = await encrypt(data, [x.recipient]);
    const cases: Array<[number, number]> = [
      [0, 0], [0, 1], [CHUNK_SIZE - 1, 2], [CHUNK_SIZE, CHUNK_SIZE], [5, 3 * CHUNK_SIZE + 95], [3 * CHUNK_SIZE + 99, 1], [data.length, 0],
    ];
    for (const [o, n] of cases) {
      expect(sha(await decryptRange(enc, o, n, [x.identity]))).toBe(sha(data.subarray(o, o + n)));
    }
    expect(await codeOf(decryptRange(enc, data.length, 1, [x.identity]))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('verifies the final chunk first: truncation is caught even for a range at the start', async () => {
    const data = pseudoRandom(3 * CHUNK_SIZE, 6);
    const enc = await encrypt(data, [x.recipient]);
    const cut = enc.subarray(0, enc.length - (CHUNK_SIZE + 16));
    expect(await codeOf(decryptRange(cut, 0, 10, [x.identity]))).toBe('ERR_TRUNCATED');
    const flipped = enc.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(await codeOf(decryptRange(flipped, 0, 10, [x.identity]))).toBe('ERR_CHUNK_AUTH');
  });
});

describe('streaming decrypt releases only authenticated plaintext', () => {
  it('delivers the verified chunks, then ERR_CHUNK_AUTH for a tampered later chunk', async () => {
    const data = pseudoRandom(3 * CHUNK_SIZE + 1, 8);
    const enc = await encrypt(data, [x.recipient]);
    const off = parseHeader(enc).payloadOffset + 16 + 2 * (CHUNK_SIZE + 16) + 5;
    enc[off]! ^= 0x80;
    const r = (await decrypt(streamOf(enc, 4096), [x.identity])).getReader();
    const got: Uint8Array[] = [];
    let code = '';
    try {
      for (let v = await r.read(); !v.done; v = await r.read()) got.push(v.value);
    } catch (e) {
      code = (e as { code: string }).code;
    }
    expect(code).toBe('ERR_CHUNK_AUTH');
    expect(sha(new Uint8Array(Buffer.concat(got)))).toBe(sha(data.subarray(0, 2 * CHUNK_SIZE)));
    expect(await codeOf(decrypt(enc, [x.identity]))).toBe('ERR_CHUNK_AUTH');
  });

  it('createEncryptor exposes the header and observes plaintext and payload bytes', async () => {
    const seen: number[] = [];
    const payload: Uint8Array[] = [];
    const e = await createEncryptor([x.recipient], { onPlaintext: (c) => seen.push(c.length), onPayload: (b) => payload.push(b) });
    const parts = [e.header, ...e.push(pseudoRandom(70000)), ...e.push(new Uint8Array(0)), ...e.finish()];
    const file = new Uint8Array(Buffer.concat(parts));
    expect(seen).toEqual([70000]);
    expect(e.payloadOffset).toBe(parseHeader(file).payloadOffset);
    expect(Buffer.concat(payload).equals(file.subarray(e.payloadOffset))).toBe(true);
    expect(await decrypt(file, [new X25519Identity(parseAgeIdentity(x.identity).secret)])).toHaveLength(70000);
    expect(identityFromString(x.identity)).toBeInstanceOf(X25519Identity);
  });
});

describe('recipient and identity lists with holes', () => {
  it('a hole is refused like any non-recipient, never skipped (a missing recipient could not decrypt)', async () => {
    const recipients = [x.recipient, other.recipient];
    delete recipients[1];
    expect(await codeOf(encrypt(new Uint8Array(3), recipients))).toBe('ERR_INVALID_ARGUMENT');
    const file = await encrypt(new Uint8Array(3), [x.recipient]);
    const identities = [other.identity, x.identity];
    delete identities[0];
    expect(await codeOf(decrypt(file, identities))).toBe('ERR_INVALID_ARGUMENT');
  });
});
