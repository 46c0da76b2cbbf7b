/**
 * Acquisition hashes: the digests imaging tools record (MD5 and SHA-1 are what EWF/E01 stores,
 * SHA-512 on request) besides custos' SHA-256, computed over the plaintext in the same read as
 * the seal, and the cross-check of the hashes an imaging tool reported against them.
 *
 * Names are those of custody events (`sha-256`, `sha-1`, `md5`, `sha-512`); the command line
 * also accepts the unhyphenated spellings forensic tools print (`sha256`, `sha1`, `sha512`).
 */
import * as crypto from '#crypto';
import { equalBytes, fromHex, toHex } from '../bytes.js';
import type { HashAlg } from '../crypto/types.js';
import { CustosError, fail } from '../errors.js';

export type { HashAlg } from '../crypto/types.js';

/** Every acquisition hash algorithm, in the order reports list them. */
export const HASH_ALGS: readonly HashAlg[] = ['sha-256', 'sha-1', 'md5', 'sha-512'];

const DIGEST_BYTES: { readonly [A in HashAlg]: number } = { 'sha-256': 32, 'sha-1': 20, md5: 16, 'sha-512': 64 };

const SPELLINGS: Readonly<Record<string, HashAlg>> = {
  'sha-256': 'sha-256',
  sha256: 'sha-256',
  'sha-1': 'sha-1',
  sha1: 'sha-1',
  md5: 'md5',
  'sha-512': 'sha-512',
  sha512: 'sha-512',
};

/** A digest map of the plaintext: algorithm → digest bytes. */
export type Digests = Readonly<Partial<Record<HashAlg, Uint8Array>>>;

/**
 * The algorithm a name denotes (`sha256` or `sha-256`, case-insensitive); ERR_UNSUPPORTED for
 * any other name.
 *
 * @example
 * ```ts
 * hashAlg('SHA1'); // 'sha-1'
 * ```
 */
export function hashAlg(name: string): HashAlg {
  const a = typeof name === 'string' && Object.hasOwn(SPELLINGS, name.toLowerCase()) ? SPELLINGS[name.toLowerCase()] : undefined;
  if (a === undefined) fail('ERR_UNSUPPORTED', `unknown hash algorithm ${JSON.stringify(String(name).slice(0, 40))} (one of ${HASH_ALGS.join(', ')})`);
  return a;
}

/**
 * The algorithms of a comma-separated list (`sha256,sha1,md5`), without repeats, in HASH_ALGS order.
 *
 * @example
 * ```ts
 * parseHashList('md5,sha256,sha1'); // ['sha-256', 'sha-1', 'md5']
 * ```
 */
export function parseHashList(list: string): HashAlg[] {
  const set = new Set(list.split(',').map((s) => hashAlg(s.trim())));
  return HASH_ALGS.filter((a) => set.has(a));
}

/** A reported digest as bytes: lower- or upper-case hex of the algorithm's length, or bytes. */
export function reportedDigest(alg: HashAlg, value: string | Uint8Array): Uint8Array {
  let b: Uint8Array;
  if (value instanceof Uint8Array) b = value;
  else if (typeof value === 'string' && /^[0-9a-fA-F]*$/.test(value) && value.length % 2 === 0) b = fromHex(value.toLowerCase());
  else fail('ERR_INVALID_ARGUMENT', `reported ${alg} digest expected hex`);
  if (b.length !== DIGEST_BYTES[alg]) fail('ERR_INVALID_ARGUMENT', `reported ${alg} digest expected ${DIGEST_BYTES[alg]} bytes, got ${b.length}`);
  return b;
}

/** Hashes requested and reported digests, validated before any byte is read. */
export interface DigestPlan {
  /** The algorithms computed over the plaintext: always `sha-256`, plus every requested and reported one. */
  readonly algs: readonly HashAlg[];
  readonly reported: Readonly<Partial<Record<HashAlg, Uint8Array>>>;
}

/** Validates `hashes` and `reported`; the set computed includes SHA-256 and every reported algorithm. */
export function planDigests(hashes: readonly string[] | undefined, reported: Readonly<Record<string, string | Uint8Array>> | undefined): DigestPlan {
  if (hashes !== undefined && !Array.isArray(hashes)) fail('ERR_INVALID_ARGUMENT', '"hashes" expected an array of algorithm names');
  if (reported !== undefined && (typeof reported !== 'object' || reported === null)) fail('ERR_INVALID_ARGUMENT', '"reported" expected an object');
  const want = new Set<HashAlg>(['sha-256', ...(hashes ?? []).map(hashAlg)]);
  const rep: Partial<Record<HashAlg, Uint8Array>> = {};
  for (const [name, value] of Object.entries(reported ?? {})) {
    const a = hashAlg(name);
    if (rep[a] !== undefined) fail('ERR_INVALID_ARGUMENT', `reported ${a} digest given twice`);
    rep[a] = reportedDigest(a, value);
    want.add(a);
  }
  return { algs: HASH_ALGS.filter((a) => want.has(a)), reported: rep };
}

/**
 * Fails with ERR_DIGEST_MISMATCH when a reported digest differs from the computed one (constant
 * time compare), or when a reported algorithm was not computed (a check that cannot run fails).
 */
export function checkReported(plan: DigestPlan, computed: Digests): void {
  for (const a of HASH_ALGS) {
    const r = plan.reported[a];
    if (r === undefined) continue;
    const c = computed[a];
    if (c === undefined || !equalBytes(c, r)) {
      throw new CustosError('ERR_DIGEST_MISMATCH', `the reported ${a} digest does not match the ${a} custos computed over the input`);
    }
  }
}

/**
 * A digest map as lower-case hex (the JSON form of `--json` and `--digests-out`).
 *
 * @example
 * ```ts
 * digestsToHex(result.digests); // { 'sha-256': '…', md5: '…' }
 * ```
 */
export function digestsToHex(d: Digests): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of HASH_ALGS) {
    const v = d[a];
    if (v !== undefined) out[a] = toHex(v);
  }
  return out;
}

/**
 * Several digests of one stream, on this thread.
 *
 * @example
 * ```ts
 * const d = new DigestSet(['sha-256', 'md5']);
 * d.update(bytes);
 * toHex(d.digests().md5!);
 * ```
 */
export class DigestSet {
  readonly #hashes: [HashAlg, ReturnType<typeof crypto.createHash>][];
  constructor(algs: readonly HashAlg[]) {
    this.#hashes = algs.map((a) => [a, crypto.createHash(a)]);
  }
  update(b: Uint8Array): void {
    for (const [, h] of this.#hashes) h.update(b);
  }
  digests(): Partial<Record<HashAlg, Uint8Array>> {
    const out: Partial<Record<HashAlg, Uint8Array>> = {};
    for (const [a, h] of this.#hashes) out[a] = h.digest();
    return out;
  }
}
