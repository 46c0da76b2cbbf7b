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
 * Failure. The main thread never waits for the worker synchronously on the normal path: when no
 * slot is free, `update` keeps a copy in a small backlog and the caller awaits `drain()` between
 * blocks (Atomics.waitAsync), so the worker's `error`/`exit` events run and fail the wait at once
 * with their cause (a thread blocked in Atomics.wait would never see them). The worker starts with
 * `execArgv: []`: the parent's flags (`--input-type=module`, loaders) are not for a plain .mjs
 * worker, and some of them make it die at start.
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
import type { HashAlg } from '../crypto/types.js';

const OPENSSL_NAME: { readonly [A in HashAlg]: string } = { 'sha-256': 'sha256', 'sha-1': 'sha1', md5: 'md5', 'sha-512': 'sha512' };

const SLOTS = 8;
const SLOT_BYTES = 1 << 20;
const FREE = 0;
// each lane may hold one partly filled slot: fewer lanes than slots, so the others keep cycling
const MAX_LANES = 4;
/** Bytes a lane may hold back before `update` waits synchronously (a caller that never drains). */
const BACKLOG_MAX = 64 << 20;


type WaitAsync = (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: Promise<string> | string };

/** The worker and slot ring shared by the lanes started together. */
class Ring {
  readonly worker: Worker;
  readonly data: Uint8Array;
  readonly ctrl: Int32Array;
  failed: unknown;
  open: number;
  readonly #pending = new Map<number, { resolve: (d: Uint8Array[]) => void; reject: (e: unknown) => void }>();
  #stopped = false;

  /** `algs[lane]`: the OpenSSL names of the hashes that lane computes over the same bytes. */
  constructor(algs: readonly (readonly string[])[]) {
    const lanes = algs.length;
    const data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
    const ctrl = new SharedArrayBuffer(4 * (1 + SLOTS));
    this.ctrl = new Int32Array(ctrl);
    this.ctrl[FREE] = SLOTS;
    this.data = new Uint8Array(data);
    this.open = lanes;
    // Only the flags the worker needs: none (it is plain JavaScript using node: builtins).
    this.worker = new Worker(workerFile('sha256.worker.mjs'), { workerData: { data, ctrl, SLOT_BYTES, FREE, lanes, algs: algs.map((a) => [...a]) }, execArgv: [] });
    this.worker.unref();
    const die = (e: unknown): void => {
      this.failed ??= e;
      for (const p of this.#pending.values()) p.reject(this.failed);
      this.#pending.clear();
      // wake a drain() waiting for a free slot: it sees `failed` and throws
      Atomics.notify(this.ctrl, FREE);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => {
      if (!this.#stopped) die(new Error(`the hashing worker exited (code ${code})`));
    });
    this.worker.on('message', (m: { lane: number; digests: Uint8Array[] }) => {
      const p = this.#pending.get(m.lane);
      this.#pending.delete(m.lane);
      p?.resolve(m.digests.map((d) => new Uint8Array(d)));
    });
  }

  check(): void {
    if (this.failed !== undefined) throw new CustosError('ERR_INTERNAL', 'the hashing worker failed', { cause: this.failed });
  }

  /** A free slot, or -1 when every slot is being hashed. */
  tryAcquire(): number {
    this.check();
    if (Atomics.load(this.ctrl, FREE) > 0) {
      for (let i = 0; i < SLOTS; i++) {
        if (Atomics.compareExchange(this.ctrl, 1 + i, 0, 1) === 0) {
          Atomics.sub(this.ctrl, FREE, 1);
          return i;
        }
      }
    }
    return -1;
  }

  /** Waits without blocking the event loop until a slot may be free or the worker failed. */
  async waitFree(): Promise<void> {
    this.check();
    const w = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(this.ctrl, FREE, 0, 60_000);
    if (w.async && (await w.value) === 'timed-out') throw new CustosError('ERR_INTERNAL', 'the hashing worker stopped responding');
    this.check();
  }

  /** Last resort for a caller that never drains: a synchronous wait (the worker's events cannot run). */
  acquireBlocking(): number {
    for (;;) {
      const i = this.tryAcquire();
      if (i >= 0) return i;
      if (Atomics.wait(this.ctrl, FREE, 0, 60_000) === 'timed-out') {
        throw new CustosError('ERR_INTERNAL', 'the hashing worker stopped responding');
      }
    }
  }

  finish(lane: number): Promise<Uint8Array[]> {
    // an unref'd worker's reply would not keep the event loop alive: a CLI could exit waiting
    this.worker.ref();
    return new Promise<Uint8Array[]>((resolve, reject) => {
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
  #backlog: Uint8Array[] = [];
  #backlogBytes = 0;

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
    return OffThreadSha256.startLanes(Array.from({ length: n }, () => ['sha-256' as const]));
  }

  /**
   * One lane per entry of `algs`, each computing every hash it lists over the same bytes (e.g. a
   * plaintext lane with SHA-256, SHA-1 and MD5 beside a payload lane with SHA-256), on one worker
   * thread and one 8 MiB ring. {@link digests} returns them in the order listed; {@link digest}
   * the first.
   *
   * @example
   * ```ts
   * const [plain, payload] = OffThreadSha256.startLanes([['sha-256', 'md5'], ['sha-256']]);
   * plain.update(plaintext);
   * const [sha256, md5] = await plain.digests();
   * ```
   */
  static startLanes(algs: readonly (readonly HashAlg[])[]): OffThreadSha256[] {
    if (!Array.isArray(algs) || algs.length < 1 || algs.length > MAX_LANES) throw new CustosError('ERR_INVALID_ARGUMENT', `algs must list 1 to ${MAX_LANES} lanes`);
    const names = algs.map((lane) => {
      if (!Array.isArray(lane) || lane.length < 1) throw new CustosError('ERR_INVALID_ARGUMENT', 'each lane needs at least one hash algorithm');
      return (lane as readonly HashAlg[]).map((a) => {
        const n = Object.hasOwn(OPENSSL_NAME, a) ? OPENSSL_NAME[a] : undefined;
        if (n === undefined) throw new CustosError('ERR_UNSUPPORTED', `hash algorithm ${JSON.stringify(a)} is not supported`);
        return n;
      });
    });
    const ring = new Ring(names);
    return names.map((_, lane) => new OffThreadSha256(ring, lane));
  }

  #submit(): void {
    if (this.#slot < 0 || this.#fill === 0) return;
    this.#ring.worker.postMessage({ lane: this.#lane, slot: this.#slot, length: this.#fill });
    this.#slot = -1;
    this.#fill = 0;
  }

  /** Copies bytes into slots while slots are free; returns how many were taken. */
  #fillSlots(bytes: Uint8Array, blocking: boolean): number {
    const data = this.#ring.data;
    let o = 0;
    while (o < bytes.length) {
      if (this.#slot < 0) {
        this.#slot = blocking ? this.#ring.acquireBlocking() : this.#ring.tryAcquire();
        if (this.#slot < 0) break;
      }
      const n = Math.min(bytes.length - o, SLOT_BYTES - this.#fill);
      data.set(bytes.subarray(o, o + n), this.#slot * SLOT_BYTES + this.#fill);
      this.#fill += n;
      o += n;
      if (this.#fill === SLOT_BYTES) this.#submit();
    }
    return o;
  }

  /**
   * Adds bytes. Never waits for the worker on the normal path: what no free slot can take is
   * copied to a backlog that {@link drain} (or {@link digest}) hands over. Only a caller that lets
   * the backlog pass 64 MiB without draining waits here, synchronously.
   */
  update(bytes: Uint8Array): void {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    this.#ring.check();
    if (bytes.length === 0) return;
    if (this.#backlog.length === 0) {
      const took = this.#fillSlots(bytes, false);
      if (took === bytes.length) return;
      bytes = bytes.subarray(took);
    }
    if (this.#backlogBytes + bytes.length > BACKLOG_MAX) {
      this.#flushBacklog(true);
      this.#fillSlots(bytes, true);
      return;
    }
    this.#backlog.push(bytes.slice());
    this.#backlogBytes += bytes.length;
  }

  /**
   * Adds bytes, waiting asynchronously (never blocking the thread) while every slot is in use:
   * no backlog copy, so a caller that can await keeps memory at the ring's 8 MiB.
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    await this.drain();
    let rest = bytes;
    for (;;) {
      const took = this.#fillSlots(rest, false);
      if (took === rest.length) return;
      rest = rest.subarray(took);
      await this.#ring.waitFree();
    }
  }

  #flushBacklog(blocking: boolean): void {
    while (this.#backlog.length > 0) {
      const b = this.#backlog[0]!;
      const took = this.#fillSlots(b, blocking);
      this.#backlogBytes -= took;
      if (took < b.length) {
        this.#backlog[0] = b.subarray(took);
        return;
      }
      this.#backlog.shift();
    }
  }

  /**
   * Hands the backlog to the worker, waiting asynchronously for free slots: a dead worker fails
   * this at once with its cause (ERR_INTERNAL). Call it between blocks to bound the backlog.
   */
  async drain(): Promise<void> {
    while (this.#backlog.length > 0) {
      this.#flushBacklog(false);
      if (this.#backlog.length > 0) await this.#ring.waitFree();
    }
    this.#ring.check();
  }

  /** Finishes; resolves with the lane's first digest (the worker stops after the last lane's). */
  async digest(): Promise<Uint8Array> {
    return (await this.digests())[0]!;
  }

  /** Finishes; resolves with every digest of the lane, in the order of its algorithms. */
  async digests(): Promise<Uint8Array[]> {
    if (this.#done) throw new CustosError('ERR_INVALID_ARGUMENT', 'hash already finished');
    try {
      await this.drain();
      this.#done = true;
      this.#submit();
      return await this.#ring.finish(this.#lane);
    } catch (e) {
      throw e instanceof CustosError ? e : new CustosError('ERR_INTERNAL', 'the hashing worker failed', { cause: e });
    } finally {
      this.#done = true;
      this.#backlog = [];
      await this.#ring.release();
    }
  }

  /** Stops this lane without a digest (on errors); a no-op after `digest`. */
  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#backlog = [];
    if (this.#slot >= 0) {
      // hand the partly filled slot back, for the lanes still running
      Atomics.store(this.#ring.ctrl, 1 + this.#slot, 0);
      Atomics.add(this.#ring.ctrl, FREE, 1);
      this.#slot = -1;
    }
    await this.#ring.release();
  }
}
