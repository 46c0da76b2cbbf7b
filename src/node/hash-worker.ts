/**
 * SHA-256 on a second core: a worker thread that hashes what the main thread copies into a
 * ring of shared buffers, so that hashing a large item overlaps its encryption.
 *
 * Protocol. A SharedArrayBuffer holds `SLOTS` slots of `SLOT_BYTES`; an Int32Array beside it
 * holds the number of free slots. The main thread copies bytes into a slot, and when the slot is
 * full (or at the end) posts `{ slot, length }`; the worker hashes the slot, frees it and
 * notifies. When no slot is free the main thread blocks on `Atomics.wait` (bounded memory:
 * backpressure instead of an unbounded queue). Messages are ordered, so the digest the worker
 * returns after `finish` covers every slot in submission order.
 *
 * The worker is the plain-JavaScript file `workers/sha256.worker.mjs` (no eval), found by
 * {@link workerFile} both in the sources and in dist/. It uses node:crypto's SHA-256 directly:
 * this path is Node-only, where `#crypto` is the same OpenSSL SHA-256.
 */
import { Worker } from 'node:worker_threads';
import { CustosError } from '../errors.js';
import { workerFile } from './workers/locate.js';

const SLOTS = 8;
const SLOT_BYTES = 1 << 20;
const FREE = 0;


/**
 * An incremental SHA-256 computed on a worker thread. `update` copies and returns at once
 * (blocking only when all slots are in flight); `digest` resolves when the worker is done.
 *
 * @example
 * ```ts
 * const h = await OffThreadSha256.start();
 * h.update(chunk); // …
 * const digest = await h.digest(); // the worker is closed
 * ```
 */
export class OffThreadSha256 {
  readonly #worker: Worker;
  readonly #data: Uint8Array;
  readonly #ctrl: Int32Array;
  #slot = -1;
  #fill = 0;
  #failed: unknown;
  #done = false;

  private constructor(worker: Worker, data: Uint8Array, ctrl: Int32Array) {
    this.#worker = worker;
    this.#data = data;
    this.#ctrl = ctrl;
    worker.on('error', (e) => (this.#failed = e));
  }

  static start(): OffThreadSha256 {
    const data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    const ctrl = new SharedArrayBuffer(4 * (1 + SLOTS));
    const c = new Int32Array(ctrl);
    c[FREE] = SLOTS;
    const worker = new Worker(workerFile('sha256.worker.mjs'), { workerData: { data, ctrl, SLOT_BYTES, FREE } });
    worker.unref();
    return new OffThreadSha256(worker, new Uint8Array(data), c);
  }

  #acquire(): number {
    for (;;) {
      if (this.#failed !== undefined) throw new CustosError('ERR_INTERNAL', 'the hashing worker failed', { cause: this.#failed });
      if (Atomics.load(this.#ctrl, FREE) > 0) {
        for (let i = 0; i < SLOTS; i++) {
          if (Atomics.compareExchange(this.#ctrl, 1 + i, 0, 1) === 0) {
            Atomics.sub(this.#ctrl, FREE, 1);
            return i;
          }
        }
      }
      // every slot is being hashed: wait for the worker to free one (bounded, so a dead worker is noticed)
      if (Atomics.wait(this.#ctrl, FREE, 0, 60_000) === 'timed-out') {
        throw new CustosError('ERR_INTERNAL', 'the hashing worker stopped responding');
      }
    }
  }

  #submit(): void {
    if (this.#slot < 0 || this.#fill === 0) return;
    this.#worker.postMessage({ slot: this.#slot, length: this.#fill });
    this.#slot = -1;
    this.#fill = 0;
  }

  update(bytes: Uint8Array): void {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    let o = 0;
    while (o < bytes.length) {
      if (this.#slot < 0) this.#slot = this.#acquire();
      const n = Math.min(bytes.length - o, SLOT_BYTES - this.#fill);
      this.#data.set(bytes.subarray(o, o + n), this.#slot * SLOT_BYTES + this.#fill);
      this.#fill += n;
      o += n;
      if (this.#fill === SLOT_BYTES) this.#submit();
    }
  }

  /** Finishes; resolves with the 32-byte digest and stops the worker. */
  async digest(): Promise<Uint8Array> {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    this.#done = true;
    this.#submit();
    // an unref'd worker's reply would not keep the event loop alive: a CLI could exit waiting
    this.#worker.ref();
    try {
      const digest = await new Promise<Uint8Array>((resolve, reject) => {
        if (this.#failed !== undefined) reject(this.#failed);
        this.#worker.once('message', (m: { digest: Uint8Array }) => resolve(new Uint8Array(m.digest)));
        this.#worker.once('error', reject);
        this.#worker.postMessage({ finish: true });
      });
      return digest;
    } catch (e) {
      throw new CustosError('ERR_INTERNAL', 'the hashing worker failed', { cause: e });
    } finally {
      await this.#worker.terminate();
    }
  }

  /** Stops the worker without a digest (on errors). */
  async abort(): Promise<void> {
    this.#done = true;
    await this.#worker.terminate();
  }
}
