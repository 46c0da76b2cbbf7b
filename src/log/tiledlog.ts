/**
 * A client for C2SP tlog-tiles logs, over any fetcher (a directory, an HTTP prefix, an object
 * store): full audit ({@link verifyTiledLog}: checkpoint signature, every tile hashing up to
 * the root, every entry hashing to its leaf) and proof building from tiles.
 */
import { equalBytes as equalRoot, fromUtf8 } from '../bytes.js';
import { CustosError, fail, type ErrorCode } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { consistencyProof, inclusionProof, leafHash, treeRoot } from './merkle.js';
import { Checks, type LogReport } from './report.js';
import { TILE_WIDTH, TileCache, decodeBundle, entriesPath, fullTileRoot, tileHashes, tilePath, tileWidth } from './tiles.js';
import { verifyCheckpoint, type VerifierInput, type WitnessPolicy } from './witness.js';

/** Returns the bytes at a path relative to the log prefix, or null when absent. */
export type TileFetcher = (path: string) => Promise<Uint8Array | null>;

/** Fetches a tile of the given width; a missing partial tile falls back to the full tile's prefix. */
export async function fetchTile(fetch: TileFetcher, level: number, index: number, width: number): Promise<Uint8Array[]> {
  let bytes = await fetch(tilePath(level, index, width));
  if (bytes === null && width < TILE_WIDTH) {
    const full = await fetch(tilePath(level, index));
    if (full !== null) bytes = full.subarray(0, width * 32);
  }
  if (bytes === null) fail('ERR_TILE_INVALID', `tile ${tilePath(level, index, width)} is missing`);
  return tileHashes(bytes, width);
}

/** Fetches an entry bundle of the given width (same fallback as {@link fetchTile}). */
export async function fetchBundle(fetch: TileFetcher, index: number, width: number): Promise<Uint8Array[]> {
  let bytes = await fetch(entriesPath(index, width));
  if (bytes === null && width < TILE_WIDTH) {
    const full = await fetch(entriesPath(index));
    if (full !== null) return decodeBundle(full).slice(0, width);
  }
  if (bytes === null) fail('ERR_TILE_INVALID', `entry bundle ${entriesPath(index, width)} is missing`);
  return decodeBundle(bytes, width);
}

/** Loads into a cache every tile the given hash requests need, for a tree of `size`. */
async function loadFor(fetch: TileFetcher, size: number, record: (src: (l: number, i: number) => Uint8Array) => void): Promise<TileCache> {
  const needed = new Map<string, { l: number; i: number; w: number }>();
  const zero = new Uint8Array(32);
  record((level, index) => {
    const t = TileCache.tileFor(level, index, size);
    needed.set(`${t.tileLevel}/${t.tileIndex}`, { l: t.tileLevel, i: t.tileIndex, w: t.width });
    return zero;
  });
  const cache = new TileCache(size);
  await Promise.all(
    [...needed.values()].map(async ({ l, i, w }) => {
      if (w === 0) fail('ERR_TILE_INVALID', 'a needed tile does not exist at this tree size');
      cache.put(l, i, await fetchTile(fetch, l, i, w));
    }),
  );
  return cache;
}

/** The root hash of the tree of `size` leaves, computed from tiles. */
export async function tiledRoot(fetch: TileFetcher, size: number): Promise<Uint8Array> {
  const cache = await loadFor(fetch, size, (src) => treeRoot(src, size));
  return treeRoot(cache.hash, size);
}

/** An inclusion proof for `index` in the tree of `size`, built from tiles. */
export async function tiledInclusionProof(fetch: TileFetcher, index: number, size: number): Promise<Uint8Array[]> {
  const cache = await loadFor(fetch, size, (src) => inclusionProof(src, index, size));
  return inclusionProof(cache.hash, index, size);
}

/** A consistency proof from `oldSize` to `newSize`, built from the tiles of the larger tree. */
export async function tiledConsistencyProof(fetch: TileFetcher, oldSize: number, newSize: number): Promise<Uint8Array[]> {
  const cache = await loadFor(fetch, newSize, (src) => consistencyProof(src, oldSize, newSize));
  return consistencyProof(cache.hash, oldSize, newSize);
}

/** Reads entry `index` of a tree of `size` and checks it against its level-0 tile hash. */
export async function tiledEntry(fetch: TileFetcher, index: number, size: number): Promise<Uint8Array> {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) fail('ERR_INVALID_ARGUMENT', '"index" must be below the tree size');
  const t = Math.floor(index / TILE_WIDTH);
  const w = tileWidth(0, t, size);
  const [bundle, hashes] = await Promise.all([fetchBundle(fetch, t, w), fetchTile(fetch, 0, t, w)]);
  const e = bundle[index % TILE_WIDTH]!;
  if (!equalRoot(leafHash(e), hashes[index % TILE_WIDTH]!)) fail('ERR_TILE_INVALID', 'entry does not hash to its leaf');
  return e;
}

export interface TiledLogReport extends LogReport {
  readonly checkpoint?: Checkpoint;
  /** The checkpoint note text as fetched. */
  readonly checkpointText?: string;
  /** Entries checked against their leaf hashes. */
  readonly entriesChecked: number;
}

/**
 * Audits a whole tiled log: the `checkpoint` verifies under `keys`, every tile at every level
 * is consistent with the level below, the tiles hash to the checkpoint root, and (unless
 * `entries: false`) every entry in every bundle hashes to its leaf.
 *
 * @example
 * ```ts
 * const r = await verifyTiledLog(dirTileFetcher('log/'), ['example.com/log+33d7b496+AeHT…']);
 * ```
 */
export async function verifyTiledLog(
  fetch: TileFetcher,
  keys: readonly VerifierInput[] | WitnessPolicy,
  opts: { readonly entries?: boolean; readonly checkpointPath?: string } = {},
): Promise<TiledLogReport> {
  const checks = new Checks();
  const raw = await fetch(opts.checkpointPath ?? 'checkpoint');
  if (raw === null) {
    checks.failed('checkpoint.present', 'ERR_TILE_INVALID', 'no checkpoint');
    return { ...checks.report(), entriesChecked: 0 };
  }
  const cpr = verifyCheckpoint(raw, keys);
  checks.list.push(...cpr.checks);
  if (!cpr.ok || cpr.checkpoint === undefined) return { ...checks.report(), entriesChecked: 0 };
  const cp = cpr.checkpoint;
  const size = cp.size;
  let entriesChecked = 0;
  try {
    const cache = new TileCache(size);
    for (let level = 0; size >= TILE_WIDTH ** level; level++) {
      const hashesAtLevel = Math.floor(size / TILE_WIDTH ** level);
      if (hashesAtLevel === 0) break;
      const tiles = Math.ceil(hashesAtLevel / TILE_WIDTH);
      for (let t = 0; t < tiles; t++) {
        const w = tileWidth(level, t, size);
        const hs = await fetchTile(fetch, level, t, w);
        cache.put(level, t, hs);
        if (level > 0) {
          // Each hash of a level-L tile is the MTH of a full tile one level down.
          for (let j = 0; j < w; j++) {
            const below = cache.get(level - 1, t * TILE_WIDTH + j);
            if (below === undefined || below.length !== TILE_WIDTH) fail('ERR_TILE_INVALID', 'a full tile below is missing');
            if (!equalRoot(fullTileRoot(below), hs[j]!)) fail('ERR_TILE_INVALID', `tile ${tilePath(level, t, w)} hash ${j} does not match the tile below`);
          }
        }
      }
      if (hashesAtLevel < TILE_WIDTH) break;
    }
    checks.pass('tiles.consistent');
    const root = treeRoot(cache.hash, size);
    if (equalRoot(root, cp.root)) checks.pass('tiles.root');
    else checks.failed('tiles.root', 'ERR_TILE_INVALID', 'tiles do not hash to the checkpoint root');
    if (opts.entries ?? true) {
      for (let t = 0; t * TILE_WIDTH < size; t++) {
        const w = tileWidth(0, t, size);
        const bundle = await fetchBundle(fetch, t, w);
        const hs = cache.hash;
        for (let j = 0; j < w; j++) {
          if (!equalRoot(leafHash(bundle[j]!), hs(0, t * TILE_WIDTH + j))) fail('ERR_TILE_INVALID', `entry ${t * TILE_WIDTH + j} does not hash to its leaf`);
          entriesChecked++;
        }
      }
      checks.pass('entries', `${entriesChecked} entries`);
    }
  } catch (e) {
    if (!(e instanceof CustosError)) throw e;
    checks.failed('tiles', e.code as ErrorCode, e.message);
  }
  const r = checks.report();
  const text = fromUtf8(raw);
  return r.ok ? { ...r, checkpoint: cp, checkpointText: text, entriesChecked } : { ...r, checkpointText: text, entriesChecked };
}
