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
 * Lanes. {@link OffThreadSha256.startMany} runs several independent digests on ONE worker and one
 * ring (each message names its lane): on two cores, one thread for both of openFile's hashes
 * beside the decrypting thread beats two threads competing with it, and memory stays 8 MiB.
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
// each lane may hold one partly filled slot: fewer lanes than slots, so the others keep cycling
const MAX_LANES = 4;


/** The worker and slot ring shared by the lanes started together. */
class Ring {
  readonly worker: Worker;
  readonly data: Uint8Array;
  readonly ctrl: Int32Array;
  failed: unknown;
  open: number;
  readonly #pending = new Map<number, { resolve: (d: Uint8Array) => void; reject: (e: unknown) => void }>();
  #stopped = false;

  constructor(lanes: number) {
    const data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    const ctrl = new SharedArrayBuffer(4 * (1 + SLOTS));
    this.ctrl = new Int32Array(ctrl);
    this.ctrl[FREE] = SLOTS;
    this.data = new Uint8Array(data);
    this.open = lanes;
    this.worker = new Worker(workerFile('sha256.worker.mjs'), { workerData: { data, ctrl, SLOT_BYTES, FREE, lanes } });
    this.worker.unref();
    this.worker.on('error', (e) => {
      this.failed = e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    });
    this.worker.on('exit', () => {
      if (this.#stopped) return;
      this.failed ??= new Error('the hashing worker exited');
      for (const p of this.#pending.values()) p.reject(this.failed);
      this.#pending.clear();
    });
    this.worker.on('message', (m: { lane: number; digest: Uint8Array }) => {
      const p = this.#pending.get(m.lane);
      this.#pending.delete(m.lane);
      p?.resolve(new Uint8Array(m.digest));
    });
  }

  acquire(): number {
    for (;;) {
      if (this.failed !== undefined) throw new CustosError('ERR_INTERNAL', 'the hashing worker failed', { cause: this.failed });
      if (Atomics.load(this.ctrl, FREE) > 0) {
        for (let i = 0; i < SLOTS; i++) {
          if (Atomics.compareExchange(this.ctrl, 1 + i, 0, 1) === 0) {
            Atomics.sub(this.ctrl, FREE, 1);
            return i;
          }
        }
      }
      // every slot is being hashed: wait for the worker to free one (bounded, so a dead worker is noticed)
      if (Atomics.wait(this.ctrl, FREE, 0, 60_000) === 'timed-out') {
        throw new CustosError('ERR_INTERNAL', 'the hashing worker stopped responding');
      }
    }
  }

  finish(lane: number): Promise<Uint8Array> {
    // an unref'd worker's reply would not keep the event loop alive: a CLI could exit waiting
    this.worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.failed !== undefined) return reject(this.failed);
      this.#pending.set(lane, { resolve, reject });
      this.worker.postMessage({ lane, finish: true });
    });
  }

  /** One lane is done (digest or abort); the worker stops with the last one. */
  async release(): Promise<void> {
    this.open -= 1;
    if (this.open === 0 && !this.#stopped) {
      this.#stopped = true;
      await this.worker.terminate();
    }
  }
}

/**
 * An incremental SHA-256 computed on a worker thread. `update` copies and returns at once
 * (blocking only when all slots are in flight); `digest` resolves when the worker is done.
 *
 * @example
 * ```ts
 * const h = OffThreadSha256.start();
 * h.update(chunk); // …
 * const digest = await h.digest(); // the worker is closed
 * ```
 */
export class OffThreadSha256 {
  readonly #ring: Ring;
  readonly #lane: number;
  #slot = -1;
  #fill = 0;
  #done = false;

  private constructor(ring: Ring, lane: number) {
    this.#ring = ring;
    this.#lane = lane;
  }

  static start(): OffThreadSha256 {
    return OffThreadSha256.startMany(1)[0]!;
  }

  /**
   * `n` independent hashes on one worker thread and one 8 MiB ring; the worker stops when every
   * one has been digested or aborted.
   *
   * @example
   * ```ts
   * const [payload, plain] = OffThreadSha256.startMany(2);
   * payload.update(ciphertext);
   * plain.update(plaintext);
   * const [p, q] = await Promise.all([payload.digest(), plain.digest()]);
   * ```
   */
  static startMany(n: number): OffThreadSha256[] {
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LANES) throw new CustosError('ERR_INVALID_ARGUMENT', `n must be an integer from 1 to ${MAX_LANES}`);
    const ring = new Ring(n);
    return Array.from({ length: n }, (_, lane) => new OffThreadSha256(ring, lane));
  }

  #submit(): void {
    if (this.#slot < 0 || this.#fill === 0) return;
    this.#ring.worker.postMessage({ lane: this.#lane, slot: this.#slot, length: this.#fill });
    this.#slot = -1;
    this.#fill = 0;
  }

  update(bytes: Uint8Array): void {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    const data = this.#ring.data;
    let o = 0;
    while (o < bytes.length) {
      if (this.#slot < 0) this.#slot = this.#ring.acquire();
      const n = Math.min(bytes.length - o, SLOT_BYTES - this.#fill);
      data.set(bytes.subarray(o, o + n), this.#slot * SLOT_BYTES + this.#fill);
      this.#fill += n;
      o += n;
      if (this.#fill === SLOT_BYTES) this.#submit();
    }
  }

  /** Finishes; resolves with the 32-byte digest (the worker stops after the last lane's). */
  async digest(): Promise<Uint8Array> {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    this.#done = true;
    try {
      this.#submit();
      return await this.#ring.finish(this.#lane);
    } catch (e) {
      throw new CustosError('ERR_INTERNAL', 'the hashing worker failed', { cause: e });
    } finally {
      await this.#ring.release();
    }
  }

  /** Stops this lane without a digest (on errors); a no-op after `digest`. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    if (this.#slot >= 0) {
      // hand the partly filled slot back, for the lanes still running
      Atomics.store(this.#ring.ctrl, 1 + this.#slot, 0);
      Atomics.add(this.#ring.ctrl, FREE, 1);
      this.#slot = -1;
    }
    await this.#ring.release();
  }
}
