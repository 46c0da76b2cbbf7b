/**
 * Sequencing (Tessera's `SeqCoord` design): one transaction locks the coordination row
 * `FOR UPDATE`, gives the batch the next indices, stores it in `seq` and advances the row.
 * The indices are durable at COMMIT; because the lock is held until then, batches commit in
 * index order and `seq` always holds a consecutive run above the integrated size.
 *
 * With the identity index, each entry's identity (SHA-256 of the entry) is looked up under the
 * same lock: a known identity gets its existing index and is not stored again, and a repeat
 * inside the batch gets the index of its first occurrence. That makes a retry after an
 * ambiguous COMMIT (connection lost while committing) safe: it returns the same index.
 */
import * as crypto from '#crypto';
import { toHex } from '../bytes.js';
import { CustosError } from '../errors.js';
import { encodeBundle } from '../log/tiles.js';
import { int, type Db } from './db.js';

export interface Sequenced {
  readonly index: number;
  /** True when an identical entry was already in the log (identity index only). */
  readonly duplicate: boolean;
}

const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);

/** Sequences `entries` in one transaction; returns each entry's index in order. */
export async function sequenceBatch(db: Db, s: string, entries: readonly Uint8Array[], dedupe: boolean): Promise<Sequenced[]> {
  return db.tx(async (q) => {
    const next = int((await q(`SELECT next FROM ${s}.seq_coord WHERE id = 0 FOR UPDATE`)).rows[0]?.next);
    const out: Sequenced[] = new Array(entries.length);
    const fresh: Uint8Array[] = [];
    const freshIds: Uint8Array[] = [];
    if (dedupe) {
      const ids = entries.map((e) => crypto.sha256(e));
      const known = new Map<string, number>();
      const rows = (await q(`SELECT hash, idx FROM ${s}.identity WHERE hash = ANY($1::bytea[])`, [ids.map(buf)])).rows;
      for (const r of rows) known.set(toHex(r.hash as Uint8Array), int(r.idx));
      const inBatch = new Map<string, number>();
      entries.forEach((e, i) => {
        const h = toHex(ids[i]!);
        const k = known.get(h);
        if (k !== undefined) out[i] = { index: k, duplicate: true };
        else {
          const prev = inBatch.get(h);
          if (prev !== undefined) out[i] = { index: prev, duplicate: true };
          else {
            const index = next + fresh.length;
            inBatch.set(h, index);
            fresh.push(e);
            freshIds.push(ids[i]!);
            out[i] = { index, duplicate: false };
          }
        }
      });
    } else {
      entries.forEach((e, i) => {
        fresh.push(e);
        out[i] = { index: next + i, duplicate: false };
      });
    }
    if (fresh.length > 0) {
      await q(`INSERT INTO ${s}.seq (first, count, entries) VALUES ($1, $2, $3)`, [next, fresh.length, buf(encodeBundle(fresh))]);
      if (dedupe) {
        await q(`INSERT INTO ${s}.identity (hash, idx) SELECT * FROM unnest($1::bytea[], $2::bigint[])`, [freshIds.map(buf), freshIds.map((_, k) => next + k)]);
      }
      await q(`UPDATE ${s}.seq_coord SET next = $1 WHERE id = 0`, [next + fresh.length]);
    }
    return out;
  });
}

/** Decodes a sequenced batch (uint16 length-prefixed entries, `count` of them, any number). */
export function decodeBatch(b: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < b.length && out.length < count) {
    if (o + 2 > b.length) break;
    const len = (b[o]! << 8) | b[o + 1]!;
    if (o + 2 + len > b.length) break;
    out.push(b.slice(o + 2, o + 2 + len));
    o += 2 + len;
  }
  if (out.length !== count || o !== b.length) throw new CustosError('ERR_LOG_CORRUPT', `a sequenced batch does not hold its ${count} entries`);
  return out;
}

