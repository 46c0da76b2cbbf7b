/**
 * The stanza-count bound (AGE_MAX_STANZAS, ERR_LIMIT) and the header-size default: tested at
 * the bound (accepted, decrypts) and one past it (refused while parsing, before any unwrap).
 */
import { describe, expect, it } from 'vitest';
import * as crypto from '#crypto';
import { CustosError } from '../../src/errors.js';
import {
  AGE_MAX_STANZAS,
  DEFAULT_MAX_HEADER_BYTES,
  decrypt,
  decryptRange,
  encrypt,
  generateIdentity,
  parseHeader,
  readHeader,
  rewrap,
} from '../../src/envelope/index.js';
import { VERSION_LINE, encodeStanzas, headerMac } from '../../src/envelope/header.js';
import type { Stanza } from '../../src/envelope/header.js';
import { StreamEncryptor, payloadKey } from '../../src/envelope/stream.js';
import { recipientFromString } from '../../src/envelope/keys.js';
import type { Identity } from '../../src/envelope/types.js';
import { streamOf } from './helpers.js';

const te = new TextEncoder();

async function code(f: () => unknown): Promise<string> {
  try {
    await f();
    return 'none';
  } catch (e) {
    if (!(e instanceof CustosError)) throw e;
    return e.code;
  }
}

/**
 * A valid age file with `n` stanzas built by hand (our encoder refuses more than the bound):
 * the last stanza is for `recipient`, the others are unknown-type filler stanzas.
 */
async function fileWithStanzas(n: number, recipient: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const fileKey = crypto.randomBytes(16);
  const mine = await recipientFromString(recipient).wrapFileKey(fileKey);
  const filler: Stanza[] = Array.from({ length: n - mine.length }, (_, i) => ({ type: 'filler', args: [String(i)], body: new Uint8Array(0) }));
  const macInput = te.encode(`${VERSION_LINE}\n${encodeStanzas([...filler, ...mine])}---`);
  const header = te.encode(` ${Buffer.from(headerMac(fileKey, macInput)).toString('base64').replace(/=+$/, '')}\n`);
  const nonce = crypto.randomBytes(16);
  const parts: Uint8Array[] = [macInput, header, nonce];
  const enc = new StreamEncryptor(payloadKey(fileKey, nonce));
  enc.push(plaintext, (c) => parts.push(c));
  enc.finish((c) => parts.push(c));
  return new Uint8Array(Buffer.concat(parts));
}

/** An identity that counts how often it is asked to unwrap. */
function counting(): Identity & { calls: number } {
  const o = {
    calls: 0,
    unwrapFileKey() {
      o.calls++;
      return null;
    },
  };
  return o;
}

describe('AGE_MAX_STANZAS', () => {
  const id = generateIdentity();
  const pt = te.encode('evidence');

  it('is 256 and the header default is 1 MiB', () => {
    expect(AGE_MAX_STANZAS).toBe(256);
    expect(DEFAULT_MAX_HEADER_BYTES).toBe(1024 * 1024);
  });

  it('at the bound: a 256-stanza file parses and decrypts through every entry point', async () => {
    const f = await fileWithStanzas(AGE_MAX_STANZAS, id.recipient, pt);
    expect(parseHeader(f).header.stanzas).toHaveLength(AGE_MAX_STANZAS);
    expect((await readHeader(f)).header.stanzas).toHaveLength(AGE_MAX_STANZAS);
    expect(await decrypt(f, id.identity)).toEqual(pt);
    expect(await decryptRange(f, 1, 3, id.identity)).toEqual(pt.subarray(1, 4));
  });

  it('one past the bound: ERR_LIMIT while parsing, before any identity is asked', async () => {
    const f = await fileWithStanzas(AGE_MAX_STANZAS + 1, id.recipient, pt);
    const spy = counting();
    expect(await code(() => parseHeader(f))).toBe('ERR_LIMIT');
    expect(await code(() => readHeader(f))).toBe('ERR_LIMIT');
    expect(await code(() => decrypt(f, [spy, id.identity]))).toBe('ERR_LIMIT');
    expect(await code(() => decrypt(streamOf(f, 1), [spy, id.identity]))).toBe('ERR_LIMIT');
    expect(await code(() => decryptRange(f, 0, 1, [spy, id.identity]))).toBe('ERR_LIMIT');
    expect(await code(() => rewrap(f, [spy, id.identity], { add: generateIdentity().recipient }))).toBe('ERR_LIMIT');
    expect(spy.calls).toBe(0);
  });

  it('a caller may raise the bound for an unusual file (maxStanzas)', async () => {
    const f = await fileWithStanzas(AGE_MAX_STANZAS + 1, id.recipient, pt);
    expect(await decrypt(f, id.identity, { maxStanzas: AGE_MAX_STANZAS + 1 })).toEqual(pt);
    expect(parseHeader(f, DEFAULT_MAX_HEADER_BYTES, AGE_MAX_STANZAS + 1).header.stanzas).toHaveLength(AGE_MAX_STANZAS + 1);
    expect(await code(() => decrypt(f, id.identity, { maxStanzas: 10 }))).toBe('ERR_LIMIT');
  });

  it('encrypt and rewrap never write a header past the bound', async () => {
    const many = Array.from({ length: AGE_MAX_STANZAS }, () => generateIdentity().recipient);
    const atBound = await encrypt(pt, many.slice(0, AGE_MAX_STANZAS - 1).concat(id.recipient));
    expect(await decrypt(atBound, id.identity)).toEqual(pt);
    expect(await code(() => encrypt(pt, many.concat(id.recipient)))).toBe('ERR_LIMIT');
    expect(await code(() => rewrap(atBound, id.identity, { add: generateIdentity().recipient }))).toBe('ERR_LIMIT');
  });

  it('256 post-quantum stanzas fit in the default header bound', async () => {
    // The largest standard stanza: mlkem768x25519 (~1.6 KB each).
    const pq = generateIdentity({ pq: true });
    const one = await encrypt(pt, [pq.recipient]);
    const stanzaBytes = parseHeader(one).header.macInput.length - VERSION_LINE.length - 1 - 3;
    expect(stanzaBytes * AGE_MAX_STANZAS).toBeLessThan(DEFAULT_MAX_HEADER_BYTES / 2);
  });
});
