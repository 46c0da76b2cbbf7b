/**
 * A bundle archive opened over a {@link BundleSource}: its strictly checked table of contents
 * (see tar.ts) and readers for members. Every read goes to the one source: nothing reopens it.
 */
import { fail } from '../errors.js';
import type { BundleSource } from './source.js';
import { readTarIndex, type TarEntry } from './tar.js';

export class BundleArchive {
  readonly entries: readonly TarEntry[];
  readonly source: BundleSource;
  readonly #byName: Map<string, TarEntry>;

  private constructor(source: BundleSource, entries: TarEntry[]) {
    this.source = source;
    this.entries = entries;
    this.#byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Reads and checks the table of contents (ERR_TAR for anything but a strict POSIX archive). */
  static async open(source: BundleSource): Promise<BundleArchive> {
    if (typeof source?.read !== 'function' || typeof source.stream !== 'function' || !Number.isSafeInteger(source.size)) {
      fail('ERR_INVALID_ARGUMENT', '"source" expected a BundleSource (size, read, stream)');
    }
    return new BundleArchive(source, await readTarIndex((o, n) => source.read(o, n), source.size));
  }

  get(name: string): TarEntry | undefined {
    return this.#byName.get(name);
  }

  /** Reads a whole member, refusing one above `maxBytes` (ERR_LIMIT) or absent (ERR_BUNDLE_MALFORMED). */
  async read(name: string, maxBytes: number): Promise<Uint8Array> {
    const e = this.#byName.get(name);
    if (e === undefined) fail('ERR_BUNDLE_MALFORMED', `${name} is missing`);
    if (e.size > maxBytes) fail('ERR_LIMIT', `${name} is larger than ${maxBytes} bytes`);
    return this.source.read(e.offset, e.size);
  }

  /** Streams a member front to back. */
  stream(entry: TarEntry): AsyncIterable<Uint8Array> {
    return this.source.stream(entry.offset, entry.size);
  }
}
