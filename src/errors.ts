/**
 * The one error class custos throws, and the catalogue of its stable codes.
 *
 * Codes are part of the public API: tests, scripts and callers branch on `err.code`, never on
 * the message. Messages name the offending argument or structure but never contain secret
 * material (keys, file keys, passphrases, plaintext).
 */

/** Every error code custos can produce, grouped by the module that raises it. */
export const ERROR_CODES = {
  // general
  ERR_INVALID_ARGUMENT: 'an argument has the wrong type, size or value (misuse of the API)',
  ERR_UNSUPPORTED: 'a valid but unsupported feature, algorithm or version',
  ERR_LIMIT: 'an input exceeds a documented limit',
  ERR_IO: 'a file system or stream operation failed',
  ERR_ENCODING: 'malformed hex, base64, bech32 or UTF-8 text',
  ERR_INTERNAL: 'an invariant inside custos failed (a bug: please report it)',
  ERR_EXISTS: 'the output already exists and replacing it was not asked for (the CLI: --force)',
  ERR_USAGE: 'a command line is wrong: unknown command, option or argument (CLI exit code 2)',
  ERR_INTERRUPTED: 'the operation was interrupted by a signal (SIGINT, SIGTERM); its temporary output was removed',
  // cbor
  ERR_CBOR_SIZE: 'CBOR input larger than the allowed byte size',
  ERR_CBOR_DEPTH: 'CBOR nesting deeper than allowed',
  ERR_CBOR_MALFORMED: 'CBOR bytes are not well-formed (bad initial byte, impossible length, …)',
  ERR_CBOR_TRUNCATED: 'CBOR input ends before the item does',
  ERR_CBOR_TRAILING: 'bytes follow the single CBOR item',
  ERR_CBOR_NONCANONICAL: 'CBOR is well-formed but not in the RFC 8949 §4.2.1 deterministic form',
  ERR_CBOR_DUPLICATE_KEY: 'a CBOR map repeats a key',
  ERR_CBOR_FORBIDDEN: 'a value that signed structures may not contain (float, undefined, unknown tag, __proto__ key, …)',
  // crypto
  ERR_CRYPTO: 'a cryptographic primitive rejected its input',
  ERR_AEAD_AUTH: 'authenticated decryption failed (wrong key or tampered data)',
  ERR_X25519_LOW_ORDER: 'an X25519 exchange produced the all-zero shared secret',
  // keys and trust
  ERR_KEY_FORMAT: 'a key string or key file is malformed',
  ERR_KEY_UNKNOWN: 'no trusted key has this key id',
  ERR_KEY_NOT_VALID: 'the key exists but was not valid at the given time (before notBefore, after notAfter, or revoked)',
  ERR_TRUST_STORE: 'a trust store document is malformed',
  // signers (in memory, PKCS#11 tokens, KMS)
  ERR_SIGNER: 'a signer failed, or returned a signature that is malformed or does not verify under its public key',
  ERR_PKCS11_URI: 'a PKCS#11 URI (RFC 7512) is malformed or names an attribute custos does not support',
  ERR_PKCS11_UNAVAILABLE: 'the PKCS#11 binding or module cannot be loaded',
  ERR_PKCS11_TOKEN_NOT_FOUND: 'no PKCS#11 token matches the URI',
  ERR_PKCS11_PIN: 'the token refused the PIN (the PIN is never shown), or no PIN was given',
  ERR_PKCS11_LOCKED: 'the token or its user PIN is locked',
  ERR_PKCS11_KEY_NOT_FOUND: 'no key on the token matches the URI, or more than one does',
  ERR_PKCS11_MECHANISM: 'the token does not support the signing mechanism for this key',
  ERR_PKCS11_TOKEN_REMOVED: 'the token, its session or the module went away during the operation',
  ERR_PKCS11: 'a PKCS#11 call failed (the message names the function and the CKR_ code)',
  // envelope (age)
  ERR_AGE_HEADER: 'the age header is malformed',
  ERR_AGE_VERSION: 'the file is not an age v1 file',
  ERR_AGE_STANZA: 'a recipient stanza is malformed for its type',
  ERR_HEADER_MAC: 'the age header MAC does not verify',
  ERR_NO_IDENTITY: 'none of the given identities can unwrap the file key',
  ERR_SCRYPT_WORK_FACTOR: 'the scrypt work factor exceeds the configured bound',
  ERR_SCRYPT_NOT_ALONE: 'an scrypt stanza shares the header with other stanzas',
  ERR_PQ_MIXED: 'a post-quantum recipient is mixed with a classic one (X25519, scrypt, other): the file would not be quantum-resistant; opt in with allowMixedPostQuantum',
  ERR_ARMOR: 'the ASCII armor is malformed',
  ERR_TRUNCATED: 'the payload ends before its final chunk',
  ERR_CHUNK_AUTH: 'a payload chunk failed authentication',
  ERR_TRAILING_DATA: 'data follows the final payload chunk',
  ERR_PAYLOAD: 'the payload is malformed (bad nonce, empty non-first final chunk, …)',
  // cose
  ERR_COSE_MALFORMED: 'a COSE structure is malformed',
  ERR_COSE_ALG: 'the COSE algorithm is missing, unknown or not allowed',
  ERR_COSE_CRITICAL: 'a COSE critical header is not understood',
  ERR_SIGNATURE_INVALID: 'a signature does not verify',
  // seal
  ERR_SEAL_MALFORMED: 'a seal or its manifest is malformed',
  ERR_DIGEST_MISMATCH: 'a computed digest differs from the signed one',
  ERR_CONTEXT_MISMATCH: 'the signed context differs from what the caller expected',
  ERR_CONTEXT_INVALID: 'a seal context does not match its schema',
  // custody
  ERR_EVENT_INVALID: 'a custody event is malformed',
  ERR_CHAIN_BROKEN: 'an event does not link to the hash of its predecessor',
  ERR_CHAIN_SEQ: 'event sequence numbers are not continuous',
  ERR_CHAIN_ID: 'an event belongs to another chain',
  ERR_CHAIN_FORK: 'two events name the same predecessor',
  ERR_CHAIN_EMPTY: 'the chain has no events',
  ERR_NOT_CUSTODIAN: 'the actor is not the current custodian',
  ERR_TRANSFER_INCOMPLETE: 'a transfer has no matching received event',
  ERR_TRANSFER_MISMATCH: 'a received event does not match the transfer it references',
  ERR_DIGEST_CARRYOVER: 'the item digest changed without a derived event',
  ERR_AFTER_TERMINAL: 'an event follows destroyed or returned',
  ERR_TIME_BACKWARDS: 'an event time is earlier than its predecessor',
  ERR_ROLE_NOT_ALLOWED: 'the actor lacks the role this event requires',
  ERR_LOCKED: 'another writer holds the lock on this file',
  // transparency log
  ERR_PROOF_INVALID: 'a Merkle proof does not verify',
  ERR_PROOF_MALFORMED: 'a Merkle proof has the wrong shape (index ≥ size, wrong length, …)',
  ERR_NOTE_MALFORMED: 'a signed note is malformed',
  ERR_NOTE_UNVERIFIED: 'no trusted key signed the note',
  ERR_NOTE_SIGNATURE: 'a known key signed the note with a bad signature',
  ERR_CHECKPOINT_MALFORMED: 'a checkpoint body is malformed',
  ERR_CHECKPOINT_ORIGIN: 'the checkpoint origin is not the expected one',
  ERR_COSIGNATURE_INVALID: 'a witness cosignature is malformed or does not verify',
  ERR_WITNESS_QUORUM: 'too few trusted witnesses cosigned',
  ERR_CONSISTENCY: 'two checkpoints are not consistent',
  ERR_LOG_LOCKED: 'another writer holds the log',
  ERR_LOG_CORRUPT: 'the log store on disk is inconsistent',
  ERR_TILE_INVALID: 'a tile or entry bundle is malformed or does not hash to the root',
  ERR_DB: 'the database refused or lost an operation (connection, transaction or schema)',
  ERR_HTTP: 'an HTTP peer answered with an error status or a malformed response',
  ERR_TIMEOUT: 'a network operation did not finish in time',
  ERR_RECEIPT_MALFORMED: 'a receipt is malformed',
  ERR_RECEIPT_VDS: 'the receipt uses an unsupported verifiable data structure',
  ERR_RECEIPT_INVALID: 'a receipt does not verify',
  ERR_RECEIPT_DEFERRED: 'an event\'s receipts are deferred (the log had one entry): the hand-over issues them',
  ERR_LOG_KEY_PLACEMENT: 'a log\'s private key is inside the directory the log publishes',
  // redaction
  ERR_RECORD_INVALID: 'a record or committed record is malformed',
  ERR_RESERVED_KEY: 'a record uses a key name reserved by custos',
  ERR_DISCLOSURE_MALFORMED: 'a disclosure is malformed',
  ERR_DISCLOSURE_UNREFERENCED: 'a disclosure matches no digest in the record',
  ERR_DISCLOSURE_DUPLICATE: 'a disclosure is given twice',
  ERR_DIGEST_DUPLICATE: 'a digest appears twice in the record',
  ERR_BINDING_MISMATCH: 'a presentation is bound to another audience, request, purpose or nonce',
  ERR_POLICY_INVALID: 'a disclosure policy is malformed',
  ERR_POLICY_DENIED: 'the policy does not allow what the request asks for',
  ERR_PATH_SYNTAX: 'a path expression is malformed',
  // requests
  ERR_REQUEST_INVALID: 'a request does not match its template',
  ERR_REQUEST_MISMATCH: 'a status chain is bound to another request document than the one given',
  ERR_TRANSITION: 'a status transition is not allowed',
  ERR_TIME_INVALID: 'a time lacks an explicit zone or is not a valid instant',
  // bundle
  ERR_TAR: 'the tar archive is malformed',
  ERR_TAR_METADATA: 'a tar header differs from the one custos writes (mode, owner, time, names, pax records)',
  ERR_BUNDLE_MALFORMED: 'the bundle is missing files or has unexpected ones',
  ERR_ITEM_NOT_FOUND: 'no item with this id in the bundle',
  ERR_VERIFICATION_FAILED: 'a verification report has failed checks',
} as const;

/** A stable error code; see {@link ERROR_CODES} for the meaning of each. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The error custos throws. `code` is stable; `message` is for humans.
 *
 * @example
 * ```ts
 * try { decrypt(bytes, identities) } catch (e) {
 *   if (e instanceof CustosError && e.code === 'ERR_NO_IDENTITY') { … }
 * }
 * ```
 */
export class CustosError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CustosError';
    this.code = code;
  }
}

/** True when `e` is a CustosError, optionally with the given code. */
export function isCustosError(e: unknown, code?: ErrorCode): e is CustosError {
  return e instanceof CustosError && (code === undefined || e.code === code);
}

/** Throw a CustosError (an expression-friendly helper). */
export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new CustosError(code, message, cause === undefined ? undefined : { cause });
}
