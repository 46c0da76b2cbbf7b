/**
 * The PostgreSQL schema of a log, created and migrated by the store itself. One log lives in
 * one PostgreSQL schema (default `custos_log`); `meta.schema_version` records the version, and
 * a store refuses a database whose version is newer than it knows (ERR_UNSUPPORTED).
 *
 * The tables follow Tessera's database-sequenced design:
 * - `seq_coord` (one row): the next free index. A writer locks it `FOR UPDATE`, inserts its
 *   batch into `seq` and advances it in one transaction, so indices are durable at COMMIT and
 *   batches commit in index order (the lock is held to the end of the transaction).
 * - `seq`: sequenced batches not yet integrated (first index, count, entries as a bundle).
 * - `identity`: the optional unique identity index (SHA-256 of the entry -> its index).
 * - `int_coord` (one row): the integrated size and root. The integrator locks it `FOR UPDATE`,
 *   integrates consecutive batches into `tiles` and `bundles` (upserts that only ever widen a
 *   tile: idempotent), signs a checkpoint into `checkpoints` and deletes the integrated batches.
 * - `published` (one row): the latest checkpoint with the witness quorum, when witnesses are used.
 */
import { CustosError, fail } from '../errors.js';
import type { Db } from './db.js';

/** The schema version this code writes. */
export const SCHEMA_VERSION = 1;

/** A PostgreSQL identifier we accept for the schema name (no quoting needed). */
export function checkSchemaName(name: string): string {
  if (typeof name !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(name)) fail('ERR_INVALID_ARGUMENT', '"schema" must match [a-z_][a-z0-9_]{0,62}');
  return name;
}

/** Migrations: index i brings the schema from version i to i + 1. */
function migrations(s: string): string[] {
  return [
    `CREATE TABLE ${s}.seq_coord (id int PRIMARY KEY CHECK (id = 0), next bigint NOT NULL);
     INSERT INTO ${s}.seq_coord VALUES (0, 0);
     CREATE TABLE ${s}.seq (first bigint PRIMARY KEY, count int NOT NULL CHECK (count > 0), entries bytea NOT NULL);
     CREATE TABLE ${s}.identity (hash bytea PRIMARY KEY, idx bigint NOT NULL);
     CREATE TABLE ${s}.int_coord (id int PRIMARY KEY CHECK (id = 0), size bigint NOT NULL, root bytea NOT NULL);
     CREATE TABLE ${s}.tiles (level int NOT NULL, idx bigint NOT NULL, width int NOT NULL, hashes bytea NOT NULL, PRIMARY KEY (level, idx));
     CREATE TABLE ${s}.bundles (idx bigint PRIMARY KEY, width int NOT NULL, entries bytea NOT NULL);
     CREATE TABLE ${s}.checkpoints (size bigint PRIMARY KEY, note text NOT NULL);
     CREATE TABLE ${s}.published (id int PRIMARY KEY CHECK (id = 0), size bigint NOT NULL, note text NOT NULL);`,
  ];
}

/**
 * Creates or migrates the schema, and records (or checks) the log's origin and key. Runs under
 * a transaction-scoped advisory lock so that concurrent openers migrate once.
 */
export async function migrate(db: Db, schema: string, origin: string, vkey: string): Promise<void> {
  const s = checkSchemaName(schema);
  await db.tx(async (q) => {
    await q(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`custos:${s}`]);
    await q(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await q(`CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL)`);
    const rows = (await q(`SELECT key, value FROM ${s}.meta`)).rows as { key: string; value: string }[];
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    const version = Number(meta.get('schema_version') ?? '0');
    if (!Number.isSafeInteger(version) || version < 0) throw new CustosError('ERR_DB', 'meta.schema_version is malformed');
    if (version > SCHEMA_VERSION) throw new CustosError('ERR_UNSUPPORTED', `the log schema is version ${version}; this custos knows up to ${SCHEMA_VERSION}`);
    const steps = migrations(s);
    for (let v = version; v < SCHEMA_VERSION; v++) await q(steps[v]!);
    await q(`INSERT INTO ${s}.meta VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [String(SCHEMA_VERSION)]);
    const o = meta.get('origin');
    const k = meta.get('vkey');
    if (o === undefined) {
      await q(`INSERT INTO ${s}.meta VALUES ('origin', $1), ('vkey', $2)`, [origin, vkey]);
    } else {
      if (o !== origin) throw new CustosError('ERR_CHECKPOINT_ORIGIN', 'the log in this database has another origin');
      if (k !== vkey) throw new CustosError('ERR_KEY_UNKNOWN', 'the log in this database is signed by another key');
    }
  });
}
