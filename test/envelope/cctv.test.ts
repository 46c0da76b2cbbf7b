/**
 * The CCTV age testkit (all vectors in test/vectors/age), through every entry path:
 * Uint8Array, a one-chunk stream, and a byte-by-byte stream (vectors over 16 KiB are fed in
 * random 1..4099-byte pieces instead, to keep the run fast). `payload` is the SHA-256 of all the
 * plaintext the API releases, including what a stream releases before a payload failure.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { ScryptIdentity, decrypt, generateIdentity, parseHeader, encodeHeader } from '../../src/envelope/index.js';
import type { Identity, IdentityInput } from '../../src/envelope/index.js';
import { NONCE_SIZE, StreamEncryptor, payloadKey } from '../../src/envelope/stream.js';
import { fromHex } from '../../src/bytes.js';
import { type CctvVector, loadCctv } from './cctv.js';

const vectors = loadCctv();
const HEADER_CODES = ['ERR_AGE_HEADER', 'ERR_AGE_VERSION', 'ERR_AGE_STANZA', 'ERR_SCRYPT_WORK_FACTOR', 'ERR_SCRYPT_NOT_ALONE'];
const PAYLOAD_CODES = ['ERR_CHUNK_AUTH', 'ERR_TRUNCATED', 'ERR_TRAILING_DATA', 'ERR_PAYLOAD'];
// CCTV counts a missing or short payload nonce as a header failure; custos treats the nonce as
// the start of the payload section (the part a seal hashes) and reports ERR_TRUNCATED.
const NONCE_VECTORS = new Set(['stream_no_nonce', 'stream_short_nonce']);

function identitiesFor(v: CctvVector): IdentityInput[] {
  const ids: IdentityInput[] = [...v.identities, ...v.passphrases.map((p): Identity => new ScryptIdentity(p))];
  // A vector without keys (e.g. "empty") still needs one identity: decrypt([]) is misuse.
  if (ids.length === 0) ids.push(generateIdentity().identity);
  return ids;
}

function expectedCodes(v: CctvVector): string[] {
  switch (v.expect) {
    case 'no match':
      return ['ERR_NO_IDENTITY'];
    case 'HMAC failure':
      return ['ERR_HEADER_MAC'];
    case 'armor failure':
      return ['ERR_ARMOR'];
    case 'header failure':
      return NONCE_VECTORS.has(v.name) ? ['ERR_TRUNCATED'] : HEADER_CODES;
    case 'payload failure':
      return PAYLOAD_CODES;
    default:
      return [];
  }
}

function streamOf(body: Uint8Array, mode: 'one' | 'bytes'): ReadableStream<Uint8Array> {
  let off = 0;
  let seed = body.length;
  const small = body.length <= 16 * 1024;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= body.length) return c.close();
      let n: number;
      if (mode === 'one') n = body.length;
      else if (small) n = 1;
      else {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        n = 1 + (seed % 4099);
      }
      c.enqueue(body.slice(off, off + n));
      off += n;
    },
  });
}

function codeOf(e: unknown): string {
  if (isCustosError(e)) return e.code;
  throw e;
}

describe('CCTV age testkit', () => {
  it('has all 143 vectors', () => {
    expect(vectors.length).toBe(143);
  });

  for (const v of vectors) {
    const opts = v.armored ? { armor: true } : {};
    describe(v.name, () => {
      it(`Uint8Array: ${v.expect}`, async () => {
        if (v.expect === 'success') {
          const out = await decrypt(v.body, identitiesFor(v), opts);
          expect(createHash('sha256').update(out).digest('hex')).toBe(v.payload);
        } else {
          const code = await decrypt(v.body, identitiesFor(v), opts).then(() => 'no error', codeOf);
          expect(expectedCodes(v)).toContain(code);
        }
      });

      for (const mode of ['one', 'bytes'] as const) {
        it(`stream (${mode === 'one' ? 'one chunk' : 'byte by byte'}): ${v.expect}`, async () => {
          let stream: ReadableStream<Uint8Array>;
          try {
            stream = await decrypt(streamOf(v.body, mode), identitiesFor(v), opts);
          } catch (e) {
            expect(v.expect).not.toBe('success');
            expect(v.expect).not.toBe('payload failure');
            expect(expectedCodes(v)).toContain(codeOf(e));
            return;
          }
          // Armor damage after the header can only be seen once the stream reaches it.
          expect(['success', 'payload failure', 'armor failure']).toContain(v.expect);
          const h = createHash('sha256');
          let err: string | undefined;
          const r = stream.getReader();
          try {
            for (let x = await r.read(); !x.done; x = await r.read()) h.update(x.value);
          } catch (e) {
            err = codeOf(e);
          }
          if (v.expect === 'armor failure') return expect(err).toBe('ERR_ARMOR');
          if (v.expect === 'success') expect(err).toBeUndefined();
          else expect(PAYLOAD_CODES).toContain(err);
          expect(h.digest('hex')).toBe(v.payload);
        });
      }

      if (v.expect === 'success' && !v.armored && v.fileKey !== undefined) {
        it('header and STREAM re-encode byte for byte', async () => {
          const fileKey = fromHex(v.fileKey!);
          const { header, payloadOffset } = parseHeader(v.body);
          expect(Buffer.from(encodeHeader(header.stanzas, fileKey).bytes).equals(v.body.subarray(0, payloadOffset))).toBe(true);
          const plain = await decrypt(v.body, identitiesFor(v));
          const nonce = v.body.subarray(payloadOffset, payloadOffset + NONCE_SIZE);
          const enc = new StreamEncryptor(payloadKey(fileKey, nonce));
          const parts: Uint8Array[] = [nonce];
          enc.push(plain, (b) => parts.push(b));
          enc.finish((b) => parts.push(b));
          expect(Buffer.concat(parts).equals(v.body.subarray(payloadOffset))).toBe(true);
        });
      }
    });
  }
});
