/**
 * A streaming tar writer over any {@link ByteSink}: entries go to the sink as they are added,
 * data is never buffered beyond one chunk.
 */
import * as crypto from '#crypto';
import { toU8 } from '../bytes.js';
import { fail } from '../errors.js';
import { TAR_END, tarHeader, tarPadding, type TarEntryOptions } from './tar.js';

/** Where bytes go: a file, stdout, a socket. `write` resolves when the sink accepted the bytes. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * @example
 * ```ts
 * const tar = new TarWriter(sink, { mtime: 0 });
 * const sha256 = await tar.addBytes('seals/disk.cose', seal);
 * await tar.finish();
 * ```
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
  async addStream(name: string, size: number, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onBytes?: (n: number) => void): Promise<Uint8Array> {
    const h = crypto.createSha256();
    await this.addRaw(name, size, source, (c) => {
      h.update(c);
      onBytes?.(c.length);
    });
    return h.digest();
  }

  /** Adds an entry of exactly `size` bytes, showing each chunk to `see` on the way (no digest). */
  async addRaw(name: string, size: number, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, see?: (chunk: Uint8Array) => void): Promise<void> {
    if (this.#finished) fail('ERR_INVALID_ARGUMENT', 'tar writer already finished');
    await this.#sink.write(tarHeader(name, size, this.#opts));
    let n = 0;
    for await (const chunk of source) {
      const c = toU8(chunk);
      n += c.length;
      if (n > size) fail('ERR_IO', `${name}: source is longer than its declared size`);
      see?.(c);
      await this.#sink.write(c);
    }
    if (n !== size) fail('ERR_IO', `${name}: source ended after ${n} of ${size} bytes`);
    const pad = tarPadding(size);
    if (pad > 0) await this.#sink.write(new Uint8Array(pad));
  }

  /** Writes the end-of-archive marker. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.#sink.write(TAR_END);
  }
}
