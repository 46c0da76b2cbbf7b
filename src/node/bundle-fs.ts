/**
 * File plumbing for bundles on Node: {@link openBundleFile}, the {@link BundleSource} over ONE
 * open file handle (positional reads for the small members, a prefetching stream for items), an
 * atomic output file ({@link AtomicFile}, a {@link ByteSink} over {@link AtomicWriter}), and
 * {@link TarFile}, random access to an archive's members by name.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { assertString } from '../bytes.js';
import { BundleArchive } from '../bundle/archive.js';
import type { BundleSource } from '../bundle/source.js';
import type { TarEntry } from '../bundle/tar.js';
import { TarWriter, type ByteSink } from '../bundle/tarwriter.js';
import { CustosError, fail } from '../errors.js';
import { AtomicWriter, type AtomicOptions } from './files.js';

export { TarWriter, type ByteSink };

/** Chunk size for streaming member data out of an archive. */
export const TAR_READ_CHUNK = 2 * 1024 * 1024;

/** A {@link BundleSource} over one open file; close it when done. */
export interface FileSource extends BundleSource {
  close(): Promise<void>;
}

async function readRange(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  return readInto(fh, new Uint8Array(length), offset);
}

async function readInto(fh: FileHandle, buf: Uint8Array, offset: number): Promise<Uint8Array> {
  const length = buf.length;
  let got = 0;
  while (got < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, got, length - got, offset + got));
    } catch (e) {
      throw new CustosError('ERR_IO', 'cannot read the bundle', { cause: e });
    }
    if (bytesRead === 0) fail('ERR_TAR', 'archive is shorter than its headers say');
    got += bytesRead;
  }
  return buf;
}

/**
 * Opens `path` once: every later read of the bundle goes to this handle, so a file replaced
 * under the same name afterwards is never read (what was verified is what is decrypted).
 *
 * @example
 * ```ts
 * const src = await openBundleFile('bundle.tar');
 * try { const report = await verifyBundle(src, { trust }); } finally { await src.close(); }
 * ```
 */
export async function openBundleFile(path: string): Promise<FileSource> {
  assertString('path', path);
  let fh: FileHandle;
  let size: number;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot open ${path}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) fail('ERR_IO', `${path} is not a regular file`);
    size = st.size;
  } catch (e) {
    await fh.close();
    throw e instanceof CustosError ? e : new CustosError('ERR_IO', `cannot stat ${path}`, { cause: e });
  }
  let closed = false;
  const check = (offset: number, length: number): void => {
    if (closed) fail('ERR_INVALID_ARGUMENT', 'the bundle file is closed');
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      fail('ERR_TAR', `read of ${length} bytes at ${offset} is outside the ${size}-byte archive`);
    }
  };
  return {
    size,
    read: async (offset, length) => {
      check(offset, length);
      return readRange(fh, offset, length);
    },
    // The next block is read while the consumer works on the current one (I/O overlaps CPU),
    // into two buffers that alternate: a chunk is valid until the next one is requested (the
    // BundleSource contract), so a GiB streams through 2 × 2 MiB instead of 512 fresh buffers
    // that the garbage collector would leave lying around (peak RSS).
    stream: async function* (offset, length) {
      check(offset, length);
      const end = offset + length;
      const bufs = [new Uint8Array(Math.min(TAR_READ_CHUNK, length)), new Uint8Array(Math.min(TAR_READ_CHUNK, length))] as const;
      let which = 0;
      const at = (p: number): Promise<Uint8Array> => {
        const buf = bufs[which]!;
        which ^= 1;
        const r = readInto(fh, buf.subarray(0, Math.min(TAR_READ_CHUNK, end - p)), p);
        r.catch(() => undefined);
        return r;
      };
      let next: Promise<Uint8Array> | undefined;
      try {
        for (let p = offset; p < end; p += TAR_READ_CHUNK) {
          const cur = next ?? at(p);
          const chunk = await cur;
          // the buffer of the chunk before this one is free now: read ahead into it
          next = p + TAR_READ_CHUNK < end ? at(p + TAR_READ_CHUNK) : undefined;
          yield chunk;
        }
      } finally {
        await next?.catch(() => undefined); // never close the handle under a read in flight
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    },
  };
}

/**
 * A file that appears under its final name only when complete: a thin {@link ByteSink} adapter
 * over {@link AtomicWriter} (exclusive temp file under a random name, fsync, rename).
 *
 * @example
 * ```ts
 * const f = await AtomicFile.create('bundle.tar');
 * try { await f.write(bytes); await f.commit(); } catch (e) { await f.abort(); throw e; }
 * ```
 */
export class AtomicFile implements ByteSink {
  readonly path: string;
  readonly #w: AtomicWriter;

  private constructor(w: AtomicWriter) {
    this.path = w.path;
    this.#w = w;
  }

  static async create(path: string, mode = 0o644, opts: AtomicOptions = {}): Promise<AtomicFile> {
    return new AtomicFile(await AtomicWriter.create(path, mode, opts));
  }

  async write(bytes: Uint8Array): Promise<void> {
    await this.#w.write([bytes]);
  }

  async commit(): Promise<void> {
    await this.#w.commit();
  }

  async abort(): Promise<void> {
    await this.#w.abort();
  }
}

/** Writes bytes to a path atomically; one implementation for the whole package. */
export { writeFileAtomic } from './files.js';

/**
 * An archive file opened for random access to its members by name (one handle).
 *
 * @example
 * ```ts
 * const tar = await TarFile.open('bundle.tar');
 * try { const m = await tar.readAll('manifest.cose', 1 << 20); } finally { await tar.close(); }
 * ```
 */
export class TarFile {
  readonly #src: FileSource;
  readonly #archive: BundleArchive;

  private constructor(src: FileSource, archive: BundleArchive) {
    this.#src = src;
    this.#archive = archive;
  }

  static async open(path: string): Promise<TarFile> {
    const src = await openBundleFile(path);
    try {
      return new TarFile(src, await BundleArchive.open(src));
    } catch (e) {
      await src.close();
      throw e;
    }
  }

  get entries(): readonly TarEntry[] {
    return this.#archive.entries;
  }

  get size(): number {
    return this.#src.size;
  }

  get(name: string): TarEntry | undefined {
    return this.#archive.get(name);
  }

  /** Reads a whole entry into memory, refusing entries above `maxBytes` (ERR_LIMIT). */
  readAll(name: string, maxBytes: number): Promise<Uint8Array> {
    return this.#archive.read(name, maxBytes);
  }

  /** Streams an entry. */
  stream(entry: TarEntry): AsyncIterable<Uint8Array> {
    return this.#archive.stream(entry);
  }

  close(): Promise<void> {
    return this.#src.close();
  }
}

/** Iterates a Web ReadableStream (TypeScript's DOM lib does not type it as async-iterable). */
export async function* iterateStream<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    reader.releaseLock();
  }
}
