/**
 * Node only: seals and opens blocks of age STREAM chunks (C2SP age §"Payload") on worker
 * threads, so the Node file helpers use every core while the main thread does the file I/O.
 *
 * Lives in src/crypto/ because the workers call node:crypto (OpenSSL) directly: the worker is the
 * plain-JavaScript file src/node/workers/stream.worker.mjs (copied to dist/workers/ by the build;
 * no eval), which cannot import `#crypto`. Each chunk is the same ChaCha20-Poly1305 operation as
 * `chacha20poly1305Seal`/`Open` of the node backend, with the STREAM nonce (11-byte big-endian
 * counter ‖ last-chunk flag); tests compare the output with the in-thread STREAM byte for byte.
 *
 * The worker applies the same per-chunk rule as `StreamDecryptor`: a full-size chunk is opened
 * as a non-final chunk and, if that fails, as a final one; a shorter chunk only as a final one.
 * It reports where a chunk failed or turned out final; the caller decides what that means for
 * the file (authentication failure, trailing data, truncation). Plaintext of a block is returned
 * only when every chunk in it authenticated.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { CustosError } from '../errors.js';
import { workerFile } from '../node/workers/locate.js';


/** CUSTOS_STREAM_WORKERS=n sets the pool size; otherwise one worker per core, at most 4. */
function defaultPoolSize(): number {
  const env = Number(process.env.CUSTOS_STREAM_WORKERS);
  if (Number.isInteger(env) && env >= 1 && env <= 64) return env;
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Result of opening one block of sealed chunks. */
export interface OpenedBlock {
  /** Authenticated plaintext (empty when a chunk failed). */
  readonly plaintext: Uint8Array;
  /** Sealed chunks in the block (the last may be short). */
  readonly chunks: number;
  /** Index in the block of the chunk that opened as the final one, or -1. Opening stops there. */
  readonly finalAt: number;
  /** Index in the block of the first chunk that failed authentication, or -1. */
  readonly failAt: number;
  /** The block ends with fewer than 16 bytes (a chunk shorter than its tag). */
  readonly short: boolean;
}

interface Pending {
  resolve: (m: Record<string, unknown>) => void;
  reject: (e: unknown) => void;
}

/**
 * A small pool of STREAM workers (one per core, at most 4). Workers are started lazily, keep the
 * process alive only while they have work, and are shared by every caller in the process.
 */
export class StreamPool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #rr = 0;
  #busy = 0;

  constructor(size = defaultPoolSize()) {
    this.size = size;
  }

  #worker(): Worker {
    if (this.#workers.length < this.size) {
      const w = new Worker(workerFile('stream.worker.mjs'));
      w.unref();
      w.on('message', (m: Record<string, unknown>) => {
        const p = this.#pending.get(m.id as number);
        if (p === undefined) return;
        this.#pending.delete(m.id as number);
        if (--this.#busy === 0) for (const x of this.#workers) x.unref();
        if (m.error !== undefined) p.reject(new CustosError('ERR_INTERNAL', `STREAM worker failed (${String(m.error)})`));
        else p.resolve(m);
      });
      w.on('error', (e) => this.#failAll(e));
      this.#workers.push(w);
      return w;
    }
    return this.#workers[this.#rr++ % this.#workers.length]!;
  }

  #failAll(e: unknown): void {
    for (const p of this.#pending.values()) p.reject(new CustosError('ERR_INTERNAL', 'STREAM worker stopped', { cause: e }));
    this.#pending.clear();
    this.#busy = 0;
    for (const w of this.#workers.splice(0)) void w.terminate();
  }

  #run(msg: Record<string, unknown>, buf: ArrayBuffer, out?: ArrayBuffer): Promise<Record<string, unknown>> {
    const id = this.#next++;
    const w = this.#worker();
    if (this.#busy++ === 0) for (const x of this.#workers) x.ref();
    w.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ ...msg, id, buf, out }, out === undefined ? [buf] : [buf, out]);
    });
  }

  /**
   * Seals `len` plaintext bytes at the start of `buf` (transferred: unusable until returned) as
   * chunks `counter`, `counter + 1`, …; the block's last chunk carries the final flag when
   * `last`. Every chunk but the block's last must be full (64 KiB). `out` (transferred too), when
   * large enough, receives the sealed bytes, so a caller can recycle output buffers instead of
   * page-faulting fresh ones. Returns the sealed bytes (a view of their buffer) and `buf`.
   */
  async seal(
    key: Uint8Array,
    counter: number,
    buf: ArrayBuffer,
    len: number,
    last: boolean,
    out?: ArrayBuffer,
  ): Promise<{ sealed: Uint8Array; buf: ArrayBuffer }> {
    const m = await this.#run({ op: 'seal', key, counter, len, last }, buf, out);
    return { sealed: new Uint8Array(m.out as ArrayBuffer, 0, m.len as number), buf: m.buf as ArrayBuffer };
  }

  /** Opens `len` sealed bytes at the start of `buf` (transferred) as chunks from `counter` on. */
  async open(key: Uint8Array, counter: number, buf: ArrayBuffer, len: number, out?: ArrayBuffer): Promise<OpenedBlock & { buf: ArrayBuffer }> {
    const m = await this.#run({ op: 'open', key, counter, len }, buf, out);
    return {
      plaintext: new Uint8Array(m.out as ArrayBuffer, 0, m.len as number),
      chunks: m.chunks as number,
      finalAt: m.finalAt as number,
      failAt: m.failAt as number,
      short: m.short as boolean,
      buf: m.buf as ArrayBuffer,
    };
  }
}

const shared = new Map<number, StreamPool>();

/** The process-wide pool of `size` workers (default: CUSTOS_STREAM_WORKERS, else one per core). */
export function streamPool(size = defaultPoolSize()): StreamPool {
  let p = shared.get(size);
  if (p === undefined) {
    p = new StreamPool(size);
    shared.set(size, p);
  }
  return p;
}
