/**
 * What the bundle flows read from: one handle on one archive, with random access for the small
 * members and a streaming read for the large ones. The shape is a Blob's, so a browser `File`
 * implements it directly ({@link blobSource}: `slice().arrayBuffer()` for random access,
 * `slice().stream()` for streaming); on Node, `custos/node` adapts one open file handle.
 *
 * Verification and opening take a source, never a path: what was verified is what is decrypted,
 * because nothing opens the archive a second time.
 */
import { assertBytes } from '../bytes.js';
import { fail } from '../errors.js';

/** One archive, opened once. Offsets and lengths are in bytes, within `[0, size)`. */
export interface BundleSource {
  /** Size of the archive in bytes, fixed when the source was opened. */
  readonly size: number;
  /** Exactly `length` bytes from `offset` (fails with ERR_TAR/ERR_IO when the archive is shorter). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * The bytes `[offset, offset + length)` in order, in chunks of any size. A chunk is valid until
   * the next one is requested (a source may reuse its buffers): copy what you keep. Ending early
   * (break, return) releases the read.
   */
  stream(offset: number, length: number): AsyncIterable<Uint8Array>;
}

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    fail('ERR_TAR', `read of ${length} bytes at ${offset} is outside the ${size}-byte archive`);
  }
}

/** Chunk size of {@link bytesSource} and {@link blobSource} streams. */
const CHUNK = 1 << 20;

/**
 * A source over bytes in memory (tests, small bundles received over the network).
 *
 * @example
 * ```ts
 * const report = await verifyBundle(bytesSource(bundleBytes), { trust });
 * ```
 */
export function bytesSource(bytes: Uint8Array): BundleSource {
  assertBytes('bytes', bytes);
  const size = bytes.length;
  return {
    size,
    read: async (offset, length) => {
      checkRange(size, offset, length);
      return bytes.slice(offset, offset + length);
    },
    stream: async function* (offset, length) {
      checkRange(size, offset, length);
      for (let p = offset; p < offset + length; p += CHUNK) yield bytes.slice(p, Math.min(offset + length, p + CHUNK));
    },
  };
}

/** The part of the Blob API a source needs (a browser `File` or Node's `Blob`). */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer>; stream(): ReadableStream<Uint8Array> };
}

/**
 * A source over a Blob or a browser File: random access through `slice().arrayBuffer()`, the
 * streaming read through `slice().stream()`.
 *
 * @example
 * ```ts
 * const report = await verifyBundle(blobSource(input.files[0]), { trust });
 * ```
 */
export function blobSource(blob: BlobLike): BundleSource {
  if (typeof blob?.slice !== 'function' || !Number.isSafeInteger(blob.size)) fail('ERR_INVALID_ARGUMENT', '"blob" expected a Blob');
  const size = blob.size;
  return {
    size,
    read: async (offset, length) => {
      checkRange(size, offset, length);
      const b = new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      if (b.length !== length) fail('ERR_IO', 'the blob returned fewer bytes than asked for');
      return b;
    },
    stream: async function* (offset, length) {
      checkRange(size, offset, length);
      const reader = blob.slice(offset, offset + length).stream().getReader();
      let got = 0;
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          got += r.value.length;
          if (got > length) fail('ERR_IO', 'the blob stream returned more bytes than asked for');
          yield r.value;
        }
      } finally {
        await reader.cancel().catch(() => undefined);
      }
      if (got !== length) fail('ERR_IO', 'the blob stream ended early');
    },
  };
}
