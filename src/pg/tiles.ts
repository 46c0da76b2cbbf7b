/**
 * The tree side of the PostgreSQL store: loading the in-memory {@link HashTree} from the
 * level-0 tiles in the database, and computing the tile and bundle rows a batch of new entries
 * writes (the same bytes the POSIX store writes to files for the same entries in the same order).
 */
import { CustosError } from '../errors.js';
import type { HashTree } from '../log/hashtree.js';
import type { TileRow } from '../log/batch-tiles.js';
import { TILE_WIDTH, tileWidth } from '../log/tiles.js';
import { bytes, int, type Query } from './db.js';


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
