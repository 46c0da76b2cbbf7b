/**
 * Sealing: encrypt an item to its recipients and sign its manifest, in one streaming pass.
 *
 * The plaintext is read once. As the age encryptor consumes it, the same chunks feed the
 * plaintext SHA-256, and every payload byte it produces feeds the payload SHA-256 (envelope
 * hooks `onPlaintext`/`onPayload`); when the last chunk is sealed the manifest is complete and
 * is signed. Nothing is buffered beyond one chunk for streams.
 */
import * as crypto from '#crypto';
import { assertString } from '../bytes.js';
import { HEADER, signSign1 } from '../cose/index.js';
import { createEncryptor, encryptAll, encryptorStream, type AgeEncryptor } from '../envelope/encrypt.js';
import { isReadableStream, sourceOf } from '../envelope/io.js';
import type { RecipientInput } from '../envelope/types.js';
import { fail } from '../errors.js';
import type { Signer } from '../keys/signing.js';
import { andThen, type Signed } from '../keys/signed.js';
import { eventTime } from '../custody/event.js';
import { checkReported, DigestSet, planDigests, type DigestPlan, type Digests, type HashAlg } from './digests.js';
import { encodeSealManifest, parseSealContext, parseSealManifest, SEAL_CONTENT_TYPE, type SealContext, type SealManifest } from './manifest.js';

export interface SealOptions<S extends Signer = Signer> {
  /** age recipients (`age1…`, `age1pq1…`, recipient objects). */
  readonly recipients: RecipientInput | readonly RecipientInput[];
  /** The sealing key: a `SigningKey`, or an asynchronous token/KMS signer. */
  readonly signer: S;
  /** The sealing authority's id in the trust store (the signer's key must belong to it). */
  readonly authority: string;
  /** The item id (exhibit number). */
  readonly id: string;
  readonly context: SealContext;
  /** Default `application/octet-stream`. */
  readonly mediaType?: string;
  readonly name?: string;
  /** Sealing time (default now): the time the verifier checks the signer's key against. */
  readonly created?: Date | string | number;
  /**
   * Allow a post-quantum recipient together with classic ones (default: ERR_PQ_MIXED). When
   * set, the signed context records `quantumResistant: false` and verification reports it.
   */
  readonly allowMixedPostQuantum?: boolean;
  /**
   * Acquisition hashes computed over the plaintext in the same read (`sha-256` always; add
   * `sha-1`, `md5`, `sha-512` as imaging tools record them): returned as `digests`.
   */
  readonly hashes?: readonly HashAlg[];
  /**
   * Digests an imaging tool reported for the same data (algorithm → hex or bytes), cross-checked
   * against what is computed: a difference fails the seal with ERR_DIGEST_MISMATCH before it is
   * signed (and, for the file sealer, before any output appears). Reported algorithms are
   * computed even when not in `hashes`.
   */
  readonly reported?: Readonly<Partial<Record<HashAlg, string | Uint8Array>>>;
}

/** A sealed item held in memory. */
export interface SealedItem {
  readonly ciphertext: Uint8Array;
  readonly seal: Uint8Array;
  readonly manifest: SealManifest;
  /** The plaintext digests computed (see {@link SealOptions.hashes}). */
  readonly digests: Digests;
}

/** The signature over a manifest, once the stream has been read to its end. */
export interface SealResult {
  readonly seal: Uint8Array;
  readonly manifest: SealManifest;
  /** The plaintext digests computed (`sha-256` and every requested or reported algorithm). */
  readonly digests: Digests;
}

/** Hashes both sides of an encryption and builds the seal at the end. */
export interface SealTracker<S extends Signer = Signer> {
  readonly onPlaintext: (chunk: Uint8Array) => void;
  readonly onPayload: (bytes: Uint8Array) => void;
  /** The seal: at once for a synchronous signer, a Promise for an asynchronous one. */
  finish(): Signed<S, SealResult>;
}

/** A seal with everything but the digests decided and validated. */
export interface PreparedSeal<S extends Signer = Signer> {
  readonly base: Omit<SealManifest, 'size' | 'sha256' | 'payloadSize' | 'payloadSha256'>;
  readonly signer: S;
  /** The plaintext digests to compute and the reported ones to check. */
  readonly digests: DigestPlan;
}

/** Validates the options (before any byte is encrypted); {@link completeSeal} adds the digests and signs. */
export function prepareSeal<S extends Signer>(opts: SealOptions<S>): PreparedSeal<S> {
  if (typeof opts !== 'object' || opts === null) fail('ERR_INVALID_ARGUMENT', '"opts" expected an object');
  if (typeof opts.signer?.sign !== 'function') fail('ERR_INVALID_ARGUMENT', '"signer" expected a Signer');
  const base = {
    version: 1 as const,
    id: assertString('id', opts.id, 200),
    mediaType: opts.mediaType ?? 'application/octet-stream',
    created: eventTime('created', opts.created ?? Date.now()),
    authority: assertString('authority', opts.authority, 200),
    context: parseSealContext(opts.allowMixedPostQuantum === true ? { ...opts.context, quantumResistant: false } : opts.context),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
  };
  // validate everything but the digests now, before a single byte is encrypted
  parseSealManifest({ ...base, size: 0, sha256: new Uint8Array(32), payloadSize: 0, payloadSha256: new Uint8Array(32) });
  return { base, signer: opts.signer, digests: planDigests(opts.hashes, opts.reported) };
}

/**
 * Adds the digests to a prepared seal, cross-checks the reported ones (ERR_DIGEST_MISMATCH, before
 * signing) and signs it. `plaintext` holds the other acquisition digests computed (SHA-256 is
 * `sha256`).
 */
export function completeSeal<S extends Signer>(
  prepared: PreparedSeal<S>,
  digests: { size: number; sha256: Uint8Array; payloadSize: number; payloadSha256: Uint8Array },
  plaintext: Digests = {},
): Signed<S, SealResult> {
  const { size, sha256, payloadSize, payloadSha256 } = digests;
  const all: Digests = { ...plaintext, 'sha-256': sha256 };
  checkReported(prepared.digests, all);
  const manifest = parseSealManifest({ ...prepared.base, size, sha256, payloadSize, payloadSha256 });
  return andThen(signSeal<Signer>(manifest, prepared.signer), (seal): SealResult => ({ seal, manifest, digests: all })) as Signed<S, SealResult>;
}

/** Signs a complete manifest: the seal bytes (tagged COSE_Sign1); a Promise for an asynchronous signer. */
export function signSeal<S extends Signer>(manifest: SealManifest, signer: S): Signed<S, Uint8Array> {
  return signSign1(encodeSealManifest(manifest), signer, {
    protectedHeaders: new Map<number | string, unknown>([[HEADER.contentType, SEAL_CONTENT_TYPE]]),
  });
}

/**
 * A tracker for driving the encryption yourself (the Node file sealer does): pass its hooks to
 * the encryptor, call `finish()` after the encryptor's own finish.
 *
 * @example
 * ```ts
 * const t = createSealTracker(opts);
 * await encryptFile(input, output, opts.recipients, { onPlaintext: t.onPlaintext, onPayload: t.onPayload });
 * const { seal, manifest } = t.finish();
 * ```
 */
export function createSealTracker<S extends Signer>(opts: SealOptions<S>): SealTracker<S> {
  const prepared = prepareSeal(opts);
  const plain = new DigestSet(prepared.digests.algs);
  const payload = crypto.createSha256();
  let size = 0;
  let payloadSize = 0;
  let finished = false;
  return {
    onPlaintext: (chunk) => {
      size += chunk.length;
      plain.update(chunk);
    },
    onPayload: (bytes) => {
      payloadSize += bytes.length;
      payload.update(bytes);
    },
    finish: () => {
      if (finished) fail('ERR_INVALID_ARGUMENT', 'the seal tracker was already finished');
      finished = true;
      const d = plain.digests();
      return completeSeal(prepared, { size, sha256: d['sha-256']!, payloadSize, payloadSha256: payload.digest() }, d);
    },
  };
}

/**
 * Encrypts an item to its recipients and seals it, reading it once.
 *
 * Bytes in: the age file, the seal and the manifest. A ReadableStream in: the age file as a
 * stream, and a promise of the seal that settles when that stream has been read to its end
 * (or rejects with the stream's error, or with ERR_DIGEST_MISMATCH when a `reported` digest
 * differs: the ciphertext already streamed must then be discarded).
 *
 * @example
 * ```ts
 * const { ciphertext, seal } = await sealItem(image, {
 *   recipients: ['age1pq1…'], signer: key, authority: 'at.lpd-wien', id: 'AT-2026-417/3',
 *   context: { caseId: '12 St 34/26', requestId: 'EIO-2026-771', purpose: 'fraud investigation', legalBasis: 'Directive 2014/41/EU' },
 *   hashes: ['sha-1', 'md5'], reported: { md5: '9e107d9d372bb6826bd81d3542a419d6' },
 * });
 * ```
 */
export async function sealItem(source: Uint8Array, opts: SealOptions): Promise<SealedItem>;
export async function sealItem(
  source: ReadableStream<Uint8Array>,
  opts: SealOptions,
): Promise<{ ciphertext: ReadableStream<Uint8Array>; seal: Promise<SealResult> }>;
export async function sealItem(
  source: Uint8Array | ReadableStream<Uint8Array>,
  opts: SealOptions,
): Promise<SealedItem | { ciphertext: ReadableStream<Uint8Array>; seal: Promise<SealResult> }> {
  if (!(source instanceof Uint8Array) && !isReadableStream(source)) fail('ERR_INVALID_ARGUMENT', '"source" expected Uint8Array or ReadableStream<Uint8Array>');
  const tracker = createSealTracker(opts);
  const enc: AgeEncryptor = await createEncryptor(opts.recipients, {
    onPlaintext: tracker.onPlaintext,
    onPayload: tracker.onPayload,
    allowMixedPostQuantum: opts.allowMixedPostQuantum === true,
  });
  if (source instanceof Uint8Array) return { ciphertext: encryptAll(enc, source), ...(await tracker.finish()) };
  let settle!: { resolve: (r: SealResult | PromiseLike<SealResult>) => void; reject: (e: unknown) => void };
  const seal = new Promise<SealResult>((resolve, reject) => (settle = { resolve, reject }));
  seal.catch(() => undefined); // the caller may only read the stream; never an unhandled rejection
  const ciphertext = encryptorStream(enc, sourceOf(source), {
    // finish() may throw, or reject for an asynchronous signer: either way the seal promise rejects.
    end: () => {
      try {
        settle.resolve(tracker.finish());
      } catch (e) {
        settle.reject(e);
      }
    },
    fail: (reason) => settle.reject(reason ?? new Error('cancelled')),
  });
  return { ciphertext, seal };
}
