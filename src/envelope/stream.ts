/**
 * age's STREAM payload (C2SP age §"Payload"): a 16-byte nonce, then ChaCha20-Poly1305 chunks of
 * 64 KiB plaintext under HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"), each with
 * the 12-byte nonce = 11-byte big-endian counter ‖ last-chunk flag.
 *
 * These two classes are the synchronous core every entry point (bytes, Web streams, Node files,
 * ranges) drives. The decryptor only hands out plaintext whose tag has verified.
 */
import * as crypto from '#crypto';
import { fail } from '../errors.js';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const ENC_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const NONCE_SIZE = 16;

const PAYLOAD_INFO = new TextEncoder().encode('payload');

/** payload key = HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return crypto.hkdfSha256(fileKey, nonce, PAYLOAD_INFO, 32);
}

/** Writes the 12-byte chunk nonce for `counter` (< 2^53, far beyond any real file) into `out`. */
export function chunkNonce(out: Uint8Array, counter: number, last: boolean): Uint8Array {
  out.fill(0);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    out[i] = c % 256;
    c = Math.floor(c / 256);
  }
  out[11] = last ? 1 : 0;
  return out;
}

/**
 * Size of the payload section (nonce included) for a plaintext of `size` bytes.
 *
 * @example
 * ```ts
 * payloadSize(0); // 32: nonce + one empty final chunk's tag
 * ```
 */
export function payloadSize(size: number): number {
  const chunks = size === 0 ? 1 : Math.ceil(size / CHUNK_SIZE);
  return NONCE_SIZE + size + chunks * TAG_SIZE;
}

/**
 * Plaintext size for a payload section of `size` bytes (nonce included), or throws
 * ERR_TRUNCATED / ERR_PAYLOAD when no valid payload has that size.
 *
 * @example
 * ```ts
 * plaintextSize(fileSize - payloadOffset); // e.g. 65536 for 16 + 65552 bytes
 * ```
 */
export function plaintextSize(size: number): number {
  if (size < NONCE_SIZE + TAG_SIZE) fail('ERR_TRUNCATED', 'payload shorter than a nonce and one chunk');
  const body = size - NONCE_SIZE;
  const full = Math.floor(body / ENC_CHUNK_SIZE);
  const rem = body % ENC_CHUNK_SIZE;
  if (rem === 0) return full * CHUNK_SIZE;
  if (rem < TAG_SIZE || (rem === TAG_SIZE && full > 0)) fail('ERR_PAYLOAD', 'payload size is impossible for STREAM');
  return full * CHUNK_SIZE + rem - TAG_SIZE;
}

/**
 * Encrypts plaintext into STREAM chunks. `push` seals every full chunk it knows is not the last
 * (more data follows); `finish` seals the final one (possibly full, empty only if nothing came).
 */
export class StreamEncryptor {
  readonly #key: Uint8Array;
  readonly #nonce = new Uint8Array(12);
  readonly #pending = new Uint8Array(CHUNK_SIZE);
  #pendingLen = 0;
  #counter = 0;
  #done = false;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /**
   * Seals one chunk and emits it as two fresh arrays, ciphertext then tag: on Node the
   * ciphertext is OpenSSL's output buffer as is, which saves a 64 KiB copy per chunk.
   */
  #seal(pt: Uint8Array, last: boolean, emit: (sealed: Uint8Array) => void): void {
    const { ciphertext, tag } = crypto.chacha20poly1305SealParts(this.#key, chunkNonce(this.#nonce, this.#counter, last), pt);
    this.#counter++;
    if (ciphertext.length > 0) emit(ciphertext);
    emit(tag);
  }

  /**
   * Adds plaintext; `emit` receives the sealed chunks' bytes in order (fresh arrays the caller
   * may keep; a chunk may arrive in more than one piece).
   */
  push(data: Uint8Array, emit: (sealed: Uint8Array) => void): void {
    if (this.#done) fail('ERR_INTERNAL', 'StreamEncryptor used after finish');
    let off = 0;
    if (this.#pendingLen > 0) {
      const n = Math.min(CHUNK_SIZE - this.#pendingLen, data.length);
      this.#pending.set(data.subarray(0, n), this.#pendingLen);
      this.#pendingLen += n;
      off = n;
      if (this.#pendingLen < CHUNK_SIZE || off === data.length) return;
      this.#seal(this.#pending, false, emit);
      this.#pendingLen = 0;
    }
    // Full chunks straight from the input, keeping the last (possibly full) one pending.
    while (data.length - off > CHUNK_SIZE) {
      this.#seal(data.subarray(off, off + CHUNK_SIZE), false, emit);
      off += CHUNK_SIZE;
    }
    this.#pending.set(data.subarray(off), 0);
    this.#pendingLen = data.length - off;
  }

  /** Seals the final chunk. */
  finish(emit: (sealed: Uint8Array) => void): void {
    if (this.#done) fail('ERR_INTERNAL', 'StreamEncryptor finished twice');
    this.#done = true;
    this.#seal(this.#pending.subarray(0, this.#pendingLen), true, emit);
    this.#pending.fill(0);
  }
}

/**
 * Decrypts STREAM chunks (after the nonce). Every full-size sealed chunk is opened as soon as it is
 * complete: first as a non-final chunk and, if that fails, as a full-size final chunk (the same
 * rule as the reference implementation). A shorter chunk can only be the final one, so it is
 * opened at `finish`. Plaintext is emitted only after its tag verified.
 */
export class StreamDecryptor {
  readonly #key: Uint8Array;
  readonly #nonce = new Uint8Array(12);
  readonly #buf = new Uint8Array(ENC_CHUNK_SIZE);
  #bufLen = 0;
  #counter: number;
  #sawFinal = false;
  #finished = false;

  /** `firstChunk` lets a range reader start in the middle of the payload. */
  constructor(key: Uint8Array, firstChunk = 0) {
    this.#key = key;
    this.#counter = firstChunk;
  }

  #open(sealed: Uint8Array, last: boolean): Uint8Array | null {
    try {
      return crypto.chacha20poly1305Open(this.#key, chunkNonce(this.#nonce, this.#counter, last), sealed);
    } catch {
      return null;
    }
  }

  /** Opens one full-size sealed chunk. */
  #full(sealed: Uint8Array, emit: (pt: Uint8Array) => void): void {
    let pt = this.#open(sealed, false);
    if (pt === null) {
      pt = this.#open(sealed, true);
      if (pt === null) fail('ERR_CHUNK_AUTH', `payload chunk ${this.#counter} failed authentication`);
      this.#sawFinal = true;
    }
    this.#counter++;
    emit(pt);
  }

  /** Adds sealed bytes; emits authenticated plaintext. Data after the final chunk is an error. */
  push(data: Uint8Array, emit: (plaintext: Uint8Array) => void): void {
    if (this.#finished) fail('ERR_INTERNAL', 'StreamDecryptor used after finish');
    if (data.length === 0) return;
    if (this.#sawFinal) fail('ERR_TRAILING_DATA', 'data follows the final payload chunk');
    let off = 0;
    if (this.#bufLen > 0) {
      const n = Math.min(ENC_CHUNK_SIZE - this.#bufLen, data.length);
      this.#buf.set(data.subarray(0, n), this.#bufLen);
      this.#bufLen += n;
      off = n;
      if (this.#bufLen < ENC_CHUNK_SIZE) return;
      this.#bufLen = 0;
      this.#full(this.#buf, emit);
    }
    while (data.length - off >= ENC_CHUNK_SIZE) {
      if (this.#sawFinal) fail('ERR_TRAILING_DATA', 'data follows the final payload chunk');
      this.#full(data.subarray(off, off + ENC_CHUNK_SIZE), emit);
      off += ENC_CHUNK_SIZE;
    }
    if (off < data.length) {
      if (this.#sawFinal) fail('ERR_TRAILING_DATA', 'data follows the final payload chunk');
      this.#buf.set(data.subarray(off), 0);
      this.#bufLen = data.length - off;
    }
  }

  /** End of input: opens a short final chunk, or fails if the payload never ended properly. */
  finish(emit: (plaintext: Uint8Array) => void): void {
    if (this.#finished) fail('ERR_INTERNAL', 'StreamDecryptor finished twice');
    this.#finished = true;
    if (this.#sawFinal) return;
    if (this.#bufLen === 0) fail('ERR_TRUNCATED', 'payload ends without a final chunk');
    if (this.#bufLen < TAG_SIZE) fail('ERR_TRUNCATED', 'payload ends inside a chunk tag');
    const pt = this.#open(this.#buf.subarray(0, this.#bufLen), true);
    if (pt === null) fail('ERR_CHUNK_AUTH', `final payload chunk ${this.#counter} failed authentication`);
    // §Payload: the final chunk MUST NOT be empty unless the whole payload is empty.
    if (pt.length === 0 && this.#counter > 0) fail('ERR_PAYLOAD', 'empty final chunk after a non-empty payload');
    this.#sawFinal = true;
    emit(pt);
  }

  /** Number of chunks opened so far (absolute index of the next chunk). */
  get chunkIndex(): number {
    return this.#counter;
  }
}
