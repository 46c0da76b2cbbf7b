/**
 * Opening a sealed item: check the seal, check the caller's purpose against the signed context,
 * and only then decrypt, checking the forensic hash at the end.
 *
 * Order matters. The seal's signature and key are verified against the trust store first; then
 * every field of `expect` is compared with the signed context, and any difference is
 * ERR_CONTEXT_MISMATCH before a single byte is decrypted (age has no associated data: the signed
 * context is what binds purpose to ciphertext). Decryption authenticates every chunk (age
 * STREAM), and the plaintext SHA-256 and size are compared with the manifest at the end.
 *
 * Streaming consumers: chunks are released as they authenticate, but the plaintext hash can only
 * be checked after the last one, so the output is provisional until the stream closes normally;
 * on a mismatch the stream errors with ERR_DIGEST_MISMATCH instead of closing. Write to a
 * temporary place and commit only on close (the Node `openFile` does exactly that).
 */
import * as crypto from '#crypto';
import { equalBytes } from '../bytes.js';
import { decrypt, readHeader } from '../envelope/decrypt.js';
import { isReadableStream } from '../envelope/io.js';
import type { IdentityInput } from '../envelope/types.js';
import { CustosError, fail } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import { contextMismatches, type SealContext, type SealManifest } from './manifest.js';
import { checkSealSignature, decodeSeal, type SealCheck } from './verify.js';

/** What the caller expects the item to be for; every given field must equal the signed one. */
export type SealExpectation = Partial<SealContext> & { readonly id?: string };

export interface OpenOptions {
  readonly identities: IdentityInput | readonly IdentityInput[];
  /** The signed context must match these fields (at least one). */
  readonly expect: SealExpectation;
  readonly trust: TrustStore;
}

/**
 * Checks the seal and the expectation; returns the manifest or throws (the code of the first
 * failed check, or ERR_CONTEXT_MISMATCH). Decrypts nothing.
 *
 * @example
 * ```ts
 * const manifest = admitSeal(sealBytes, { identities: [], trust, expect: { requestId: 'EIO-2026-771' } });
 * ```
 */
export function admitSeal(seal: Uint8Array, opts: OpenOptions): SealManifest {
  if (typeof opts !== 'object' || opts === null) fail('ERR_INVALID_ARGUMENT', '"opts" expected an object');
  if (typeof opts.trust?.lookup !== 'function') fail('ERR_INVALID_ARGUMENT', '"trust" expected a TrustStore');
  if (typeof opts.expect !== 'object' || opts.expect === null) fail('ERR_INVALID_ARGUMENT', '"expect" expected an object');
  const { id, ...context } = opts.expect;
  if (id === undefined && Object.values(context).every((v) => v === undefined)) {
    fail('ERR_INVALID_ARGUMENT', '"expect" must name at least one field (e.g. purpose, requestId)');
  }
  const decoded = decodeSeal(seal);
  const checks: SealCheck[] = [];
  const found = checkSealSignature(decoded, opts.trust, checks);
  const bad = checks.find((c) => !c.ok);
  if (found === undefined || bad !== undefined) fail(bad?.code ?? 'ERR_SIGNATURE_INVALID', `seal does not verify: ${bad?.detail ?? ''}`);
  const m = decoded.manifest;
  const differ = contextMismatches(m.context, context);
  if (id !== undefined && id !== m.id) differ.unshift('id');
  if (differ.length > 0) fail('ERR_CONTEXT_MISMATCH', `the sealed item differs from what was expected in: ${differ.join(', ')}`);
  return m;
}

function digestFailure(): CustosError {
  return new CustosError('ERR_DIGEST_MISMATCH', 'the decrypted item does not match its sealed SHA-256 and size');
}

/**
 * Opens a sealed item: verifies the seal, refuses an unexpected context (ERR_CONTEXT_MISMATCH)
 * before decrypting, decrypts, and checks the plaintext hash.
 *
 * @example
 * ```ts
 * const { plaintext } = await openItem(ageBytes, sealBytes, {
 *   identities: ['AGE-SECRET-KEY-PQ-1…'], trust, expect: { requestId: 'EIO-2026-771', purpose: 'fraud investigation' },
 * });
 * ```
 */
export async function openItem(ciphertext: Uint8Array, seal: Uint8Array, opts: OpenOptions): Promise<{ plaintext: Uint8Array; manifest: SealManifest }>;
export async function openItem(
  ciphertext: ReadableStream<Uint8Array>,
  seal: Uint8Array,
  opts: OpenOptions,
): Promise<{ plaintext: ReadableStream<Uint8Array>; manifest: SealManifest }>;
export async function openItem(
  ciphertext: Uint8Array | ReadableStream<Uint8Array>,
  seal: Uint8Array,
  opts: OpenOptions,
): Promise<{ plaintext: Uint8Array | ReadableStream<Uint8Array>; manifest: SealManifest }> {
  if (!(ciphertext instanceof Uint8Array) && !isReadableStream(ciphertext)) fail('ERR_INVALID_ARGUMENT', '"ciphertext" expected Uint8Array or ReadableStream<Uint8Array>');
  const manifest = admitSeal(seal, opts);
  if (ciphertext instanceof Uint8Array) {
    // the payload digest first: a file that is not the sealed one is refused before decryption
    const { payload } = await readHeader(ciphertext, { armor: false });
    if (payload.length !== manifest.payloadSize || !equalBytes(crypto.sha256(payload), manifest.payloadSha256)) {
      fail('ERR_DIGEST_MISMATCH', 'the age payload differs from the sealed one');
    }
    const plaintext = await decrypt(ciphertext, opts.identities, { armor: false });
    if (plaintext.length !== manifest.size || !equalBytes(crypto.sha256(plaintext), manifest.sha256)) throw digestFailure();
    return { plaintext, manifest };
  }
  const inner = await decrypt(ciphertext, opts.identities, { armor: false });
  const h = crypto.createSha256();
  let size = 0;
  const plaintext = inner.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.length;
        if (size > manifest.size) throw digestFailure();
        h.update(chunk);
        controller.enqueue(chunk);
      },
      flush() {
        if (size !== manifest.size || !equalBytes(h.digest(), manifest.sha256)) throw digestFailure();
      },
    }),
  );
  return { plaintext, manifest };
}
