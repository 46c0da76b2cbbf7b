/**
 * Committing a record: every redactable entry becomes a salted digest, the rest stays in clear,
 * and the result is signed once (COSE_Sign1, RFC 9052 §4.2).
 *
 * Committed record payload (deterministic CBOR map):
 * `{ "v": 1, "iat": <milliseconds since the epoch>, "record": <committed map>, ? "holder": <kid> }`,
 * protected header `typ` (16, RFC 9596) = {@link RECORD_TYP}. The committed map is the record
 * with each redactable map entry moved into its map's `_sd` digest list and each redactable
 * array element replaced by `60(digest)`. Decoys pad every digest list (and the tag-60 elements
 * of every array) up to a multiple of the bucket size, with array decoys at random positions and
 * map digests sorted, so neither the count nor the order of what is withheld leaks beyond the bucket.
 */
import * as crypto from '#crypto';
import { assertBytes, assertInteger } from '../bytes.js';
import { Tag } from '../cbor.js';
import { decodeSign1, signSign1, type Sign1 } from '../cose/sign1.js';
import { CustosError, fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import { andThen, type Signed } from '../keys/signed.js';
import {
  assertRecordValue,
  decodeDisclosure,
  decoyDigestOf,
  disclosureDigest,
  encodeDisclosure,
  newDecoy,
  REDACTED_ELEMENT_TAG,
  SALT_BYTES,
  SD_KEY,
  type DecodedDisclosure,
  type RecordMap,
} from './disclosure.js';
import { formatPath, matchesPath, parsePath, type PathSegment, type RecordPath } from './path.js';
import { digestKey, resolveRecord, type Resolved } from './resolve.js';
import { decodePayloadMap, encodePayload, toMillis } from './wire.js';

/** `typ` of a committed record. */
export const RECORD_TYP = 'application/custos-record+cose';
/** Default bucket size for decoy padding. */
export const DEFAULT_BUCKET = 8;

/** A disclosure as the holder keeps it: its bytes, digest, and where it sits in the record. */
export interface Disclosure {
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  /** Concrete path in the original record (e.g. `sessions[2].ip`). */
  readonly path: string;
}

/** What {@link commitRecord} returns: the signed committed record and every disclosure for it. */
export interface CommittedRecord {
  /** The COSE_Sign1 bytes; they contain no redactable value and no salt. */
  readonly bytes: Uint8Array;
  /** All disclosures; keep them with the holder, give out only the chosen ones. */
  readonly disclosures: readonly Disclosure[];
  /**
   * The decoys' bytes (`[salt]`, as SD-CWT gives them to its holder): kept by the holder, never
   * presented. Knowing them, the holder can tell a decoy from a real entry it lacks, so its own
   * view of the record (array indices, completeness) is exact.
   */
  readonly decoys: readonly Uint8Array[];
}

export interface CommitOptions<S extends Signer = Signer> {
  /** Paths (see `parsePath`) of the entries and elements that may be withheld. */
  readonly redactable: readonly string[];
  readonly signer: S;
  /** Pad digest lists to a multiple of this (default {@link DEFAULT_BUCKET}, 1 = no decoys). */
  readonly bucket?: number;
  /** kid of the only key allowed to present this record (like SD-CWT's `cnf`). */
  readonly holder?: Uint8Array;
  /** Signing time (default now). */
  readonly issuedAt?: Date | number | string;
  /** Accept redactable paths that match nothing (default false: a typo must not leave data in clear). */
  readonly allowUnmatched?: boolean;
}

function randomBelow(n: number): number {
  // Rejection sampling over 32-bit values: uniform, no modulo bias.
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  for (;;) {
    const b = crypto.randomBytes(4);
    const x = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (x < limit) return x % n;
  }
}

function padded(n: number, bucket: number): number {
  return Math.ceil(n / bucket) * bucket;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

interface Build {
  readonly patterns: readonly RecordPath[];
  readonly matched: Set<number>;
  readonly bucket: number;
  readonly out: { bytes: Uint8Array; digest: Uint8Array; segments: readonly PathSegment[] }[];
  readonly decoys: Uint8Array[];
}

function decoy(b: Build): Uint8Array {
  const d = newDecoy();
  b.decoys.push(d.bytes);
  return d.digest;
}

function isRedactable(b: Build, segs: readonly PathSegment[]): boolean {
  let hit = false;
  b.patterns.forEach((p, i) => {
    if (matchesPath(p, segs)) {
      b.matched.add(i);
      hit = true;
    }
  });
  return hit;
}

function disclose(b: Build, segs: readonly PathSegment[], value: unknown, key?: string): Uint8Array {
  const bytes = encodeDisclosure(crypto.randomBytes(SALT_BYTES), value, key);
  const digest = disclosureDigest(bytes);
  b.out.push({ bytes, digest, segments: segs });
  return digest;
}

function build(v: unknown, segs: readonly PathSegment[], b: Build): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    let redacted = 0;
    v.forEach((el, i) => {
      const s: PathSegment[] = [...segs, { kind: 'index', index: i }];
      const c = build(el, s, b);
      if (isRedactable(b, s)) {
        out.push(new Tag(disclose(b, s, c), REDACTED_ELEMENT_TAG));
        redacted++;
      } else out.push(c);
    });
    if (redacted > 0) {
      for (let k = padded(redacted, b.bucket) - redacted; k > 0; k--) {
        out.splice(randomBelow(out.length + 1), 0, new Tag(decoy(b), REDACTED_ELEMENT_TAG));
      }
    }
    return out;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out = new Map<string, unknown>();
    const digests: Uint8Array[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const s: PathSegment[] = [...segs, { kind: 'key', key: k }];
      const c = build(x, s, b);
      if (isRedactable(b, s)) digests.push(disclose(b, s, c, k));
      else out.set(k, c);
    }
    if (digests.length > 0) {
      for (let k = padded(digests.length, b.bucket) - digests.length; k > 0; k--) digests.push(decoy(b));
      digests.sort(compareBytes);
      out.set(SD_KEY, digests);
    }
    return out;
  }
  return v;
}

/**
 * Commits a record for selective disclosure and signs it.
 *
 * @example
 * ```ts
 * const issuer = SigningKey.generate();
 * const committed = commitRecord(
 *   { subscriber: { name: 'A. Person', msisdn: '+431234' }, sessions: [{ ip: '192.0.2.1', start: 1700000000 }] },
 *   { redactable: ['subscriber.name', 'subscriber.msisdn', 'sessions[*]', 'sessions[*].ip'], signer: issuer },
 * );
 * committed.disclosures.map((d) => d.path); // ['subscriber.name', 'subscriber.msisdn', 'sessions[0].ip', 'sessions[0]']
 * ```
 */
export function commitRecord<S extends Signer>(record: RecordMap, opts: CommitOptions<S>): Signed<S, CommittedRecord> {
  if (opts === null || typeof opts !== 'object') fail('ERR_INVALID_ARGUMENT', '"opts" expected an object');
  if (record === null || typeof record !== 'object' || Array.isArray(record) || record instanceof Uint8Array) {
    fail('ERR_RECORD_INVALID', 'a record must be a plain object');
  }
  if (typeof opts.signer?.sign !== 'function') fail('ERR_INVALID_ARGUMENT', '"signer" expected a Signer');
  assertRecordValue(record, 'record');
  if (!Array.isArray(opts.redactable)) fail('ERR_INVALID_ARGUMENT', '"redactable" expected an array of paths');
  const patterns = opts.redactable.map((p) => parsePath(p));
  const bucket = opts.bucket === undefined ? DEFAULT_BUCKET : assertInteger('bucket', opts.bucket, 1, 1024);
  const holder = opts.holder === undefined ? undefined : assertBytes('holder', opts.holder);
  const b: Build = { patterns, matched: new Set(), bucket, out: [], decoys: [] };
  const committed = build(record, [], b);
  if (!(opts.allowUnmatched ?? false)) {
    patterns.forEach((p, i) => {
      if (!b.matched.has(i)) fail('ERR_INVALID_ARGUMENT', `redactable path ${JSON.stringify(p.text)} matches nothing in the record`);
    });
  }
  const payload = new Map<string, unknown>([
    ['v', 1],
    ['iat', toMillis('issuedAt', opts.issuedAt)],
    ['record', committed],
  ]);
  if (holder !== undefined) payload.set('holder', holder);
  const disclosures = b.out.map((d) => ({ bytes: d.bytes, digest: d.digest, path: formatPath(d.segments) }));
  const signed = signSign1<Signer>(encodePayload(payload), opts.signer, { protectedHeaders: new Map([[16, RECORD_TYP]]) });
  return andThen(signed, (bytes): CommittedRecord => ({ bytes, disclosures, decoys: b.decoys })) as Signed<S, CommittedRecord>;
}

/** A committed record taken apart (no signature check: that is the verifier's job). */
export interface OpenedRecord {
  readonly sign1: Sign1;
  readonly version: 1;
  readonly issuedAt: number;
  readonly record: unknown;
  readonly holder: Uint8Array | undefined;
}

/**
 * Decodes committed record bytes without checking the signature; throws ERR_RECORD_INVALID when
 * malformed. For inspection; {@link verifyPresentation} is what checks signatures.
 *
 * @example
 * ```ts
 * const { issuedAt, holder } = openCommittedRecord(committed.bytes);
 * ```
 */
export function openCommittedRecord(bytes: Uint8Array): OpenedRecord {
  assertBytes('committed', bytes);
  let sign1: Sign1;
  try {
    sign1 = decodeSign1(bytes);
  } catch (e) {
    throw new CustosError('ERR_RECORD_INVALID', 'the committed record is not a COSE_Sign1', { cause: e });
  }
  if (sign1.protectedHeaders.get(16) !== RECORD_TYP) fail('ERR_RECORD_INVALID', `the committed record's typ is not ${RECORD_TYP}`);
  if (sign1.payload === null) fail('ERR_RECORD_INVALID', 'the committed record has no payload');
  const p = decodePayloadMap(sign1.payload, 'committed record', [REDACTED_ELEMENT_TAG]);
  if (p.get('v') !== 1) fail('ERR_RECORD_INVALID', 'unsupported committed record version');
  for (const k of p.keys()) {
    if (!['v', 'iat', 'record', 'holder'].includes(k)) fail('ERR_RECORD_INVALID', `unknown field ${JSON.stringify(k)} in the committed record`);
  }
  const iat = p.get('iat');
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) fail('ERR_RECORD_INVALID', 'the committed record has no valid iat');
  const holder = p.get('holder');
  if (holder !== undefined && !(holder instanceof Uint8Array)) fail('ERR_RECORD_INVALID', 'holder must be a byte string');
  if (!(p.get('record') instanceof Map)) fail('ERR_RECORD_INVALID', 'the committed record has no record map');
  return { sign1, version: 1, issuedAt: iat, record: p.get('record'), holder };
}

/**
 * Loads a committed record, its disclosures and its decoys from their bytes (as the holder
 * stores them), checking that each belongs to the record and recomputing each disclosure's path.
 * A digest that is neither a given disclosure nor a decoy is an entry the holder no longer has:
 * it stays withheld, and array indices still count it.
 *
 * @example
 * ```ts
 * const again = loadCommittedRecord(committed.bytes, committed.disclosures.map((d) => d.bytes), committed.decoys);
 * ```
 */
export function loadCommittedRecord(bytes: Uint8Array, disclosures: readonly Uint8Array[], decoys: readonly Uint8Array[]): CommittedRecord {
  if (!Array.isArray(disclosures) || !Array.isArray(decoys)) fail('ERR_INVALID_ARGUMENT', '"disclosures" and "decoys" expected arrays of bytes');
  const { resolved } = resolveCommitted(bytes, disclosures, false, decoys);
  return {
    bytes,
    disclosures: resolved.nodes.map((n) => ({ bytes: n.disclosure.bytes, digest: n.disclosure.digest, path: formatPath(n.segments) })),
    decoys: [...decoys],
  };
}

/**
 * Resolves a committed record with the given disclosures (holder-side helper). With `decoys`,
 * every decoy must occur in the record and array indices are the original ones.
 */
export function resolveCommitted(
  bytes: Uint8Array,
  disclosures: readonly (Disclosure | Uint8Array)[],
  collectLeaves = false,
  decoys?: readonly Uint8Array[],
): { opened: OpenedRecord; decoded: DecodedDisclosure[]; resolved: Resolved } {
  const opened = openCommittedRecord(bytes);
  // Array.from: a hole is refused like any non-disclosure (map would pass it on)
  const decoded = Array.from(disclosures, (d, i) => decodeDisclosure(d instanceof Uint8Array ? d : assertBytes(`disclosures[${i}].bytes`, d?.bytes)));
  let decoySet: Set<string> | undefined;
  if (decoys !== undefined) {
    decoySet = new Set(Array.from(decoys, (d, i) => digestKey(decoyDigestOf(assertBytes(`decoys[${i}]`, d)))));
  }
  const resolved = resolveRecord(opened.record, decoded, { leaves: collectLeaves, ...(decoySet !== undefined ? { decoys: decoySet } : {}) });
  // Decoys inside a container the holder lacks are out of reach; otherwise each must be found.
  if (decoySet !== undefined && resolved.unknownCount === 0) {
    if (resolved.decoyCount !== decoySet.size) fail('ERR_DISCLOSURE_UNREFERENCED', 'a decoy matches no digest in the record');
  }
  return { opened, decoded, resolved };
}
