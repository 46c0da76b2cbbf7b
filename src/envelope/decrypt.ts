/**
 * Decryption entry points: `decrypt` (bytes or Web stream) and `readHeader`.
 *
 * Never releases unauthenticated plaintext: the header MAC verifies before any payload byte is
 * read, and each chunk is handed out only after its Poly1305 tag verified. A stream consumer
 * receives every authenticated chunk that preceded a failure, then the error (ERR_CHUNK_AUTH,
 * ERR_TRUNCATED, ERR_TRAILING_DATA, ERR_PAYLOAD); the bytes API returns all or throws.
 */
import { fail } from '../errors.js';
import { AGE_MAX_STANZAS, DEFAULT_MAX_HEADER_BYTES, HeaderReader } from './header.js';
import type { AgeHeader } from './header.js';
import { unwrapFileKey } from './filekey.js';
import { ByteSink, EMPTY, dearmoringSource, isReadableStream, sourceOf } from './io.js';
import type { ByteSource } from './io.js';
import { toIdentities } from './keys.js';
import { NONCE_SIZE, StreamDecryptor, payloadKey, plaintextSize } from './stream.js';
import type { IdentityInput } from './types.js';

export interface DecryptOptions {
  /** Upper bound on the header size in bytes (default {@link DEFAULT_MAX_HEADER_BYTES}, 1 MiB; ERR_AGE_HEADER past it). */
  maxHeaderBytes?: number;
  /** Upper bound on the number of recipient stanzas (default {@link AGE_MAX_STANZAS}, 256; ERR_LIMIT past it). */
  maxStanzas?: number;
  /**
   * `true`: the input must be ASCII-armored (anything else is ERR_ARMOR); `false`: binary only;
   * unset (default): armored when the first non-whitespace byte is '-' (as in "-----BEGIN").
   */
  armor?: boolean;
}

/** Reads a header from a source; returns it with the bytes already read past it. */
export async function readHeaderFrom(
  src: ByteSource,
  maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES,
  maxStanzas = AGE_MAX_STANZAS,
): Promise<{ header: AgeHeader; rest: Uint8Array }> {
  const r = new HeaderReader(maxHeaderBytes, maxStanzas);
  for (;;) {
    const chunk = await src.read();
    if (chunk === null) return r.finish();
    if (r.push(chunk)) return { header: r.header!, rest: r.rest };
  }
}

/**
 * Reads exactly `n` bytes starting with `have`; returns them (a copy) and whatever came after.
 * When `have` already holds them, `rest` is a view of `have`, not a copy: for a whole file in
 * memory that saves copying the entire payload (64 MiB: ~40 ms of copying and first-touch page
 * faults). The caller must therefore use `rest` before it reads `src` again.
 */
async function readExactly(src: ByteSource, have: Uint8Array, n: number): Promise<{ bytes: Uint8Array; rest: Uint8Array } | null> {
  if (have.length >= n) return { bytes: have.slice(0, n), rest: have.subarray(n) };
  const sink = new ByteSink(Math.max(n, have.length));
  sink.push(have);
  while (sink.length < n) {
    const chunk = await src.read();
    if (chunk === null) return null;
    sink.push(chunk);
  }
  const all = sink.bytes();
  return { bytes: all.slice(0, n), rest: all.subarray(n) };
}

/**
 * Reads the payload's 16-byte nonce that follows the header (`rest` = bytes already read past
 * it); returns the nonce (a copy) and the payload bytes read beyond it, possibly a view of
 * `rest`: every caller pushes them to its decryptor before it reads `src` again.
 */
export async function readPayloadNonce(src: ByteSource, rest: Uint8Array): Promise<{ nonce: Uint8Array; rest: Uint8Array }> {
  const n = await readExactly(src, rest, NONCE_SIZE);
  if (n === null) fail('ERR_TRUNCATED', 'payload shorter than its 16-byte nonce');
  return { nonce: n.bytes, rest: n.rest };
}

interface Opened {
  header: AgeHeader;
  dec: StreamDecryptor;
  rest: Uint8Array;
}

async function open(src: ByteSource, identities: IdentityInput | readonly IdentityInput[], options: DecryptOptions): Promise<Opened> {
  const ids = toIdentities(identities);
  const { header, rest } = await readHeaderFrom(src, options.maxHeaderBytes, options.maxStanzas);
  const fileKey = await unwrapFileKey(header, ids);
  const n = await readPayloadNonce(src, rest);
  const dec = new StreamDecryptor(payloadKey(fileKey, n.nonce));
  fileKey.fill(0);
  return { header, dec, rest: n.rest };
}

/**
 * Decrypts an age file (binary or ASCII-armored) with the first identity that matches.
 * Identities: `AGE-SECRET-KEY-1…`/`AGE-SECRET-KEY-PQ-1…` strings, identity-file text, or
 * {@link Identity} objects (e.g. `new ScryptIdentity(passphrase)`), tried in order.
 *
 * Bytes in → bytes out (all or nothing); a ReadableStream in → a ReadableStream out. For a
 * stream, header problems reject the returned promise; payload problems error the stream.
 *
 * @example
 * ```ts
 * const plain = await decrypt(file, ['AGE-SECRET-KEY-1…']);
 * const stream = await decrypt(fileStream, identityFileText);
 * ```
 */
export async function decrypt(data: Uint8Array, identities: IdentityInput | readonly IdentityInput[], options?: DecryptOptions): Promise<Uint8Array>;
export async function decrypt(
  data: ReadableStream<Uint8Array>,
  identities: IdentityInput | readonly IdentityInput[],
  options?: DecryptOptions,
): Promise<ReadableStream<Uint8Array>>;
export async function decrypt(
  data: Uint8Array | ReadableStream<Uint8Array>,
  identities: IdentityInput | readonly IdentityInput[],
  options: DecryptOptions = {},
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  if (data instanceof Uint8Array) {
    const src = dearmoringSource(sourceOf(data), options.armor);
    const { dec, rest } = await open(src, identities, options);
    // With the whole file in hand the exact plaintext size is known (unless the payload is
    // malformed, which the decryptor then reports precisely): no trimming copy at the end.
    let expected = rest.length;
    try {
      expected = plaintextSize(NONCE_SIZE + rest.length);
    } catch {
      // keep the upper bound
    }
    const sink = new ByteSink(expected);
    const emit = (pt: Uint8Array) => sink.push(pt);
    dec.push(rest, emit);
    for (let c = await src.read(); c !== null; c = await src.read()) dec.push(c, emit);
    dec.finish(emit);
    return sink.bytes();
  }
  if (!isReadableStream(data)) fail('ERR_INVALID_ARGUMENT', '"data" expected Uint8Array or ReadableStream<Uint8Array>');
  const src = dearmoringSource(sourceOf(data), options.armor);
  let opened: Opened;
  try {
    opened = await open(src, identities, options);
  } catch (e) {
    await src.cancel(e);
    throw e;
  }
  return plaintextStream(src, opened.dec, opened.rest);
}

/**
 * The output stream. An error found while authenticated chunks are already queued is held back
 * until the consumer has read them, so what a consumer sees is deterministic: every verified
 * chunk before the failure, then the error.
 */
function plaintextStream(src: ByteSource, dec: StreamDecryptor, first: Uint8Array): ReadableStream<Uint8Array> {
  let pending = first;
  let deferred: { error: unknown } | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (deferred !== undefined) {
          controller.error(deferred.error);
          return;
        }
        let emitted = 0;
        const emit = (pt: Uint8Array) => {
          emitted++;
          if (pt.length > 0) controller.enqueue(pt);
        };
        try {
          if (pending.length > 0) {
            const p = pending;
            pending = EMPTY;
            dec.push(p, emit);
          }
          while (emitted === 0) {
            const chunk = await src.read();
            if (chunk === null) {
              dec.finish(emit);
              controller.close();
              return;
            }
            dec.push(chunk, emit);
          }
        } catch (e) {
          await src.cancel(e);
          if (emitted > 0) deferred = { error: e };
          else controller.error(e);
        }
      },
      cancel: (reason) => src.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/**
 * Reads the header of an age file or of a detached header (binary or armored) without any key.
 * Returns the parsed header, the payload offset (= header length, where the payload section
 * starts in the binary file), and the remaining payload bytes as the same kind as the input.
 *
 * @example
 * ```ts
 * const { header, payloadOffset, payload } = await readHeader(fileBytes);
 * header.stanzas.map((s) => s.type); // ['mlkem768x25519']
 * sha256(payload); // the payload digest a seal signs
 * ```
 */
export async function readHeader(data: Uint8Array, options?: DecryptOptions): Promise<{ header: AgeHeader; payloadOffset: number; payload: Uint8Array }>;
export async function readHeader(
  data: ReadableStream<Uint8Array>,
  options?: DecryptOptions,
): Promise<{ header: AgeHeader; payloadOffset: number; payload: ReadableStream<Uint8Array> }>;
export async function readHeader(
  data: Uint8Array | ReadableStream<Uint8Array>,
  options: DecryptOptions = {},
): Promise<{ header: AgeHeader; payloadOffset: number; payload: Uint8Array | ReadableStream<Uint8Array> }> {
  const src = dearmoringSource(sourceOf(data), options.armor);
  const { header, rest } = await readHeaderFrom(src, options.maxHeaderBytes, options.maxStanzas);
  const payloadOffset = header.bytes.length;
  if (data instanceof Uint8Array) {
    const sink = new ByteSink(rest.length);
    sink.push(rest);
    for (let c = await src.read(); c !== null; c = await src.read()) sink.push(c);
    return { header, payloadOffset, payload: sink.bytes() };
  }
  return { header, payloadOffset, payload: remainderStream(src, rest) };
}

/** A stream of `first` followed by the rest of `src`. */
export function remainderStream(src: ByteSource, first: Uint8Array): ReadableStream<Uint8Array> {
  let pending: Uint8Array | null = first.length > 0 ? first : null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (pending !== null) {
            controller.enqueue(pending);
            pending = null;
            return;
          }
          const c = await src.read();
          if (c === null) controller.close();
          else controller.enqueue(c);
        } catch (e) {
          controller.error(e);
        }
      },
      cancel: (reason) => src.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
