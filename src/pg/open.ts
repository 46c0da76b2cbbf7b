/** Opening a PostgreSQL log: argument checks, schema migration, the first checkpoint. */
import { fail } from '../errors.js';
import { NOTE_TYPE_ED25519, noteSigner } from '../log/notekeys.js';
import type { Signer } from '../keys/signing.js';
import type { LogSigner } from '../node/logtypes.js';
import { openDb } from './db.js';
import { checkSchemaName, migrate } from './schema.js';
import { PgStore } from './store.js';
import type { OpenPgLogOptions, PgLogStore } from './types.js';

/**
 * Opens (or creates) a transparency log in a PostgreSQL database. Any number of processes may
 * open the same log and append at once; each append resolves once a checkpoint covering it is
 * committed.
 *
 * @example
 * ```ts
 * const log = await openPgLog({ connectionString: 'postgres://custos@127.0.0.1/evidence', signer, origin: 'log.example.org/custody' });
 * const { index } = await log.append(utf8('custody event …'));
 * const { tlogProof } = await log.receipt(index);
 * await log.close();
 * ```
 */
export async function openPgLog(opts: OpenPgLogOptions): Promise<PgLogStore> {
  if (typeof opts?.connectionString !== 'string' || opts.connectionString.length === 0) fail('ERR_INVALID_ARGUMENT', '"connectionString" expected a PostgreSQL URL');
  if (typeof opts.origin !== 'string' || opts.origin.length === 0 || opts.origin.includes('\n')) fail('ERR_INVALID_ARGUMENT', '"origin" must be a non-empty line');
  const schema = checkSchemaName(opts.schema ?? 'custos_log');
  const s = opts.signer as Partial<LogSigner> & Partial<Signer>;
  const signer: LogSigner = typeof s.alg === 'string' ? noteSigner(opts.origin, opts.signer as Signer) : (opts.signer as LogSigner);
  if (signer.type !== NOTE_TYPE_ED25519 || !(signer.publicKey instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', 'the log signer must be an Ed25519 note signer');
  for (const w of opts.witnesses ?? []) if (w.type !== 0x04) fail('ERR_INVALID_ARGUMENT', 'witnesses must be cosigners (type 0x04)');
  const db = openDb({ connectionString: opts.connectionString, ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }) });
  const store = new PgStore(db, schema, opts.origin, signer, opts);
  try {
    await migrate(db, schema, opts.origin, store.verifierKey);
    await store.init();
  } catch (e) {
    await db.end();
    throw e;
  }
  return store;
}

