/**
 * An append-only in-memory index of every perfect subtree hash of an RFC 9162 tree: level l
 * holds floor(size / 2^l) hashes in one flat growable buffer (about 64 bytes per leaf in all).
 * It is a {@link HashSource}, so it yields roots and proofs for the current size and for every
 * earlier size (perfect subtree hashes never change once complete).
 */
import { assertBytes, assertInteger } from '../bytes.js';
import { fail } from '../errors.js';
import { HASH_SIZE, consistencyProof, inclusionProof, nodeHash, treeRoot, type HashSource, type RangeCache } from './merkle.js';

class Level {
  buf = new Uint8Array(HASH_SIZE * 64);
  count = 0;
  push(h: Uint8Array): void {
    if ((this.count + 1) * HASH_SIZE > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf.set(h, this.count * HASH_SIZE);
    this.count++;
  }
  /** Grows the buffer to hold `count` hashes at once (one copy instead of a doubling series). */
  reserve(count: number): void {
    if (count * HASH_SIZE <= this.buf.length) return;
    const next = new Uint8Array(count * HASH_SIZE);
    next.set(this.buf.subarray(0, this.count * HASH_SIZE));
    this.buf = next;
  }
  get(i: number): Uint8Array {
    return this.buf.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

/**
 * The in-memory Merkle index.
 *
 * @example
 * ```ts
 * const t = new HashTree();
 * t.appendLeafHash(leafHash(entry));
 * const root = t.root();
 * ```
 */
export class HashTree {
  readonly #levels: Level[] = [new Level()];
  // Right-edge (non-perfect) range hashes, so a proof costs lookups instead of re-hashing the
  // edge. Entries never go stale (perfect subtrees never change); the map is only bounded.
  readonly #edge: RangeCache = new Map();

  /** Number of leaves. */
  get size(): number {
    return this.#levels[0]!.count;
  }

  /**
   * Makes room for `leaves` leaves (and every level above them) in one allocation per level,
   * plus an eighth for growth: reloading a large tree then leaves no trail of outgrown buffers
   * behind (a doubling series freed ~64 bytes per leaf that the allocator kept resident). Room
   * not yet written is not resident: a fresh zeroed buffer is mapped lazily.
   */
  reserve(leaves: number): void {
    assertInteger('leaves', leaves, 0, 2 ** 40);
    for (let level = 0, n = leaves + Math.floor(leaves / 8); n > 0; level++, n = Math.floor(n / 2)) {
      (this.#levels[level] ??= new Level()).reserve(n);
    }
  }

  /** Appends a leaf hash (SHA-256(0x00 ‖ entry)) and completes every parent it closes. */
  appendLeafHash(h: Uint8Array): number {
    assertBytes('h', h, HASH_SIZE);
    const index = this.size;
    let level = 0;
    let cur = h;
    for (;;) {
      const lv = this.#levels[level] ?? (this.#levels[level] = new Level());
      lv.push(cur);
      if (lv.count % 2 === 1) break;
      cur = nodeHash(lv.get(lv.count - 2), lv.get(lv.count - 1));
      level++;
    }
    return index;
  }

  /** The hash of the perfect subtree (level, index); it must be complete. */
  readonly hash: HashSource = (level, index) => {
    const lv = this.#levels[level];
    if (lv === undefined || index >= lv.count) fail('ERR_INTERNAL', `subtree (${level}, ${index}) is not complete`);
    return lv.get(index).slice();
  };

  /** The leaf hash at `index`. */
  leafHashAt(index: number): Uint8Array {
    assertInteger('index', index, 0, this.size - 1);
    return this.hash(0, index);
  }

  /** The root at `size` (default: the current size). */
  root(size = this.size): Uint8Array {
    assertInteger('size', size, 0, this.size);
    return treeRoot(this.hash, size, this.#cache());
  }

  inclusionProof(index: number, size = this.size): Uint8Array[] {
    assertInteger('size', size, 1, this.size);
    return inclusionProof(this.hash, index, size, this.#cache());
  }

  consistencyProof(oldSize: number, newSize = this.size): Uint8Array[] {
    assertInteger('newSize', newSize, 1, this.size);
    return consistencyProof(this.hash, oldSize, newSize, this.#cache());
  }

  #cache(): RangeCache {
    if (this.#edge.size > 4096) this.#edge.clear();
    return this.#edge;
  }
}
