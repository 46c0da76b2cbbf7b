/**
 * C2SP tlog-tiles: resource paths, entry bundles, and a hash source over tiles.
 *
 * - `tile/<L>/<N>[.p/<W>]`: at level L, tile N holds up to 256 consecutive hashes of tree level
 *   8·L (level 0: leaf hashes); `.p/<W>` marks a partial tile of width W (1..255).
 * - `<N>` is written in 3-digit groups, all but the last prefixed with `x`: 1234067 → `x001/x234/067`.
 * - `tile/entries/<N>[.p/<W>]`: entry bundles, each entry prefixed by its big-endian uint16 length
 *   (so an entry is at most 65,535 bytes).
 */
import { assertBytes, assertInteger } from '../bytes.js';
import { fail } from '../errors.js';
import { HASH_SIZE, nodeHash, type HashSource } from './merkle.js';

/** Hashes per full tile (2^8). */
export const TILE_WIDTH = 256;
/** Tree levels per tile level. */
export const TILE_HEIGHT = 8;
/** Largest entry an entry bundle can hold. */
export const MAX_ENTRY_BYTES = 0xffff;

/** `x001/x234/067` encoding of a tile index. */
export function encodeTileIndex(n: number): string {
  assertInteger('n', n);
  let s = String(n % 1000).padStart(3, '0');
  let rest = Math.floor(n / 1000);
  while (rest > 0) {
    s = `x${String(rest % 1000).padStart(3, '0')}/${s}`;
    rest = Math.floor(rest / 1000);
  }
  return s;
}

function suffix(width: number): string {
  assertInteger('width', width, 1, TILE_WIDTH);
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/** Path of a hash tile (width 256 = full tile). */
export function tilePath(level: number, index: number, width: number = TILE_WIDTH): string {
  assertInteger('level', level, 0, 63);
  return `tile/${level}/${encodeTileIndex(index)}${suffix(width)}`;
}

/** Path of an entry bundle (width 256 = full bundle). */
export function entriesPath(index: number, width: number = TILE_WIDTH): string {
  return `tile/entries/${encodeTileIndex(index)}${suffix(width)}`;
}

/**
 * The width of tile `index` at tile level `level` in a tree of `size` leaves: 256 for full
 * tiles, 1..255 for the partial rightmost tile, 0 when the tile does not exist.
 */
export function tileWidth(level: number, index: number, size: number): number {
  const hashes = Math.floor(size / TILE_WIDTH ** level); // complete hashes at tree level 8·level
  const full = Math.floor(hashes / TILE_WIDTH);
  if (index < full) return TILE_WIDTH;
  if (index === full) return hashes % TILE_WIDTH;
  return 0;
}

/** Encodes entries as a bundle of uint16 length-prefixed entries. */
export function encodeBundle(entries: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const e of entries) {
    assertBytes('entry', e);
    if (e.length > MAX_ENTRY_BYTES) fail('ERR_LIMIT', `entry of ${e.length} bytes exceeds ${MAX_ENTRY_BYTES}`);
    n += 2 + e.length;
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const e of entries) {
    out[o] = e.length >> 8;
    out[o + 1] = e.length & 0xff;
    out.set(e, o + 2);
    o += 2 + e.length;
  }
  return out;
}

/** Decodes a bundle; with `count`, exactly that many entries must be present. */
export function decodeBundle(bytes: Uint8Array, count?: number): Uint8Array[] {
  const b = assertBytes('bytes', bytes);
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < b.length) {
    if (o + 2 > b.length) fail('ERR_TILE_INVALID', 'entry bundle ends inside a length prefix');
    const len = (b[o]! << 8) | b[o + 1]!;
    if (o + 2 + len > b.length) fail('ERR_TILE_INVALID', 'entry bundle ends inside an entry');
    out.push(b.slice(o + 2, o + 2 + len));
    o += 2 + len;
    if (out.length > TILE_WIDTH) fail('ERR_TILE_INVALID', 'entry bundle holds more than 256 entries');
  }
  if (count !== undefined && out.length !== count) fail('ERR_TILE_INVALID', `entry bundle holds ${out.length} entries, expected ${count}`);
  return out;
}

/** Splits tile bytes into hashes, checking the expected width. */
export function tileHashes(bytes: Uint8Array, width: number): Uint8Array[] {
  if (bytes.length !== width * HASH_SIZE) fail('ERR_TILE_INVALID', `tile is ${bytes.length} bytes, expected ${width * HASH_SIZE}`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < width; i++) out.push(bytes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return out;
}

/** MTH of a full (256-hash) tile: the hash one tile level up. */
export function fullTileRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length !== TILE_WIDTH) fail('ERR_INTERNAL', 'full tile must have 256 hashes');
  let level = hashes.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    level = next;
  }
  return level[0]!;
}

/**
 * Reads the tiles of a tree synchronously from a cache; see {@link TileCache}.
 * A hash (level l, index i) is read from tile level ⌊l/8⌋ and rebuilt over the 2^(l mod 8)
 * stored hashes below it.
 */
export class TileCache {
  readonly #tiles = new Map<string, Uint8Array[]>();
  readonly size: number;
  constructor(size: number) {
    this.size = assertInteger('size', size);
  }

  /** The (level, index, width) of every tile needed to compute hashes for this tree. */
  static tileFor(level: number, index: number, size: number): { tileLevel: number; tileIndex: number; width: number } {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const r = level % TILE_HEIGHT;
    const first = index * 2 ** r; // first stored hash (tree level 8·tileLevel) under this node
    const tileIndex = Math.floor(first / TILE_WIDTH);
    return { tileLevel, tileIndex, width: tileWidth(tileLevel, tileIndex, size) };
  }

  put(tileLevel: number, tileIndex: number, hashes: Uint8Array[]): void {
    this.#tiles.set(`${tileLevel}/${tileIndex}`, hashes);
  }

  get(tileLevel: number, tileIndex: number): Uint8Array[] | undefined {
    return this.#tiles.get(`${tileLevel}/${tileIndex}`);
  }

  has(tileLevel: number, tileIndex: number): boolean {
    return this.#tiles.has(`${tileLevel}/${tileIndex}`);
  }

  readonly hash: HashSource = (level, index) => {
    const { tileLevel, tileIndex } = TileCache.tileFor(level, index, this.size);
    const tile = this.#tiles.get(`${tileLevel}/${tileIndex}`);
    if (tile === undefined) fail('ERR_INTERNAL', `tile ${tileLevel}/${tileIndex} not loaded`);
    const r = level % TILE_HEIGHT;
    const start = index * 2 ** r - tileIndex * TILE_WIDTH;
    const count = 2 ** r;
    if (start + count > tile.length) fail('ERR_TILE_INVALID', 'tile is too narrow for a subtree the tree size requires');
    let row = tile.slice(start, start + count);
    while (row.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i]!, row[i + 1]!));
      row = next;
    }
    return row[0]!;
  };
}
