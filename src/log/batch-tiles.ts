/**
 * The tiles a batch of appends writes (C2SP tlog-tiles): for a tree grown from `a` to `tree.size`
 * leaves, the entry bundles and hash tiles at every level that gained a hash, each at its
 * current width (partial tiles are rewritten wider as the tree grows, full ones are final).
 * Both log stores write exactly these rows: the POSIX store as files, the PostgreSQL store as
 * table rows, so the two serve the same bytes for the same entries in the same order.
 */
import type { HashTree } from './hashtree.js';
import { TILE_WIDTH, encodeBundle, tileWidth } from './tiles.js';

/** One entry bundle (`level` -1) or hash tile, at the width the batch leaves it. */
export interface TileRow {
  readonly level: number;
  readonly idx: number;
  readonly width: number;
  readonly data: Uint8Array;
  /** A tile that was partial before this batch and is full now (its partial files can go). */
  readonly completes: boolean;
}

/**
 * The bundle and tile rows for the batch that grew `tree` from `a` to `tree.size` leaves.
 * `tail` holds the entries of the partial bundle at `a` (a mod 256 of them); returns the new tail.
 */
export function batchRows(tree: HashTree, a: number, tail: readonly Uint8Array[], entries: readonly Uint8Array[]): { bundles: TileRow[]; tiles: TileRow[]; tail: Uint8Array[] } {
  const b = tree.size;
  const bundles: TileRow[] = [];
  const tiles: TileRow[] = [];
  const all = [...tail, ...entries];
  const firstT = Math.floor(a / TILE_WIDTH);
  for (let t = firstT; t * TILE_WIDTH < b; t++) {
    const w = tileWidth(0, t, b);
    const off = (t - firstT) * TILE_WIDTH;
    const completes = w === TILE_WIDTH && t === firstT && a % TILE_WIDTH !== 0;
    bundles.push({ level: -1, idx: t, width: w, data: encodeBundle(all.slice(off, off + w)), completes });
  }
  const newTail = all.slice((Math.floor(b / TILE_WIDTH) - firstT) * TILE_WIDTH);
  for (let level = 0; ; level++) {
    const ha = Math.floor(a / TILE_WIDTH ** level);
    const hb = Math.floor(b / TILE_WIDTH ** level);
    if (hb === ha) break;
    const firstTile = Math.floor(ha / TILE_WIDTH);
    for (let t = firstTile; t * TILE_WIDTH < hb; t++) {
      const w = tileWidth(level, t, b);
      const buf = new Uint8Array(w * 32);
      for (let j = 0; j < w; j++) buf.set(tree.hash(level * 8, t * TILE_WIDTH + j), j * 32);
      tiles.push({ level, idx: t, width: w, data: buf, completes: w === TILE_WIDTH && t === firstTile && ha % TILE_WIDTH !== 0 });
    }
  }
  return { bundles, tiles, tail: newTail };
}
