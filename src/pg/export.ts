/**
 * Reading the database's tiles as C2SP tlog-tiles resources: a {@link TileFetcher} (for the
 * HTTP read face and for verifiers) and an export to the POSIX layout, which any static web
 * server or object store can then mirror.
 */
import { join } from 'node:path';
import { utf8 } from '../bytes.js';
import { CustosError } from '../errors.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { verifyNote, type NoteVerifier } from '../log/note.js';
import type { TileFetcher } from '../log/tiledlog.js';
import { parseTilePath } from '../log/tilepath.js';
import { entriesPath, tilePath, tileWidth } from '../log/tiles.js';
import { fsyncDir, writeFileAtomic, writeFileAtomicNoDirSync } from '../node/logfs.js';
import { bytes, int, type Db } from './db.js';

/** The first `width` entries of a bundle, as bytes (walks the uint16 length prefixes). */
function bundlePrefix(b: Uint8Array, width: number): Uint8Array | null {
  let o = 0;
  for (let i = 0; i < width; i++) {
    if (o + 2 > b.length) return null;
    o += 2 + ((b[o]! << 8) | b[o + 1]!);
  }
  return o <= b.length ? b.subarray(0, o) : null;
}

/**
 * A fetcher over the log's tables. A partial tile of width W is served as the prefix of the
 * stored (possibly wider or full) tile: hashes never change once written, so a partial tile of
 * an earlier checkpoint stays servable (tlog-tiles "Partial Tiles").
 */
export function pgTileFetcher(db: Db, s: string): TileFetcher {
  return async (path: string) => {
    const res = parseTilePath(path);
    if (res === null) return null;
    if (res.kind === 'checkpoint') {
      const r = (await db.query(`SELECT note FROM ${s}.checkpoints ORDER BY size DESC LIMIT 1`)).rows[0];
      return typeof r?.note === 'string' ? utf8(r.note) : null;
    }
    if (res.kind === 'tile') {
      const r = (await db.query(`SELECT width, hashes FROM ${s}.tiles WHERE level = $1 AND idx = $2`, [res.level, res.index])).rows[0];
      if (r === undefined || int(r.width) < res.width) return null;
      return bytes(r.hashes).subarray(0, res.width * 32);
    }
    const r = (await db.query(`SELECT width, entries FROM ${s}.bundles WHERE idx = $1`, [res.index])).rows[0];
    if (r === undefined || int(r.width) < res.width) return null;
    return bundlePrefix(bytes(r.entries), res.width);
  };
}

/**
 * Writes every resource of the latest integrated tree (full tiles and bundles, the partial ones
 * of that size, then `checkpoint`) under `dir`, atomically, from one database snapshot.
 */
export async function exportTiles(db: Db, s: string, dir: string, verifier: NoteVerifier): Promise<{ size: number }> {
  const dirs = new Set<string>();
  const put = async (p: string, data: Uint8Array) => {
    for (const d of await writeFileAtomicNoDirSync(join(dir, p), data)) dirs.add(d);
  };
  const { size, note } = await db.tx(async (q) => {
    const size = int((await q(`SELECT size FROM ${s}.int_coord WHERE id = 0`)).rows[0]?.size);
    const note = (await q(`SELECT note FROM ${s}.checkpoints WHERE size = $1`, [size])).rows[0]?.note;
    if (typeof note !== 'string') throw new CustosError('ERR_LOG_CORRUPT', `no checkpoint for size ${size}`);
    const v = verifyNote(note, [verifier]);
    if (!v.ok || v.text === undefined || parseCheckpoint(v.text).size !== size) throw new CustosError('ERR_LOG_CORRUPT', 'the latest checkpoint does not verify');
    const write = async (kind: string, r: Record<string, unknown>, level: number) => {
      const idx = int(r.idx);
      const width = int(r.width);
      const w = tileWidth(Math.max(level, 0), idx, size);
      if (w !== width) throw new CustosError('ERR_LOG_CORRUPT', `${kind} ${level}/${idx} has width ${width}, expected ${w}`);
      await put(level < 0 ? entriesPath(idx, w) : tilePath(level, idx, w), bytes(r.data));
    };
    // Keyset pagination, 512 rows a query, inside the one snapshot.
    for (let level = -1, idx = -1; ; ) {
      const rows = (await q(`SELECT level, idx, width, hashes AS data FROM ${s}.tiles WHERE (level, idx) > ($1, $2) ORDER BY level, idx LIMIT 512`, [level, idx])).rows;
      if (rows.length === 0) break;
      for (const r of rows) await write('tile', r, Number(r.level));
      level = Number(rows[rows.length - 1]!.level);
      idx = int(rows[rows.length - 1]!.idx);
    }
    for (let idx = -1; ; ) {
      const rows = (await q(`SELECT idx, width, entries AS data FROM ${s}.bundles WHERE idx > $1 ORDER BY idx LIMIT 512`, [idx])).rows;
      if (rows.length === 0) break;
      for (const r of rows) await write('bundle', r, -1);
      idx = int(rows[rows.length - 1]!.idx);
    }
    return { size, note };
  }, 'REPEATABLE READ');
  await Promise.all([...dirs].map(fsyncDir));
  await writeFileAtomic(join(dir, 'checkpoint'), utf8(note));
  return { size };
}
