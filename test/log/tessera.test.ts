import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/bytes.js';
import { parseCheckpoint } from '../../src/log/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import { parseVerifierKey } from '../../src/log/notekeys.js';
import { tiledConsistencyProof, tiledEntry, tiledInclusionProof, tiledRoot, verifyTiledLog, type TileFetcher } from '../../src/log/tiledlog.js';
import { encodeTileIndex, tilePath, entriesPath } from '../../src/log/tiles.js';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { dirTileFetcher } from '../../src/node/logfs.js';

const DIR = new URL('../vectors/tessera-log/', import.meta.url).pathname;
const VKEY = readFileSync(DIR + 'VERIFIER_KEY.txt', 'utf8')
  .split('\n')
  .find((l) => l.startsWith('example.com/log/testdata+'))!;
const ENTRIES = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ');
const fetch = dirTileFetcher(DIR + 'log');

describe('tlog-tiles paths', () => {
  it('encodes tile indices in 3-digit groups', () => {
    expect(encodeTileIndex(0)).toBe('000');
    expect(encodeTileIndex(67)).toBe('067');
    expect(encodeTileIndex(1000)).toBe('x001/000');
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(tilePath(0, 1234067, 7)).toBe('tile/0/x001/x234/067.p/7');
    expect(entriesPath(5)).toBe('tile/entries/005');
  });
});

describe('tessera tiled log (interop)', () => {
  it('verifies the checkpoint, every tile and every entry', async () => {
    const r = await verifyTiledLog(fetch, [VKEY]);
    expect(r.ok).toBe(true);
    expect(r.checkpoint?.size).toBe(15);
    expect(r.entriesChecked).toBe(15);
    expect(r.checkpoint?.origin).toBe('example.com/log/testdata');
    expect(parseVerifierKey(VKEY).keyId.toString(16)).toBe('33d7b496');
  });

  it('every historical checkpoint verifies, its root matches the tiles, and every entry is included', async () => {
    const latest = parseCheckpoint(fromUtf8(readFileSync(DIR + 'log/checkpoint')).split('\n\n')[0] + '\n');
    for (let n = 0; n <= 15; n++) {
      const text = readFileSync(`${DIR}log/checkpoint.${n}`);
      const r = verifyCheckpoint(text, { log: [VKEY], origin: 'example.com/log/testdata' });
      expect(r.ok).toBe(true);
      const cp = r.checkpoint!;
      expect(cp.size).toBe(n);
      expect(await tiledRoot(fetch, n)).toEqual(cp.root);
      for (let i = 0; i < n; i++) {
        const p = await tiledInclusionProof(fetch, i, n);
        expect(verifyInclusion(leafHash(utf8(ENTRIES[i]!)), i, n, p, cp.root).ok).toBe(true);
        expect(await tiledEntry(fetch, i, n)).toEqual(utf8(ENTRIES[i]!));
      }
      if (n > 0) {
        const c = await tiledConsistencyProof(fetch, n, 15);
        expect(verifyConsistency(n, 15, cp.root, latest.root, c).ok).toBe(true);
      }
    }
  });

  it('detects a tampered entry, tile or checkpoint', async () => {
    const tamper =
      (path: string, f: (b: Uint8Array) => Uint8Array): TileFetcher =>
      async (p) => {
        const b = await fetch(p);
        return p === path && b !== null ? f(b.slice()) : b;
      };
    const flip = (b: Uint8Array) => ((b[b.length - 1]! ^= 1), b);
    const e = await verifyTiledLog(tamper('tile/entries/000.p/15', flip), [VKEY]);
    expect(e.ok).toBe(false);
    expect(e.code).toBe('ERR_TILE_INVALID');
    const t = await verifyTiledLog(tamper('tile/0/000.p/15', flip), [VKEY]);
    expect(t.code).toBe('ERR_TILE_INVALID');
    const c = await verifyTiledLog(tamper('checkpoint', (b) => utf8(fromUtf8(b).replace('\n15\n', '\n14\n'))), [VKEY]);
    expect(c.code).toBe('ERR_NOTE_SIGNATURE');
    const missing = await verifyTiledLog(async (p) => (p.startsWith('tile/0/') ? null : fetch(p)), [VKEY]);
    expect(missing.code).toBe('ERR_TILE_INVALID');
  });
});
