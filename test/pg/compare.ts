// Shared by the PostgreSQL tests: the tlog-tiles resources a tree of `size` requires (full tiles
// and bundles, the partial ones of that size), and a byte comparison of two directories on them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TILE_WIDTH, entriesPath, tilePath, tileWidth } from '../../src/log/tiles.js';

export function requiredPaths(size: number): string[] {
  const out: string[] = [];
  for (let t = 0; t * TILE_WIDTH < size; t++) out.push(entriesPath(t, tileWidth(0, t, size)));
  for (let level = 0; Math.floor(size / TILE_WIDTH ** level) > 0; level++) {
    const hashes = Math.floor(size / TILE_WIDTH ** level);
    for (let t = 0; t * TILE_WIDTH < hashes; t++) out.push(tilePath(level, t, tileWidth(level, t, size)));
  }
  return out;
}

/** Paths whose bytes differ or that are missing on either side ([] when identical). */
export function diffTiles(a: string, b: string, size: number): string[] {
  const bad: string[] = [];
  for (const p of requiredPaths(size)) {
    const pa = join(a, p);
    const pb = join(b, p);
    if (!existsSync(pa) || !existsSync(pb) || !readFileSync(pa).equals(readFileSync(pb))) bad.push(p);
  }
  return bad;
}
