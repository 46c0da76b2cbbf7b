/**
 * File plumbing for bundles on Node: an atomic output file (temp file in the same directory,
 * fsync, rename, fsync of the directory), a streaming tar writer over any byte sink, and a
 * random-access tar reader over a file.
 */
import { open, type FileHandle } from 'node:fs/promises';
import * as crypto from '#crypto';
import { assertBytes, toU8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { AtomicWriter } from './files.js';
import { readTarIndex, TAR_END, tarHeader, tarPadding, type TarEntry, type TarEntryOptions } from '../bundle/tar.js';

/** Where bytes go: a file, stdout, a socket. `write` resolves when the sink accepted the bytes. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * A file that appears under its final name only when complete: written to a temp file in the
 * same directory, fsynced, renamed over `path`, and the directory fsynced. A thin {@link ByteSink}
 * adapter over {@link AtomicWriter}, which also removes temp files left by writers that died.
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

  static async create(path: string, mode = 0o644): Promise<AtomicFile> {
    return new AtomicFile(await AtomicWriter.create(path, mode));
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
 * A streaming tar writer: entries go to the sink as they are added, data is never buffered
 * beyond one chunk, and each entry's SHA-256 is computed on the way through.
 */
export class TarWriter {
  readonly #sink: ByteSink;
  readonly #opts: TarEntryOptions;
  #finished = false;

  constructor(sink: ByteSink, opts: TarEntryOptions = {}) {
    this.#sink = sink;
    this.#opts = opts;
  }

  /** Adds an entry held in memory; returns its SHA-256. */
  async addBytes(name: string, data: Uint8Array): Promise<Uint8Array> {
    return this.addStream(name, data.length, [data]);
  }

  /**
   * Adds an entry of exactly `size` bytes from `source`; returns its SHA-256. Throws ERR_IO if
   * the source yields more or fewer bytes (the archive is then unusable: abort the sink).
   */
  async addStream(
    name: string,
    size: number,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    onBytes?: (n: number) => void,
  ): Promise<Uint8Array> {
    if (this.#finished) fail('ERR_INVALID_ARGUMENT', 'tar writer already finished');
    await this.#sink.write(tarHeader(name, size, this.#opts));
    const h = crypto.createSha256();
    let n = 0;
    for await (const chunk of source) {
      const c = toU8(chunk);
      n += c.length;
      if (n > size) fail('ERR_IO', `${name}: source is longer than its declared size`);
      h.update(c);
      await this.#sink.write(c);
      onBytes?.(c.length);
    }
    if (n !== size) fail('ERR_IO', `${name}: source ended after ${n} of ${size} bytes`);
    const pad = tarPadding(size);
    if (pad > 0) await this.#sink.write(new Uint8Array(pad));
    return h.digest();
  }

  /** Writes the end-of-archive marker. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.#sink.write(TAR_END);
  }
}

/** Chunk size for streaming entry data out of an archive. */
export const TAR_READ_CHUNK = 1024 * 1024;

/**
 * An archive opened for random access: its checked table of contents, and readers for entries.
 *
 * @example
 * ```ts
 * const tar = await TarFile.open('bundle.tar');
 * try { const m = await tar.readAll('manifest.cose', 1 << 20); } finally { await tar.close(); }
 * ```
 */
export class TarFile {
  readonly entries: readonly TarEntry[];
  readonly size: number;
  readonly #fh: FileHandle;
  readonly #byName: Map<string, TarEntry>;

  private constructor(fh: FileHandle, size: number, entries: TarEntry[]) {
    this.#fh = fh;
    this.size = size;
    this.entries = entries;
    this.#byName = new Map(entries.map((e) => [e.name, e]));
  }

  static async open(path: string): Promise<TarFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new CustosError('ERR_IO', `cannot open ${path}`, { cause: e });
    }
    try {
      const { size } = await fh.stat();
      const entries = await readTarIndex((o, n) => readRange(fh, o, n), size);
      return new TarFile(fh, size, entries);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get(name: string): TarEntry | undefined {
    return this.#byName.get(name);
  }

  /** Reads a whole entry into memory, refusing entries above `maxBytes` (ERR_LIMIT). */
  async readAll(name: string, maxBytes: number): Promise<Uint8Array> {
    const e = this.#byName.get(name);
    if (e === undefined) fail('ERR_BUNDLE_MALFORMED', `${name} is missing`);
    if (e.size > maxBytes) fail('ERR_LIMIT', `${name} is larger than ${maxBytes} bytes`);
    return readRange(this.#fh, e.offset, e.size);
  }

  /** Reads `length` bytes of an entry from `start` (clamped to the entry). */
  async readPart(entry: TarEntry, start: number, length: number): Promise<Uint8Array> {
    const s = Math.min(Math.max(0, start), entry.size);
    return readRange(this.#fh, entry.offset + s, Math.min(length, entry.size - s));
  }

  /** Streams an entry (or a range of it) in chunks of {@link TAR_READ_CHUNK}. */
  async *stream(entry: TarEntry, start = 0, end = entry.size): AsyncGenerator<Uint8Array> {
    for (let p = start; p < end; p += TAR_READ_CHUNK) {
      yield await readRange(this.#fh, entry.offset + p, Math.min(TAR_READ_CHUNK, end - p));
    }
  }

  async close(): Promise<void> {
    await this.#fh.close();
  }
}

async function readRange(fh: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) fail('ERR_TAR', 'archive is shorter than its headers say');
    got += bytesRead;
  }
  return buf;
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
