/**
 * Random access: decrypt `length` plaintext bytes at `offset` by reading only the header, the
 * final chunk and the chunks that cover the range. C2SP age §"Payload": seeking relative to
 * the end MUST first verify that the last chunk is a valid final chunk; we always do, so a
 * truncated or extended file is detected even when the range is at its start.
 */
import { assertInteger } from '../bytes.js';
import { fail } from '../errors.js';
import { AGE_MAX_STANZAS, HeaderReader, DEFAULT_MAX_HEADER_BYTES } from './header.js';
import { unwrapFileKey } from './filekey.js';
import { toIdentities } from './keys.js';
import * as crypto from '#crypto';
import { CHUNK_SIZE, ENC_CHUNK_SIZE, NONCE_SIZE, StreamDecryptor, TAG_SIZE, chunkNonce, payloadKey, plaintextSize } from './stream.js';
import { readHeaderFrom, readPayloadNonce } from './decrypt.js';
import { dearmoringSource, type ByteSource } from './io.js';
import type { IdentityInput } from './types.js';

/** A random-access byte source (a file handle, an HTTP range reader, a Uint8Array). */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `position` (fewer only at the end of the source). */
  read(position: number, length: number): Promise<Uint8Array> | Uint8Array;
}

function fromBytes(b: Uint8Array): RandomAccessSource {
  return { size: b.length, read: (p, n) => b.subarray(p, p + n) };
}

async function readAt(src: RandomAccessSource, pos: number, n: number): Promise<Uint8Array> {
  const b = await src.read(pos, n);
  if (!(b instanceof Uint8Array) || b.length !== Math.min(n, src.size - pos)) fail('ERR_IO', 'random-access source returned a short read');
  return b;
}

function openChunkOrNull(key: Uint8Array, i: number, sealed: Uint8Array, final: boolean): Uint8Array | null {
  try {
    return crypto.chacha20poly1305Open(key, chunkNonce(new Uint8Array(12), i, final), sealed);
  } catch {
    return null;
  }
}

/**
 * Opens chunk `i` with the flag it must have: the last chunk as final (non-empty unless it is the
 * only chunk), every other chunk as non-final.
 */
function openChunk(key: Uint8Array, i: number, sealed: Uint8Array, final: boolean): Uint8Array {
  if (sealed.length < TAG_SIZE || (!final && sealed.length !== ENC_CHUNK_SIZE)) fail('ERR_TRUNCATED', `payload chunk ${i} is short`);
  let pt: Uint8Array;
  try {
    pt = crypto.chacha20poly1305Open(key, chunkNonce(new Uint8Array(12), i, final), sealed);
  } catch {
    // A last chunk that opens as non-final means the file was cut after it.
    if (final && sealed.length === ENC_CHUNK_SIZE && openChunkOrNull(key, i, sealed, false) !== null) {
      fail('ERR_TRUNCATED', 'payload ends without a final chunk');
    }
    return fail('ERR_CHUNK_AUTH', `payload chunk ${i} failed authentication`);
  }
  if (final && pt.length === 0 && i > 0) fail('ERR_PAYLOAD', 'empty final chunk after a non-empty payload');
  return pt;
}

/** Options of {@link decryptRange}. */
export interface RangeOptions {
  maxHeaderBytes?: number;
  maxStanzas?: number;
  /**
   * `true`: the input must be ASCII-armored; `false`: binary only; unset (default): armored when
   * the first byte is '-' or whitespace (a binary age file starts with "age-encryption.org").
   */
  armor?: boolean;
}

/**
 * Decrypts plaintext bytes [offset, offset + length) of an age file. Throws
 * ERR_INVALID_ARGUMENT if the range goes past the end of the plaintext.
 *
 * A binary file is read at random: the header, the final chunk (verified first) and the chunks
 * covering the range. An ASCII-armored file has no random access (its base64 lines must be
 * decoded in order), so it is read once from start to end in 1 MiB pieces, with every chunk
 * authenticated as in `decrypt` and only the range kept: memory is the range plus a chunk.
 *
 * @example
 * ```ts
 * const part = await decryptRange(fileBytes, 1_000_000, 4096, ['AGE-SECRET-KEY-1…']);
 * ```
 */
export async function decryptRange(
  source: Uint8Array | RandomAccessSource,
  offset: number,
  length: number,
  identities: IdentityInput | readonly IdentityInput[],
  options: RangeOptions = {},
): Promise<Uint8Array> {
  const src = source instanceof Uint8Array ? fromBytes(source) : source;
  assertInteger('offset', offset);
  assertInteger('length', length);
  const ids = toIdentities(identities);
  if (options.armor ?? (src.size > 0 && startsArmored((await readAt(src, 0, 1))[0]!))) {
    return armoredRange(src, offset, length, ids, options);
  }
  // Header: read in 4 KiB steps until the MAC line.
  const hr = new HeaderReader(options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, options.maxStanzas ?? AGE_MAX_STANZAS);
  let pos = 0;
  for (;;) {
    if (pos >= src.size) hr.finish();
    const b = await readAt(src, pos, Math.min(4096, src.size - pos));
    pos += b.length;
    if (hr.push(b)) break;
  }
  const header = hr.header!;
  const payloadOffset = header.bytes.length;
  const fileKey = await unwrapFileKey(header, ids);
  if (src.size - payloadOffset < NONCE_SIZE) fail('ERR_TRUNCATED', 'payload shorter than its 16-byte nonce');
  const nonce = await readAt(src, payloadOffset, NONCE_SIZE);
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);
  const chunksStart = payloadOffset + NONCE_SIZE;
  const size = plaintextSize(src.size - payloadOffset);
  if (offset + length > size) fail('ERR_INVALID_ARGUMENT', `range ${offset}+${length} exceeds the plaintext size ${size}`);
  const lastIndex = size === 0 ? 0 : Math.ceil(size / CHUNK_SIZE) - 1;
  const chunkAt = (i: number) => readAt(src, chunksStart + i * ENC_CHUNK_SIZE, ENC_CHUNK_SIZE);
  // Verify the final chunk first (it also pins the payload length: nothing may follow it).
  const lastPlain = openChunk(key, lastIndex, await chunkAt(lastIndex), true);
  const out = new Uint8Array(length);
  if (length === 0) return out;
  const first = Math.floor(offset / CHUNK_SIZE);
  const last = Math.floor((offset + length - 1) / CHUNK_SIZE);
  let o = 0;
  for (let i = first; i <= last; i++) {
    const pt = i === lastIndex ? lastPlain : openChunk(key, i, await chunkAt(i), false);
    const from = i === first ? offset - i * CHUNK_SIZE : 0;
    const to = Math.min(pt.length, offset + length - i * CHUNK_SIZE);
    out.set(pt.subarray(from, to), o);
    o += to - from;
  }
  return out;
}

function startsArmored(first: number): boolean {
  return first === 0x2d || first === 0x20 || first === 0x09 || first === 0x0a || first === 0x0d;
}

const ARMOR_READ = 1 << 20;

/** The in-order path for armored input (see {@link decryptRange}). */
async function armoredRange(
  src: RandomAccessSource,
  offset: number,
  length: number,
  ids: ReturnType<typeof toIdentities>,
  options: RangeOptions,
): Promise<Uint8Array> {
  // The plaintext is shorter than its armored text: a range past the source's size is refused
  // before anything is allocated; the exact bound is checked once the payload has ended.
  if (offset + length > src.size) fail('ERR_INVALID_ARGUMENT', `range ${offset}+${length} exceeds the input size ${src.size}`);
  let pos = 0;
  const raw: ByteSource = {
    read: async () => {
      if (pos >= src.size) return null;
      const b = await readAt(src, pos, Math.min(ARMOR_READ, src.size - pos));
      pos += b.length;
      return b;
    },
    cancel: async () => {
      pos = src.size;
    },
  };
  const bin = dearmoringSource(raw, true);
  const { header, rest } = await readHeaderFrom(bin, options.maxHeaderBytes, options.maxStanzas);
  const fileKey = await unwrapFileKey(header, ids);
  const head = await readPayloadNonce(bin, rest);
  const dec = new StreamDecryptor(payloadKey(fileKey, head.nonce));
  fileKey.fill(0);
  const out = new Uint8Array(length);
  const end = offset + length;
  let at = 0; // plaintext offset of the next authenticated byte
  const keep = (pt: Uint8Array) => {
    const from = Math.max(offset, at);
    const to = Math.min(end, at + pt.length);
    if (to > from) out.set(pt.subarray(from - at, to - at), from - offset);
    at += pt.length;
  };
  dec.push(head.rest, keep);
  for (let b = await bin.read(); b !== null; b = await bin.read()) dec.push(b, keep);
  dec.finish(keep);
  if (end > at) {
    out.fill(0);
    fail('ERR_INVALID_ARGUMENT', `range ${offset}+${length} exceeds the plaintext size ${at}`);
  }
  return out;
}
