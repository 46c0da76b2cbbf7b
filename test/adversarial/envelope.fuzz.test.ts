/**
 * Hostile age files against the envelope: header and stanzas, header MAC, STREAM payload,
 * armor, identity and recipient strings, scrypt work factors, and the CCTV age testkit
 * (every vector, through the fuzz oracle). Whatever decrypts must be exactly a plaintext that
 * was encrypted; everything else is a CustosError with a documented code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { armor, dearmor } from '../../src/envelope/armor.js';
import { decrypt } from '../../src/envelope/decrypt.js';
import { encrypt } from '../../src/envelope/encrypt.js';
import { parseHeader } from '../../src/envelope/header.js';
import { decryptRange } from '../../src/envelope/range.js';
import { rewrap } from '../../src/envelope/rewrap.js';
import { identityFromString, parseIdentityFile, parseRecipientsFile, recipientFromString } from '../../src/envelope/keys.js';
import { ScryptIdentity, ScryptRecipient } from '../../src/envelope/scrypt.js';
import { CustosError } from '../../src/errors.js';
import { generateIdentity } from '../../src/keys/age.js';
import { byteFlipSweep, counters, fuzz, isSample, truncationSweep, type Target } from './harness.js';

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const td = new TextDecoder();

const x = generateIdentity();
const pq = generateIdentity({ pq: true });
const plains = [new Uint8Array(0), utf8('evidence: the quick brown fox'), new Uint8Array(64 * 1024 + 17).map((_, i) => i * 31)];
const PASS = 'correct horse battery staple';

let binSamples: Uint8Array[] = [];
let armSamples: Uint8Array[] = [];
let scryptSamples: Uint8Array[] = [];

async function setup() {
  if (binSamples.length > 0) return;
  binSamples = [
    await encrypt(plains[0]!, [x.recipient]),
    await encrypt(plains[1]!, [x.recipient, pq.recipient], { allowMixedPostQuantum: true }),
    await encrypt(plains[2]!, [pq.recipient]),
  ];
  armSamples = [utf8(armor(binSamples[1]!))];
  scryptSamples = [await encrypt(plains[1]!, [new ScryptRecipient(PASS, { logN: 4 })])];
}

const okPlain = (p: Uint8Array) => plains.some((q) => eq(p, q));

const decryptBinary: Target<Uint8Array> = {
  name: 'decrypt (X25519 + ML-KEM-768-X25519)',
  get samples() {
    return binSamples;
  },
  run: (b) => decrypt(b, [x.identity, pq.identity], { armor: false }),
  // Binary age has one encoding: anything that decrypts must be an untouched sample.
  oracle: (b, p) => (!isSample(binSamples, b) ? 'a modified age file decrypted' : okPlain(p) ? undefined : 'decrypted to an unknown plaintext'),
};
const decryptArmored: Target<Uint8Array> = {
  name: 'decrypt (armored)',
  get samples() {
    return armSamples;
  },
  text: true,
  run: (b) => decrypt(b, [x.identity], { armor: true }),
  oracle: (_b, p) => (okPlain(p) ? undefined : 'decrypted to an unknown plaintext'),
};
const decryptScrypt: Target<Uint8Array> = {
  name: 'decrypt (scrypt, work factor bounded at 2^10 here)',
  get samples() {
    return scryptSamples;
  },
  text: false,
  run: (b) => decrypt(b, [new ScryptIdentity(PASS, { maxLogN: 10 })]),
  oracle: (b, p) => (!isSample(scryptSamples, b) ? 'a modified scrypt file decrypted' : okPlain(p) ? undefined : 'unknown plaintext'),
};
const header: Target = {
  name: 'parseHeader',
  get samples() {
    return binSamples.map((b) => b.subarray(0, Math.min(b.length, 2000)));
  },
  run: (b) => parseHeader(b),
};
const dearmorT: Target = {
  name: 'dearmor',
  get samples() {
    return armSamples;
  },
  text: true,
  run: (b) => dearmor(b),
};
const keyStrings: Target = {
  name: 'identity / recipient strings and files',
  get samples() {
    return [utf8(x.identity), utf8(pq.identity), utf8(x.recipient), utf8(`# created\n${x.identity}\n${pq.identity}\n`), utf8(`${x.recipient}\n# c\n${pq.recipient}\n`)];
  },
  text: true,
  run: (b) => {
    const s = td.decode(b);
    if (s.includes('\n')) return s.includes('SECRET') ? parseIdentityFile(s) : parseRecipientsFile(s);
    return s.startsWith('AGE-') ? identityFromString(s) : recipientFromString(s);
  },
};

// Random access: a range crossing the first chunk boundary of the 64 KiB + 17 sample.
const RANGE = { offset: 65_000, length: 700 };
const rangeT: Target<Uint8Array> = {
  name: 'decryptRange (across a chunk boundary)',
  get samples() {
    return [binSamples[2]!];
  },
  run: (b) => decryptRange(b, RANGE.offset, RANGE.length, [pq.identity]),
  // Chunks outside the range are not read, so damage there may go unnoticed; but whatever is
  // released must be exactly the original plaintext of that range.
  oracle: (_b, p) => (eq(p, plains[2]!.subarray(RANGE.offset, RANGE.offset + RANGE.length)) ? undefined : 'released bytes that are not the plaintext'),
};
const other = generateIdentity();
const rewrapT: Target<Uint8Array> = {
  name: 'rewrap (add a recipient) then decrypt with it',
  get samples() {
    return binSamples.slice(0, 2);
  },
  run: async (b) => {
    const out = await rewrap(b, [x.identity], { add: [other.recipient] }, { armor: false });
    return decrypt(out, [other.identity]);
  },
  oracle: (_b, p) => (okPlain(p) ? undefined : 'a rewrapped file decrypted to an unknown plaintext'),
};

const targets = [rangeT, rewrapT, decryptBinary, decryptArmored, decryptScrypt, header, dearmorT, keyStrings] as Target[];

describe('fuzz: age envelope', () => {
  afterAll(() => console.log(`[adversarial] envelope: ${counters.cases} cases`));
  it.each(targets.map((t) => [t.name, t]))('%s survives structured mutations and arbitrary bytes', async (_n, t) => {
    await setup();
    await fuzz(t);
  });
  it.each(targets.map((t) => [t.name, t]))('%s: truncations and byte flips (sampled)', async (_n, t) => {
    await setup();
    expect([...(await truncationSweep(t, 150)), ...(await byteFlipSweep(t, 200))]).toEqual([]);
  });
  it('the CCTV age testkit: every vector gives its expected outcome through decrypt', async () => {
    const DIR = new URL('../vectors/age/testdata/', import.meta.url).pathname;
    const names = readdirSync(DIR).sort();
    let n = 0;
    for (const name of names) {
      const raw = readFileSync(DIR + name);
      const split = raw.indexOf('\n\n');
      const head = raw.subarray(0, split).toString('utf8').split('\n');
      let body: Uint8Array = raw.subarray(split + 2);
      const kv = head.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as const);
      const get = (k: string) => kv.filter(([a]) => a === k).map(([, v]) => v);
      if (get('compressed')[0] === 'zlib') body = inflateSync(body);
      const ids = [...get('identity'), ...get('passphrase').map((p) => new ScryptIdentity(p, { maxLogN: 20 }))];
      const expectOk = get('expect')[0] === 'success';
      let ok = false;
      try {
        await decrypt(body, ids, get('armored')[0] === 'yes' ? { armor: true } : { armor: false });
        ok = true;
      } catch (e) {
        expect(e, name).toBeInstanceOf(CustosError);
      }
      expect(ok, name).toBe(expectOk);
      n++;
      counters.cases++;
    }
    expect(n).toBe(143);
  });
});
