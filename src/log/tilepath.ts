/**
 * Parses C2SP tlog-tiles resource paths, the inverse of `tilePath` / `entriesPath`, strictly:
 * `<L>` is 0..63 without leading zeros, each `<N>` element is three digits (all but the last
 * prefixed with `x`, the first non-zero unless it is the only one), `<W>` is 1..255 without
 * leading zeros. Anything else is not a tile path (null), so a server answers it with 404.
 */
import { TILE_WIDTH } from './tiles.js';

export type TileResource =
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'tile'; readonly level: number; readonly index: number; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

const LEVEL = /^(0|[1-9][0-9]?)$/;
const WIDTH = /^([1-9][0-9]{0,2})$/;

function parseIndex(parts: readonly string[]): number | null {
  if (parts.length === 0 || parts.length > 6) return null;
  let n = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const last = i === parts.length - 1;
    const m = last ? /^([0-9]{3})$/.exec(p) : /^x([0-9]{3})$/.exec(p);
    if (m === null) return null;
    // A leading group of 000 would give a second name for the same tile.
    if (i === 0 && !last && m[1] === '000') return null;
    n = n * 1000 + Number(m[1]);
  }
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The resource a path names (relative, no leading slash), or null.
 *
 * @example
 * ```ts
 * parseTilePath('tile/0/x001/234.p/7'); // { kind: 'tile', level: 0, index: 1234, width: 7 }
 * ```
 */
export function parseTilePath(path: string): TileResource | null {
  if (path === 'checkpoint') return { kind: 'checkpoint' };
  if (typeof path !== 'string' || path.length > 128) return null;
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) return null;
  let width = TILE_WIDTH;
  const pIdx = parts.findIndex((p) => p.endsWith('.p'));
  let idxParts: string[];
  if (pIdx >= 0) {
    if (pIdx !== parts.length - 2) return null;
    const w = parts[parts.length - 1]!;
    if (!WIDTH.test(w) || Number(w) >= TILE_WIDTH) return null;
    width = Number(w);
    idxParts = [...parts.slice(2, pIdx), parts[pIdx]!.slice(0, -2)];
  } else {
    idxParts = parts.slice(2);
  }
  const index = parseIndex(idxParts);
  if (index === null) return null;
  if (parts[1] === 'entries') return { kind: 'entries', index, width };
  if (!LEVEL.test(parts[1]!) || Number(parts[1]) > 63) return null;
  return { kind: 'tile', level: Number(parts[1]), index, width };
}
