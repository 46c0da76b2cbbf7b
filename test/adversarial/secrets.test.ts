/**
 * Secrets never leak: no private key, file key, passphrase or plaintext byte appears in any
 * error (message, cause chain, stack, util.inspect), report, logged object or CLI output. Every
 * text is scanned for each secret in hex, base64 (padded, unpadded, url), bech32 / key-string
 * form, raw, and for 8-byte fragments of its hex.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBech32, fromHex, toBase64, toBase64NoPad, toBase64Url, toHex, utf8 } from '../../src/bytes.js';
import { decrypt } from '../../src/envelope/decrypt.js';
import { encrypt } from '../../src/envelope/encrypt.js';
import { identityFromString, parseIdentityFile } from '../../src/envelope/keys.js';
import { ScryptIdentity, ScryptRecipient } from '../../src/envelope/scrypt.js';
import { generateIdentity } from '../../src/keys/age.js';
import { SigningKey } from '../../src/keys/signing.js';
import { generateNoteKey, parseSignerKey } from '../../src/log/notekeys.js';
import { decryptFile } from '../../src/node/envelope.js';
import { buildCli, runCli } from '../cli/build.js';

interface Secret {
  readonly label: string;
  readonly bytes?: Uint8Array;
  readonly strings?: readonly string[];
}

function forms(s: Secret): string[] {
  const out = [...(s.strings ?? [])];
  if (s.bytes !== undefined && s.bytes.length >= 8) {
    const h = toHex(s.bytes);
    out.push(h, h.toUpperCase(), toBase64(s.bytes), toBase64NoPad(s.bytes), toBase64Url(s.bytes), Buffer.from(s.bytes).toString('latin1'));
    for (let i = 0; i + 16 <= h.length; i += 8) out.push(h.slice(i, i + 16));
  }
  for (const str of s.strings ?? []) if (str.length >= 24) for (let i = 0; i + 16 <= str.length; i += 16) out.push(str.slice(i, i + 16));
  return out.filter((f) => f.length >= 8);
}

/** Every way an error or value could reach a log: message, stack, causes, own properties. */
function render(v: unknown): string {
  const parts = [inspect(v, { depth: 12, showHidden: false, getters: true }), safeJson(v)];
  for (let e: unknown = v, i = 0; e instanceof Error && i < 10; e = e.cause, i++) parts.push(String(e), e.stack ?? '', e.message);
  return parts.join('\n');
}
function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? toHex(x) : typeof x === 'bigint' ? String(x) : x)) ?? '';
  } catch {
    return '';
  }
}

function leaks(text: string, secrets: readonly Secret[]): string[] {
  const found: string[] = [];
  for (const s of secrets) for (const f of forms(s)) if (text.includes(f)) found.push(`${s.label} (${f.slice(0, 6)}…)`);
  return [...new Set(found)];
}

async function errorOf(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

const x = generateIdentity();
const pq = generateIdentity({ pq: true });
const xSecret: Secret = { label: 'X25519 identity', bytes: fromBech32(x.identity).data, strings: [x.identity, x.identity.toLowerCase()] };
const pqSecret: Secret = { label: 'PQ identity', bytes: fromBech32(pq.identity).data, strings: [pq.identity, pq.identity.toLowerCase()] };
const PASS = 'hunter2-correct-horse-battery-staple';
const passSecret: Secret = { label: 'passphrase', strings: [PASS], bytes: utf8(PASS) };
const MARK = 'PLAINTEXT-MARKER-do-not-leak-';
const plain = utf8(MARK.repeat(4000));
const plainSecret: Secret = { label: 'plaintext', strings: [MARK.slice(0, 20)], bytes: plain.subarray(0, 64) };

describe('secrets never appear in errors, reports or objects', () => {
  it('decrypt failures (tampered payload, wrong identity, truncation) never show identities or plaintext', async () => {
    const file = await encrypt(plain, [x.recipient, pq.recipient], { allowMixedPostQuantum: true });
    const cases: [string, Uint8Array, unknown[]][] = [];
    const flipped = file.slice();
    flipped[flipped.length - 20]! ^= 1;
    cases.push(['tampered last chunk', flipped, [x.identity, pq.identity]]);
    cases.push(['truncated', file.subarray(0, file.length - 100), [x.identity]]);
    cases.push(['wrong identity', file, [generateIdentity().identity]]);
    const hdr = file.slice();
    hdr[30]! ^= 4;
    cases.push(['tampered header', hdr, [x.identity]]);
    for (const [label, bytes, ids] of cases) {
      const e = await errorOf(() => decrypt(bytes, ids as string[]));
      expect(leaks(render(e), [xSecret, pqSecret, plainSecret]), label).toEqual([]);
    }
  });

  it('scrypt: wrong passphrase and excessive work factor never show the passphrase', async () => {
    const file = await encrypt(utf8('x'), [new ScryptRecipient('another passphrase entirely', { logN: 4 })]);
    const e1 = await errorOf(() => decrypt(file, [new ScryptIdentity(PASS)]));
    const big = await encrypt(utf8('x'), [new ScryptRecipient(PASS, { logN: 12 })]);
    const e2 = await errorOf(() => decrypt(big, [new ScryptIdentity(PASS, { maxLogN: 10 })]));
    expect((e2 as { code: string }).code).toBe('ERR_SCRYPT_WORK_FACTOR');
    expect(leaks(render(e1) + render(e2) + render(new ScryptIdentity(PASS)) + render(new ScryptRecipient(PASS)), [passSecret])).toEqual([]);
  });

  it('the CCTV testkit: no failure shows the file key, identity or passphrase of its vector', async () => {
    const DIR = new URL('../vectors/age/testdata/', import.meta.url).pathname;
    let checked = 0;
    for (const name of readdirSync(DIR).sort()) {
      const raw = readFileSync(DIR + name);
      const split = raw.indexOf('\n\n');
      const kv = raw.subarray(0, split).toString('utf8').split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as const);
      const get = (k: string) => kv.filter(([a]) => a === k).map(([, v]) => v);
      if (get('expect')[0] === 'success') continue;
      let body: Uint8Array = raw.subarray(split + 2);
      if (get('compressed')[0] === 'zlib') body = inflateSync(body);
      const secrets: Secret[] = [
        ...get('file key').map((h) => ({ label: 'file key', bytes: fromHex(h) })),
        ...get('identity').map((s) => ({ label: 'identity', strings: [s, s.toLowerCase()], bytes: fromBech32(s).data })),
        ...get('passphrase').map((p) => ({ label: 'passphrase', strings: p.length >= 8 ? [p] : [] })),
      ];
      const ids = [...get('identity'), ...get('passphrase').map((p) => new ScryptIdentity(p, { maxLogN: 20 }))];
      const e = await errorOf(() => decrypt(body, ids, get('armored')[0] === 'yes' ? { armor: true } : { armor: false }));
      expect(leaks(render(e), secrets), name).toEqual([]);
      checked++;
    }
    expect(checked).toBe(117);
  });

  it('key parsing errors never echo the key material (identity files, note signer keys)', async () => {
    const xs = x.identity;
    const typo = xs.slice(0, 30) + (xs[30] === 'Q' ? 'P' : 'Q') + xs.slice(31);
    const near: Secret = { label: 'near-valid identity', strings: [typo, typo.toLowerCase()] };
    const e2 = await errorOf(() => parseIdentityFile(`# key\n${xs}\n${typo}\n`));
    const { skey } = generateNoteKey('log.example/k');
    const b64 = skey.split('+').slice(4).join('+');
    const wrongId = skey.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
    const e3 = await errorOf(() => parseSignerKey(wrongId));
    const e4 = await errorOf(() => parseSignerKey(`${skey}x`));
    const noteSecret: Secret = { label: 'note signer key', strings: [b64], bytes: Buffer.from(b64, 'base64') };
    expect(leaks([e2, e3, e4].map(render).join('\n'), [xSecret, near, noteSecret])).toEqual([]);
  });

  // FINDINGS.md F-1 (fixed): the error's `cause` (from the Bech32 codec) quoted the whole
  // near-valid secret key string.
  it('F-1 regression: identityFromString on a one-character typo does not echo the key (cause chain included)', async () => {
    const xs = x.identity;
    const typo = xs.slice(0, 30) + (xs[30] === 'Q' ? 'P' : 'Q') + xs.slice(31);
    const near: Secret = { label: 'near-valid identity', strings: [typo, typo.toLowerCase()] };
    const e1 = await errorOf(() => identityFromString(typo));
    expect(leaks(render(e1), [xSecret, near])).toEqual([]);
  });

  it('key objects do not reveal their secret through inspect, JSON or string conversion', () => {
    const k = SigningKey.generate();
    const s: Secret = { label: 'signing key', bytes: k.exportSecret() };
    const { skey } = generateNoteKey('log.example/k');
    const signer = parseSignerKey(skey);
    const nb64 = skey.split('+').slice(4).join('+');
    const noteSecret: Secret = { label: 'note signer key', bytes: Buffer.from(nb64, 'base64').subarray(1) };
    const objs = [k, identityFromString(x.identity), identityFromString(pq.identity), signer];
    const text = objs.map((o) => `${render(o)}\n${String(o)}`).join('\n');
    expect(leaks(text, [s, xSecret, pqSecret, noteSecret])).toEqual([]);
  });

  it('decryptFile of a tampered file: the error shows no plaintext, and no output file appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-secrets-'));
    try {
      const file = await encrypt(plain, [x.recipient]);
      const bad = file.slice();
      bad[bad.length - 5]! ^= 1;
      writeFileSync(join(dir, 'in.age'), bad);
      const e = await errorOf(() => decryptFile(join(dir, 'in.age'), join(dir, 'out'), [x.identity]));
      expect(leaks(render(e), [xSecret, plainSecret])).toEqual([]);
      expect(readdirSync(dir)).toEqual(['in.age']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('secrets never appear in CLI output', () => {
  let cli = '';
  let dir = '';
  beforeAll(async () => {
    cli = await buildCli();
    dir = mkdtempSync(join(tmpdir(), 'custos-secrets-cli-'));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keygen, pubkey and failing commands print no secret from the key file', () => {
    const key = join(dir, 'a.key');
    const outputs: string[] = [];
    const run = (args: string[], input?: string) => {
      const r = runCli(cli, args, input);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    expect(run(['keygen', '--pq', '--id', 'AT-TEST', '-o', key]).code).toBe(0);
    run(['keygen', '--pq', '--id', 'AT-TEST', '-o', key, '--json', '--force']);
    const doc = JSON.parse(readFileSync(key, 'utf8')) as { signing: { secret: string }; age: { identity: string }[] };
    const secrets: Secret[] = [
      { label: 'signing secret', strings: [doc.signing.secret], bytes: Buffer.from(doc.signing.secret, 'base64url') },
      ...doc.age.map((a) => ({ label: 'age identity', strings: [a.identity, a.identity.toLowerCase()], bytes: fromBech32(a.identity).data })),
    ];
    run(['pubkey', key]);
    run(['pubkey', key, '--json']);
    // failing commands that read the key file
    writeFileSync(join(dir, 'junk.tar'), new Uint8Array(1024));
    writeFileSync(join(dir, 'trust.json'), run(['pubkey', key]).stdout);
    run(['open', join(dir, 'junk.tar'), 'item', '-k', key, '--trust', join(dir, 'trust.json'), '-o', join(dir, 'out')]);
    run(['open', join(dir, 'junk.tar'), 'item', '-k', key, '--trust', join(dir, 'trust.json'), '--json', '-o', join(dir, 'out')]);
    // a key file with a damaged secret: the error must not echo the file
    const broken = readFileSync(key, 'utf8').replace(doc.signing.secret, `${doc.signing.secret.slice(0, -2)}!!`);
    writeFileSync(join(dir, 'broken.key'), broken);
    run(['pubkey', join(dir, 'broken.key')]);
    run(['open', join(dir, 'junk.tar'), 'item', '-k', join(dir, 'broken.key'), '--trust', join(dir, 'trust.json')]);
    const ident = doc.age[0]!.identity;
    const damagedId = readFileSync(key, 'utf8').replace(ident, `${ident.slice(0, -1)}${ident.endsWith('Q') ? 'P' : 'Q'}`); // always a different last character
    writeFileSync(join(dir, 'damaged.key'), damagedId);
    run(['pubkey', join(dir, 'damaged.key')]);
    run(['log', 'init', join(dir, 'log'), '--key', key]);
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(100);
    expect(leaks(all, secrets)).toEqual([]);
  }, 120_000);
});
