/**
 * COSE_Sign1 (RFC 9052 §4.2), tag 18, with EdDSA (Ed25519, −8) and ES256 (−7).
 *
 * Signing always produces deterministic CBOR (our own structures are canonical, so the same
 * input gives the same bytes). Decoding is strict by default; `strict: false` accepts any
 * well-formed encoding so that signatures made by other implementations can be verified over
 * the exact bytes they signed (the protected header is kept as received, RFC 9052 §4.4).
 */
import { assertBytes, concatBytes } from '../bytes.js';
import { decode, encode, Tag, type DecodeOptions } from '../cbor.js';
import { CustosError, fail } from '../errors.js';
import { algFromCose, COSE_ALG, verifySignature, type SignatureAlg, type Signer } from '../keys/signing.js';
import { signWith, type Signed } from '../keys/signed.js';

/** COSE_Sign1 CBOR tag. */
export const COSE_SIGN1_TAG = 18;
/** Common header labels (RFC 9052 §3.1). */
export const HEADER = { alg: 1, crit: 2, contentType: 3, kid: 4, iv: 5, partialIv: 6, cwtClaims: 15 } as const;

type Label = number | string;
export type HeaderMap = Map<Label, unknown>;

const CORE_LABELS: readonly Label[] = [1, 2, 3, 4, 5, 6];

export interface Sign1Options {
  /** Extra protected header parameters (alg and kid are set from the signer). */
  readonly protectedHeaders?: HeaderMap;
  readonly unprotectedHeaders?: HeaderMap;
  /** Leave the payload out of the message (RFC 9052 §2: nil payload); the verifier supplies it. */
  readonly detached?: boolean;
  readonly externalAad?: Uint8Array;
  /** Put the signer's kid in the protected header (default true). */
  readonly includeKid?: boolean;
}

/** A decoded COSE_Sign1; `protectedBytes` are the exact bytes that were signed. */
export interface Sign1 {
  readonly protectedBytes: Uint8Array;
  readonly protectedHeaders: HeaderMap;
  readonly unprotectedHeaders: HeaderMap;
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
  /** The algorithm, if custos supports it (otherwise verification fails with ERR_COSE_ALG). */
  readonly alg: SignatureAlg | undefined;
  readonly kid: Uint8Array | undefined;
}

export interface DecodeSign1Options {
  /** Default true: our own deterministic encoding only. */
  readonly strict?: boolean;
  readonly maxBytes?: number;
  /** Header labels the caller understands, beyond the core ones, for the `crit` check. */
  readonly understood?: readonly Label[];
  /** Accept a COSE_Sign1 without tag 18 (default false). */
  readonly allowUntagged?: boolean;
}

/** The shortest-form head of a CBOR byte string of length `n` (RFC 8949 §3, §4.2.1). */
function bstrHead(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(0x40 | n);
  if (n < 0x100) return Uint8Array.of(0x58, n);
  if (n < 0x10000) return Uint8Array.of(0x59, n >>> 8, n & 0xff);
  if (n < 0x100000000) return Uint8Array.of(0x5a, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const hi = Math.floor(n / 0x100000000);
  return Uint8Array.of(0x5b, hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

// 0x84 (array of 4), then "Signature1" as a text string: the fixed start of every Sig_structure.
const SIG1_PREFIX = Uint8Array.of(0x84, 0x6a, 0x53, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x31);

/**
 * ToBeSigned (RFC 9052 §4.4): the deterministic encoding of
 * `["Signature1", body_protected, external_aad, payload]`. Built directly from byte-string
 * heads, since it is only ever three byte strings; the tests check it against a CBOR encoder.
 */
function sigStructure(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return concatBytes(SIG1_PREFIX, bstrHead(protectedBytes.length), protectedBytes, bstrHead(externalAad.length), externalAad, bstrHead(payload.length), payload);
}

/** The Sig_structure bytes for a message (exported for tests and for signers that sign elsewhere). */
export function sign1ToBeSigned(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  return sigStructure(assertBytes('protectedBytes', protectedBytes), assertBytes('externalAad', externalAad), assertBytes('payload', payload));
}

/**
 * Signs `payload` and returns the tagged COSE_Sign1 bytes: directly for a synchronous signer
 * (a `SigningKey`), as a Promise for an asynchronous one (a token, a KMS).
 *
 * @example
 * ```ts
 * const key = SigningKey.generate();
 * const msg = signSign1(utf8('hello'), key);
 * const ok = verifySign1(decodeSign1(msg), key); // true
 * const viaKms = await signSign1(utf8('hello'), kmsSigner); // an AsyncSigner: a Promise
 * ```
 */
export function signSign1<S extends Signer>(payload: Uint8Array, signer: S, opts: Sign1Options = {}): Signed<S, Uint8Array> {
  assertBytes('payload', payload);
  const prot: HeaderMap = new Map<Label, unknown>([[HEADER.alg, COSE_ALG[signer.alg]]]);
  if (opts.includeKid ?? true) prot.set(HEADER.kid, signer.kid);
  for (const [k, v] of opts.protectedHeaders ?? []) {
    if (k === HEADER.alg) fail('ERR_INVALID_ARGUMENT', 'the alg header comes from the signer');
    // A caller-supplied kid would label the signature with a key that did not make it.
    if (k === HEADER.kid) fail('ERR_INVALID_ARGUMENT', 'the kid header comes from the signer');
    prot.set(k, v);
  }
  const unprot: HeaderMap = new Map(opts.unprotectedHeaders ?? []);
  for (const k of unprot.keys()) {
    if (prot.has(k)) fail('ERR_INVALID_ARGUMENT', `header ${String(k)} is both protected and unprotected`);
    if (k === HEADER.alg || k === HEADER.kid) fail('ERR_INVALID_ARGUMENT', `header ${String(k)} comes from the signer`);
  }
  // Never emit a message our own decoder would refuse (crit rules, label types).
  try {
    checkHeaders(prot, unprot, [...prot.keys()]);
  } catch (e) {
    throw new CustosError('ERR_INVALID_ARGUMENT', `invalid headers: ${(e as Error).message}`, { cause: e });
  }
  const protectedBytes = encode(prot);
  const aad = opts.externalAad === undefined ? new Uint8Array(0) : assertBytes('externalAad', opts.externalAad);
  const body = opts.detached ? null : payload;
  // ES256 comes back low-S from signWith, whatever the signer returned (an HSM/KMS may return either form)
  return signWith(signer, sigStructure(protectedBytes, aad, payload), (signature) =>
    encode(new Tag([protectedBytes, unprot, body, signature], COSE_SIGN1_TAG), { allowedTags: [COSE_SIGN1_TAG] }),
  );
}

function malformed(msg: string, cause?: unknown): never {
  throw new CustosError('ERR_COSE_MALFORMED', msg, cause === undefined ? undefined : { cause });
}

/**
 * The header rules both signing and decoding enforce (RFC 9052 §3, §3.1): labels are int or
 * text and appear in one bucket only; alg and crit are protected; crit is a non-empty array of
 * labels that are present in the protected bucket and understood; kid is a byte string.
 */
function checkHeaders(prot: HeaderMap, unprot: HeaderMap, understood: readonly Label[]): void {
  for (const k of [...prot.keys(), ...unprot.keys()]) {
    if (typeof k !== 'number' && typeof k !== 'string') malformed('header labels must be integers or text');
  }
  for (const k of unprot.keys()) {
    if (prot.has(k)) malformed(`header ${String(k)} appears both protected and unprotected`);
  }
  if (unprot.has(HEADER.crit)) malformed('crit must be protected');
  if (unprot.has(HEADER.alg)) malformed('alg must be protected');
  if (prot.has(HEADER.crit)) {
    const crit = prot.get(HEADER.crit);
    if (!Array.isArray(crit) || crit.length === 0) malformed('crit must be a non-empty array');
    const known = [...CORE_LABELS, ...understood];
    for (const l of crit) {
      if (typeof l !== 'number' && typeof l !== 'string') malformed('crit entries must be labels');
      if (!known.includes(l)) fail('ERR_COSE_CRITICAL', `critical header ${String(l)} is not understood`);
      if (!prot.has(l)) malformed(`critical header ${String(l)} is absent`);
    }
  }
  for (const h of [prot, unprot]) {
    const kid = h.get(HEADER.kid);
    if (kid !== undefined && !(kid instanceof Uint8Array)) malformed('kid must be a byte string');
  }
}

/** Decodes a COSE_Sign1 strictly; throws ERR_COSE_MALFORMED / ERR_COSE_CRITICAL / ERR_CBOR_*. */
export function decodeSign1(bytes: Uint8Array, opts: DecodeSign1Options = {}): Sign1 {
  assertBytes('bytes', bytes);
  const copts: DecodeOptions = {
    allowedTags: [COSE_SIGN1_TAG],
    strict: opts.strict ?? true,
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
  };
  let top = decode(bytes, copts);
  if (top instanceof Tag) {
    if (top.tag !== COSE_SIGN1_TAG) malformed(`expected tag 18, got ${String(top.tag)}`);
    top = top.value;
  } else if (!opts.allowUntagged) malformed('COSE_Sign1 tag 18 missing');
  if (!Array.isArray(top) || top.length !== 4) malformed('COSE_Sign1 must be an array of 4 items');
  const [pb, unprot, payload, signature] = top as unknown[];
  if (!(pb instanceof Uint8Array)) malformed('protected header must be a byte string');
  if (!(unprot instanceof Map)) malformed('unprotected header must be a map');
  if (!(payload === null || payload instanceof Uint8Array)) malformed('payload must be a byte string or nil');
  if (!(signature instanceof Uint8Array)) malformed('signature must be a byte string');
  let prot: HeaderMap;
  // RFC 9052 §3: "Recipients MUST accept both a zero-length byte string and a zero-length map
  // encoded in a byte string" (h'' and h'a0'); senders use the former, and so do we.
  if (pb.length === 0) prot = new Map();
  else {
    const p = decode(pb, { ...copts, allowedTags: [] });
    if (!(p instanceof Map)) malformed('protected header must encode a map');
    prot = p as HeaderMap;
  }
  checkHeaders(prot, unprot as HeaderMap, opts.understood ?? []);
  // checkHeaders ensured a kid, wherever it is, is a byte string.
  const kid = (prot.get(HEADER.kid) ?? (unprot as HeaderMap).get(HEADER.kid)) as Uint8Array | undefined;
  return {
    protectedBytes: pb,
    protectedHeaders: prot,
    unprotectedHeaders: unprot as HeaderMap,
    payload,
    signature,
    alg: algFromCose(prot.get(HEADER.alg)),
    kid,
  };
}

export interface VerifySign1Options {
  /** The payload, when the message carries none (detached). */
  readonly detachedPayload?: Uint8Array;
  readonly externalAad?: Uint8Array;
}

/**
 * Verifies a decoded COSE_Sign1 with a public key. Returns false when the signature does not
 * verify; throws ERR_COSE_ALG when the message's algorithm is unsupported or is not the key's.
 */
export function verifySign1(
  msg: Sign1,
  key: { readonly alg: SignatureAlg; readonly publicKey: Uint8Array },
  opts: VerifySign1Options = {},
): boolean {
  if (msg.alg === undefined) fail('ERR_COSE_ALG', `unsupported COSE algorithm ${String(msg.protectedHeaders.get(HEADER.alg))}`);
  if (msg.alg !== key.alg) fail('ERR_COSE_ALG', `message is signed with ${msg.alg}, key is ${key.alg}`);
  let payload = msg.payload;
  if (opts.detachedPayload !== undefined) {
    if (payload !== null) fail('ERR_INVALID_ARGUMENT', 'detachedPayload given for a message that carries a payload');
    payload = assertBytes('detachedPayload', opts.detachedPayload);
  }
  if (payload === null) fail('ERR_INVALID_ARGUMENT', 'detached payload required');
  const aad = opts.externalAad === undefined ? new Uint8Array(0) : assertBytes('externalAad', opts.externalAad);
  return verifySignature(key.alg, key.publicKey, sigStructure(msg.protectedBytes, aad, payload), msg.signature);
}
