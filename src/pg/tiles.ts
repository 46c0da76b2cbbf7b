/**
 * The tree side of the PostgreSQL store: loading the in-memory {@link HashTree} from the
 * level-0 tiles in the database, and computing the tile and bundle rows a batch of new entries
 * writes (the same bytes the POSIX store writes to files for the same entries in the same order).
 */
import { CustosError } from '../errors.js';
import type { HashTree } from '../log/hashtree.js';
import { TILE_WIDTH, encodeBundle, tileWidth } from '../log/tiles.js';
import { bytes, int, type Query } from './db.js';

export interface TileRow {
  readonly level: number;
  readonly idx: number;
  readonly width: number;
  readonly data: Uint8Array;
}

/**
 * Appends to `tree` the leaf hashes from `tree.size` up to `size`, read from level-0 tiles. A
 * stored tile may be wider than needed (a later integration): only its prefix is used.
 */
export async function extendTree(q: Query, s: string, tree: HashTree, size: number): Promise<void> {
  while (tree.size < size) {
    const t0 = Math.floor(tree.size / TILE_WIDTH);
    const t1 = Math.min(Math.floor((size - 1) / TILE_WIDTH), t0 + 511);
    const rows = (await q(`SELECT idx, width, hashes FROM ${s}.tiles WHERE level = 0 AND idx BETWEEN $1 AND $2 ORDER BY idx`, [t0, t1])).rows;
    if (rows.length !== t1 - t0 + 1) throw new CustosError('ERR_LOG_CORRUPT', `level-0 tiles ${t0}..${t1} are missing`);
    for (const r of rows) {
      const idx = int(r.idx);
      const width = int(r.width);
      const hashes = bytes(r.hashes);
      const need = tileWidth(0, idx, size);
      if (width < need || hashes.length !== width * 32) throw new CustosError('ERR_LOG_CORRUPT', `level-0 tile ${idx} is too narrow`);
      for (let j = tree.size - idx * TILE_WIDTH; j < need; j++) tree.appendLeafHash(hashes.subarray(j * 32, (j + 1) * 32));
    }
  }
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
    bundles.push({ level: -1, idx: t, width: w, data: encodeBundle(all.slice(off, off + w)) });
  }
  const newTail = all.slice((Math.floor(b / TILE_WIDTH) - firstT) * TILE_WIDTH);
  for (let level = 0; ; level++) {
    const ha = Math.floor(a / TILE_WIDTH ** level);
    const hb = Math.floor(b / TILE_WIDTH ** level);
    if (hb === ha) break;
    for (let t = Math.floor(ha / TILE_WIDTH); t * TILE_WIDTH < hb; t++) {
      const w = tileWidth(level, t, b);
      const buf = new Uint8Array(w * 32);
      for (let j = 0; j < w; j++) buf.set(tree.hash(level * 8, t * TILE_WIDTH + j), j * 32);
      tiles.push({ level, idx: t, width: w, data: buf });
    }
  }
  return { bundles, tiles, tail: newTail };
}

/** Upserts rows; a stored row is only ever replaced by a wider one (idempotent re-writes). */
export async function writeRows(q: Query, s: string, bundles: readonly TileRow[], tiles: readonly TileRow[]): Promise<void> {
  if (bundles.length > 0) {
    await q(
      `INSERT INTO ${s}.bundles (idx, width, entries) SELECT * FROM unnest($1::bigint[], $2::int[], $3::bytea[])
       ON CONFLICT (idx) DO UPDATE SET width = EXCLUDED.width, entries = EXCLUDED.entries WHERE ${s}.bundles.width <= EXCLUDED.width`,
      [bundles.map((r) => r.idx), bundles.map((r) => r.width), bundles.map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length))],
    );
  }
  if (tiles.length > 0) {
    await q(
      `INSERT INTO ${s}.tiles (level, idx, width, hashes) SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::bytea[])
       ON CONFLICT (level, idx) DO UPDATE SET width = EXCLUDED.width, hashes = EXCLUDED.hashes WHERE ${s}.tiles.width <= EXCLUDED.width`,
      [tiles.map((r) => r.level), tiles.map((r) => r.idx), tiles.map((r) => r.width), tiles.map((r) => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length))],
    );
  }
}
