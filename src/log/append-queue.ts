/**
 * The append side both log stores share: each `append` is checked (bytes, the entry bound, the
 * store open) and queued; one flush loop at a time takes up to `maxBatch` queued entries per
 * batch and hands them to the store, which makes them durable and settles each entry's promise.
 * Appends made in the same tick join one batch (the loop yields once before its first batch).
 */
import { assertBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { MAX_ENTRY_BYTES } from './tiles.js';

/** A queued append: its entry (a private copy) and the promise to settle. */
export interface PendingAppend<R> {
  readonly entry: Uint8Array;
  resolve(v: R): void;
  reject(e: unknown): void;
}

export class AppendQueue<R> {
  readonly #maxBatch: number;
  readonly #flush: (batch: PendingAppend<R>[]) => Promise<void>;
  #queue: PendingAppend<R>[] = [];
  #flushing: Promise<void> | null = null;

  /** `flush` settles every entry of the batch it is given (it must not throw). */
  constructor(maxBatch: number, flush: (batch: PendingAppend<R>[]) => Promise<void>) {
    this.#maxBatch = maxBatch;
    this.#flush = flush;
  }

  /**
   * Queues `entry`; rejects at once (never throws) when it is not bytes, exceeds the entry bound,
   * or `refuse` says why the store takes no more (closed, broken).
   */
  push(entry: Uint8Array, refuse: () => void): Promise<R> {
    try {
      const e = assertBytes('entry', entry);
      if (e.length > MAX_ENTRY_BYTES) fail('ERR_LIMIT', `entry of ${e.length} bytes exceeds ${MAX_ENTRY_BYTES}`);
      refuse();
      return new Promise<R>((resolve, reject) => {
        this.#queue.push({ entry: e.slice(), resolve, reject });
        if (this.#flushing === null) this.#flushing = this.#loop();
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Resolves once nothing is queued or being flushed. */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #loop(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.#queue.length > 0) await this.#flush(this.#queue.splice(0, this.#maxBatch));
    this.#flushing = null;
  }
}
