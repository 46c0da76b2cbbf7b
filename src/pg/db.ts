/**
 * A thin layer over the `pg` driver's pool: every query runs through {@link Db.query} or inside
 * {@link Db.tx}, and every driver error becomes a CustosError (ERR_DB) without the connection
 * string in its message. pg types stay inside this module, so the public API does not depend
 * on the driver's types.
 */
import pg from 'pg';
import { CustosError } from '../errors.js';

export type Query = (text: string, params?: readonly unknown[]) => Promise<{ rows: Record<string, unknown>[]; rowCount: number }>;

export interface Db {
  query: Query;
  /** Runs `f` in a transaction (READ COMMITTED unless `isolation` is given); rolls back on error. */
  tx<T>(f: (q: Query) => Promise<T>, isolation?: 'REPEATABLE READ'): Promise<T>;
  end(): Promise<void>;
}

function dbError(e: unknown): CustosError {
  if (e instanceof CustosError) return e;
  const code = (e as { code?: unknown }).code;
  return new CustosError('ERR_DB', `database operation failed${typeof code === 'string' ? ` (${code})` : ''}`, { cause: e });
}

/** bigint (returned as text by the driver) to a safe integer. */
export function int(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new CustosError('ERR_DB', 'the database returned a malformed integer');
  return n;
}

/** bytea (a Buffer from the driver) to a plain Uint8Array copy. */
export function bytes(v: unknown): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new CustosError('ERR_DB', 'the database returned a malformed byte string');
  return new Uint8Array(v);
}

export interface DbOptions {
  /** A libpq connection string, e.g. `postgres://custos@127.0.0.1:5432/evidence`. */
  readonly connectionString: string;
  /** Pool size (default 4). */
  readonly poolSize?: number;
  /** Connection timeout in ms (default 10,000). */
  readonly connectTimeoutMs?: number;
}

export function openDb(opts: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server (a restart) is reported here; the pool replaces it.
  pool.on('error', () => undefined);
  const wrap = (c: { query(t: string, p?: unknown[]): Promise<pg.QueryResult> }): Query => async (text, params) => {
    try {
      const r = await c.query(text, params as unknown[] | undefined);
      return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
    } catch (e) {
      throw dbError(e);
    }
  };
  return {
    query: wrap(pool),
    async tx(f, isolation) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw dbError(e);
      }
      let broken: unknown;
      const onError = (e: unknown) => (broken = e);
      client.on('error', onError);
      const q = wrap(client);
      try {
        await q(isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${isolation}`);
        const out = await f(q);
        await q('COMMIT');
        return out;
      } catch (e) {
        broken ??= e;
        await client.query('ROLLBACK').catch(() => undefined);
        throw dbError(e);
      } finally {
        client.off('error', onError);
        // A client that saw an error is destroyed rather than reused: its session state is unknown.
        client.release(broken === undefined ? undefined : true);
      }
    },
    async end() {
      await pool.end().catch(() => undefined);
    },
  };
}
