/**
 * Hostile inputs against every public decoder of the envelope: each must fail with a
 * CustosError (never a TypeError/RangeError, never a hang, never success).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustosError } from '../../src/errors.js';
import {
  dearmor,
  decrypt,
  decryptRange,
  encrypt,
  generateIdentity,
  parseHeader,
  parseIdentityFile,
  parseRecipientsFile,
  readHeader,
  rewrap,
} from '../../src/envelope/index.js';
import { parseAgeIdentity, parseAgeRecipient } from '../../src/keys/age.js';
import { streamOf } from './helpers.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 50);
const id = generateIdentity();
const te = new TextEncoder();
const V = 'age-encryption.org/v1\n';

const hostile: Array<[string, Uint8Array]> = [
  ['empty', new Uint8Array(0)],
  ['NUL bytes', new Uint8Array(100)],
  ['version only', te.encode(V)],
  ['no stanza', te.encode(`${V}--- ${'A'.repeat(43)}\n`)],
  ['stanza without body line', te.encode(`${V}-> X25519 abc\n--- ${'A'.repeat(43)}\n`)],
  ['arg line without args', te.encode(`${V}->\n\n--- ${'A'.repeat(43)}\n`)],
  ['non-ASCII argument', new Uint8Array([...te.encode(`${V}-> X2551`), 0xff, 0x0a, 0x0a])],
  ['MAC too long', te.encode(`${V}-> a\n\n--- ${'A'.repeat(44)}\n`)],
  ['MAC too short', te.encode(`${V}-> a\n\n--- ${'A'.repeat(42)}\n`)],
  ['endless body line', te.encode(`${V}-> a\n${'A'.repeat(100_000)}`)],
  ['many stanzas, no end', te.encode(V + '-> a\n\n'.repeat(20_000))],
  ['armor begin only', te.encode('-----BEGIN AGE ENCRYPTED FILE-----\n')],
  ['armor with binary', new Uint8Array([...te.encode('-----BEGIN AGE ENCRYPTED FILE-----\n'), 0, 1, 2, 0x0a])],
  ['v2', te.encode('age-encryption.org/v2\n')],
];

async function rejects(p: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await p();
  } catch (e) {
    if (!(e instanceof CustosError)) throw new Error(`non-CustosError: ${String(e)}`);
    return e.code;
  }
  throw new Error('accepted hostile input');
}

async function readAll(s: ReadableStream<Uint8Array>): Promise<void> {
  const r = s.getReader();
  while (!(await r.read()).done);
}

describe('hostile inputs', () => {
  for (const [name, bytes] of hostile) {
    it(`${name}: every decoder fails with a CustosError`, async () => {
      await rejects(() => decrypt(bytes, id.identity));
      await rejects(async () => readAll(await decrypt(streamOf(bytes, 7), id.identity)));
      await rejects(() => readHeader(bytes));
      await rejects(() => parseHeader(bytes));
      await rejects(() => decryptRange(bytes, 0, 0, id.identity));
      await rejects(() => rewrap(bytes, id.identity, { add: id.recipient }));
    });
  }

  it('maxHeaderBytes bounds the header', async () => {
    const big = await encrypt(new Uint8Array(1), Array.from({ length: 40 }, () => generateIdentity().recipient).concat(id.recipient));
    expect(await rejects(() => decrypt(big, id.identity, { maxHeaderBytes: 1000 }))).toBe('ERR_AGE_HEADER');
    expect(await decrypt(big, id.identity)).toEqual(new Uint8Array(1));
  });

  it('random bytes and random text never crash a decoder', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 500 }).map((s) => te.encode(V + s))), async (b) => {
        await rejects(() => decrypt(b, id.identity));
        await rejects(() => parseHeader(b));
        await rejects(() => dearmor(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('key strings and key files', async () => {
    await fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        for (const f of [parseAgeIdentity, parseAgeRecipient, parseIdentityFile, parseRecipientsFile]) {
          try {
            f(s);
          } catch (e) {
            expect(e).toBeInstanceOf(CustosError);
          }
        }
      }),
      { numRuns: RUNS },
    );
    await rejects(() => parseIdentityFile(`${id.identity}\nAGE-PLUGIN-YUBIKEY-1QQQ\n`));
    await rejects(() => parseRecipientsFile('age1notakey\n'));
    // change the last character (a bech32 checksum character) to a different one
    await rejects(() => parseAgeRecipient(`${id.recipient.slice(0, -1)}${id.recipient.endsWith('x') ? 'q' : 'x'}`));
  });
});
