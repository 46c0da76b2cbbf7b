/**
 * Verifying a seal without any decryption key: the signature, the signer's key at sealing time,
 * the sealing authority, and (given the age file) the payload digest.
 *
 * The payload digest covers the bytes after the age header, so a file whose recipients were
 * changed by rewrapping (header rewritten, payload untouched) still matches its seal; any change
 * to the payload does not. Key validity is judged at the manifest's `created` time, which the
 * signer states; a transparency-log receipt bounds it independently.
 */
import * as crypto from '#crypto';
import { equalBytes } from '../bytes.js';
import { decodeSign1, HEADER, type Sign1 } from '../cose/index.js';
import { readHeader } from '../envelope/decrypt.js';
import { mixesPostQuantum } from '../envelope/filekey.js';
import { isReadableStream } from '../envelope/io.js';
import { CustosError, fail } from '../errors.js';
import type { Check } from '../report.js';
import type { Authority, TrustedKey, TrustStore } from '../keys/trust.js';
import { signerOf, verifySignedBy } from '../keys/verify-signed.js';
import { decodeSealManifest, SEAL_CONTENT_TYPE, type SealManifest } from './manifest.js';

/** One check of a seal verification ({@link Check}, with its detail always set). */
export type SealCheck = Check<'decode' | 'key' | 'signature' | 'authority' | 'payload'> & { readonly detail: string };

export interface SealReport {
  readonly ok: boolean;
  readonly manifest: SealManifest | undefined;
  /** The authority whose trusted key made the signature. */
  readonly signer: { readonly authority: string; readonly kid: Uint8Array } | undefined;
  readonly checks: readonly SealCheck[];
  /**
   * False when the signed context says the item is not quantum-resistant (the sealer allowed a
   * classic recipient beside a post-quantum one), or when the age file given has a header that
   * mixes post-quantum and classic stanzas (e.g. rewrapped later); undefined otherwise.
   */
  readonly quantumResistant: false | undefined;
}

/** What a verifier prints for a seal whose context records `quantumResistant: false`. */
export const NOT_QUANTUM_RESISTANT = 'NOT quantum-resistant: the sealer allowed classic recipients beside post-quantum ones (signed context)';
/** What a verifier prints when the age header itself mixes post-quantum and classic stanzas. */
export const NOT_QUANTUM_RESISTANT_HEADER = 'NOT quantum-resistant: the age header has classic stanzas beside post-quantum ones';

export interface VerifySealOptions {
  readonly trust: TrustStore;
  /** The age file (bytes or stream): when given, its payload digest and size are checked. */
  readonly ciphertext?: Uint8Array | ReadableStream<Uint8Array>;
}

/** A decoded seal (signature not yet checked). */
export interface DecodedSeal {
  readonly message: Sign1;
  readonly manifest: SealManifest;
}

/**
 * Decodes a seal strictly (no signature check); throws ERR_SEAL_MALFORMED / ERR_CONTEXT_INVALID.
 *
 * @example
 * ```ts
 * const { manifest } = decodeSeal(sealBytes); // manifest.sha256: the forensic hash
 * ```
 */
export function decodeSeal(seal: Uint8Array): DecodedSeal {
  let message: Sign1;
  try {
    message = decodeSign1(seal, { maxBytes: 1 << 20 });
  } catch (e) {
    throw new CustosError('ERR_SEAL_MALFORMED', 'seal is not a well-formed COSE_Sign1', { cause: e });
  }
  if (message.payload === null) fail('ERR_SEAL_MALFORMED', 'seal payload is detached');
  if (message.protectedHeaders.get(HEADER.contentType) !== SEAL_CONTENT_TYPE) fail('ERR_SEAL_MALFORMED', 'content type is not a custos seal');
  if (!(message.protectedHeaders.get(HEADER.kid) instanceof Uint8Array)) fail('ERR_SEAL_MALFORMED', 'seal has no protected kid');
  return { message, manifest: decodeSealManifest(message.payload) };
}

/**
 * SHA-256 and size of the payload section of an age file (no key needed), and whether its
 * header mixes post-quantum and classic stanzas (then the file is not quantum-resistant).
 */
export async function payloadDigest(
  ciphertext: Uint8Array | ReadableStream<Uint8Array>,
): Promise<{ sha256: Uint8Array; size: number; mixedPostQuantum: boolean }> {
  if (ciphertext instanceof Uint8Array) {
    const { header, payload } = await readHeader(ciphertext, { armor: false });
    return { sha256: crypto.sha256(payload), size: payload.length, mixedPostQuantum: mixesPostQuantum(header.stanzas) };
  }
  if (!isReadableStream(ciphertext)) fail('ERR_INVALID_ARGUMENT', '"ciphertext" expected Uint8Array or ReadableStream<Uint8Array>');
  const { header, payload } = await readHeader(ciphertext, { armor: false });
  const h = crypto.createSha256();
  let size = 0;
  const reader = payload.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    h.update(r.value);
    size += r.value.length;
  }
  return { sha256: h.digest(), size, mixedPostQuantum: mixesPostQuantum(header.stanzas) };
}

/** Checks signature, key, authority of a decoded seal; appends to `checks`. */
export function checkSealSignature(
  decoded: DecodedSeal,
  trust: TrustStore,
  checks: SealCheck[],
): { authority: Authority; key: TrustedKey } | undefined {
  const { message, manifest } = decoded;
  const r = verifySignedBy(message, trust, { at: manifest.created, authority: manifest.authority, authorityCode: 'ERR_SEAL_MALFORMED' });
  // the report lists key, signature and authority in that order, up to the first that fails
  const signer = signerOf(r);
  if (signer === undefined) {
    if (!r.ok) checks.push({ check: 'key', ok: false, code: r.code, detail: r.reason });
    return undefined;
  }
  checks.push({ check: 'key', ok: true, detail: `key of ${signer.authority.id}, valid at sealing time` });
  if (!r.ok && r.step === 'signature') {
    // an unsupported or mismatched algorithm is reported as a signature that does not verify
    checks.push({ check: 'signature', ok: false, code: 'ERR_SIGNATURE_INVALID', detail: 'signature does not verify' });
    return undefined;
  }
  checks.push({ check: 'signature', ok: true, detail: 'signature verifies' });
  if (!r.ok) {
    checks.push({ check: 'authority', ok: false, code: r.code, detail: `manifest names ${manifest.authority}, key belongs to ${signer.authority.id}` });
    return undefined;
  }
  const pq = manifest.context.quantumResistant === false ? `; ${NOT_QUANTUM_RESISTANT}` : '';
  checks.push({ check: 'authority', ok: true, detail: `sealed by ${manifest.authority}${pq}` });
  return r;
}

/**
 * Verifies a seal, and the age file's payload against it when given. Throws only on misuse.
 *
 * @example
 * ```ts
 * const report = await verifySeal(sealBytes, { trust, ciphertext: ageBytes });
 * if (!report.ok) console.log(report.checks.filter((c) => !c.ok));
 * ```
 */
export async function verifySeal(seal: Uint8Array, opts: VerifySealOptions): Promise<SealReport> {
  if (typeof opts?.trust?.lookup !== 'function') fail('ERR_INVALID_ARGUMENT', '"trust" expected a TrustStore');
  const checks: SealCheck[] = [];
  let decoded: DecodedSeal;
  try {
    decoded = decodeSeal(seal);
  } catch (e) {
    if (!(e instanceof CustosError) || e.code === 'ERR_INVALID_ARGUMENT') throw e;
    checks.push({ check: 'decode', ok: false, code: e.code, detail: e.message });
    return { ok: false, manifest: undefined, signer: undefined, checks, quantumResistant: undefined };
  }
  checks.push({ check: 'decode', ok: true, detail: 'seal and manifest are well-formed' });
  const found = checkSealSignature(decoded, opts.trust, checks);
  let headerMixed = false;
  if (opts.ciphertext !== undefined) {
    const { manifest } = decoded;
    try {
      const d = await payloadDigest(opts.ciphertext);
      headerMixed = d.mixedPostQuantum;
      const ok = d.size === manifest.payloadSize && equalBytes(d.sha256, manifest.payloadSha256);
      // the seal does not cover the header: a later rewrap may have mixed in a classic recipient
      const pq = headerMixed ? `; ${NOT_QUANTUM_RESISTANT_HEADER}` : '';
      checks.push(ok ? { check: 'payload', ok: true, detail: `payload digest matches${pq}` } : { check: 'payload', ok: false, code: 'ERR_DIGEST_MISMATCH', detail: 'the age payload differs from the sealed one' });
    } catch (e) {
      if (!(e instanceof CustosError) || e.code === 'ERR_INVALID_ARGUMENT') throw e;
      checks.push({ check: 'payload', ok: false, code: e.code, detail: `cannot read the age file: ${e.message}` });
    }
  }
  return {
    ok: checks.every((c) => c.ok),
    manifest: decoded.manifest,
    signer: found === undefined ? undefined : { authority: found.authority.id, kid: found.key.kid },
    checks,
    quantumResistant: headerMixed ? false : decoded.manifest.context.quantumResistant,
  };
}
