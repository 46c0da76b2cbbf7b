/**
 * Byte sources and sinks shared by the entry points: a pull reader over a Uint8Array or a
 * ReadableStream, transparent dearmoring, and a growable output buffer.
 */
import { toU8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { ArmorDecoder } from './armor.js';

/** A pull-based byte source; `read` returns null at the end. */
export interface ByteSource {
  read(): Promise<Uint8Array | null>;
  cancel(reason?: unknown): Promise<void>;
}

const EMPTY = new Uint8Array(0);

export function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof x === 'object' && x !== null && typeof (x as ReadableStream).getReader === 'function';
}

/** A source over a whole Uint8Array (yields it once) or a ReadableStream of Uint8Array. */
export function sourceOf(input: Uint8Array | ReadableStream<Uint8Array>): ByteSource {
  if (input instanceof Uint8Array) {
    let done = false;
    return {
      read: async () => {
        if (done) return null;
        done = true;
        return toU8(input);
      },
      cancel: async () => {
        done = true;
      },
    };
  }
  if (!isReadableStream(input)) fail('ERR_INVALID_ARGUMENT', '"input" expected Uint8Array or ReadableStream<Uint8Array>');
  const reader = input.getReader();
  return {
    async read() {
      for (;;) {
        let r: ReadableStreamReadResult<Uint8Array>;
        try {
          r = await reader.read();
        } catch (e) {
          // The producer failed (a socket reset, a disk error): a coded error like every other
          // one, with the producer's error as its cause (finding F-10).
          if (e instanceof CustosError) throw e;
          throw new CustosError('ERR_IO', 'the input stream failed', { cause: e });
        }
        if (r.done) return null;
        if (!(r.value instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', 'stream chunks must be Uint8Array');
        if (r.value.length > 0) return toU8(r.value);
      }
    },
    cancel: async (reason) => {
      await reader.cancel(reason).catch(() => undefined);
    },
  };
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Wraps a source so an armored file is dearmored on the fly. `armored` forces the mode; when it
 * is undefined the first non-whitespace byte decides ('-', as in "-----BEGIN", means armor).
 */
export function dearmoringSource(src: ByteSource, armored?: boolean): ByteSource & { readonly armored: () => boolean | undefined } {
  let mode: 'unknown' | 'binary' | 'armor' = armored === undefined ? 'unknown' : armored ? 'armor' : 'binary';
  const head: Uint8Array[] = [];
  let decoder: ArmorDecoder | undefined;
  let finished = false;
  const queue: Uint8Array[] = [];
  const emit = (b: Uint8Array) => {
    if (b.length > 0) queue.push(b);
  };
  return {
    async read() {
      while (mode === 'unknown') {
        const chunk = await src.read();
        if (chunk === null) {
          mode = 'binary';
          break;
        }
        let i = 0;
        while (i < chunk.length && isSpace(chunk[i]!)) i++;
        if (i < chunk.length) mode = chunk[i] === 0x2d ? 'armor' : 'binary';
        // A chunk that is all whitespace is held while more is read: copy it, since some
        // sources reuse their buffers. The deciding chunk is passed on as is.
        head.push(mode === 'unknown' ? chunk.slice() : chunk);
      }
      if (mode === 'binary') {
        if (head.length > 0) return head.shift()!;
        return src.read();
      }
      decoder ??= new ArmorDecoder();
      while (queue.length === 0 && !finished) {
        const chunk = head.length > 0 ? head.shift()! : await src.read();
        if (chunk === null) {
          finished = true;
          decoder.finish(emit);
        } else {
          decoder.push(chunk, emit);
        }
      }
      return queue.shift() ?? null;
    },
    cancel: (reason) => src.cancel(reason),
    /** Whether the input turned out armored (undefined before the first non-whitespace byte). */
    armored: () => (mode === 'unknown' ? undefined : mode === 'armor'),
  };
}

/** Collects bytes into one Uint8Array, growing geometrically (or into a known size). */
export class ByteSink {
  #buf: Uint8Array;
  #len = 0;
  constructor(expected = 0) {
    this.#buf = new Uint8Array(expected);
  }
  push(b: Uint8Array): void {
    const need = this.#len + b.length;
    if (need > this.#buf.length) {
      const nb = new Uint8Array(Math.max(need, this.#buf.length * 2, 1024));
      nb.set(this.#buf.subarray(0, this.#len));
      this.#buf = nb;
    }
    this.#buf.set(b, this.#len);
    this.#len = need;
  }
  get length(): number {
    return this.#len;
  }
  /** The collected bytes (a view when the buffer is exactly full, else a trimmed copy). */
  bytes(): Uint8Array {
    return this.#len === this.#buf.length ? this.#buf : this.#buf.slice(0, this.#len);
  }
}

export { EMPTY };
