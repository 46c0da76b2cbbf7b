/** Types of the PostgreSQL log store (see {@link openPgLog} in store.ts). */
import type { Cosigner } from '../log/cosignature.js';
import type { TileFetcher } from '../log/tiledlog.js';
import type { Signer } from '../keys/signing.js';
import type { LogSigner, LogStore } from '../node/logtypes.js';

export interface OpenPgLogOptions {
  /** A PostgreSQL connection string (`postgres://user@host:port/db`); never logged. */
  readonly connectionString: string;
  /** The PostgreSQL schema holding this log's tables (default `custos_log`). */
  readonly schema?: string;
  /** The log's key: a note signer, or an Ed25519 `Signer` (then named after the origin). */
  readonly signer: LogSigner | Signer;
  /** The checkpoint origin line. */
  readonly origin: string;
  /** Co-located witnesses that cosign every checkpoint. */
  readonly witnesses?: readonly Cosigner[];
  /**
   * The unique identity index: an entry whose SHA-256 is already in the log is not stored
   * again, and its append resolves with the existing index and `duplicate: true`.
   */
  readonly dedupe?: boolean;
  /** Largest number of entries one process sequences in one transaction (default 4096). */
  readonly maxBatch?: number;
  /** Database connections of this process (default 4). */
  readonly poolSize?: number;
  /** How long a database outage is retried before appends fail with ERR_DB (ms, default 15,000). */
  readonly retryMs?: number;
}

/** The log store interface of `openLog`, plus what a shared database log adds. */
export interface PgLogStore extends Omit<LogStore, 'append'> {
  /** The PostgreSQL schema of the log. */
  readonly schema: string;
  /**
   * Appends an entry (≤ 65,535 bytes); resolves with its index once the entry and a checkpoint
   * covering it are committed. `duplicate` is true when the identity index found it already.
   */
  append(entry: Uint8Array): Promise<{ readonly index: number; readonly duplicate: boolean }>;
  /** Catches up with entries other writers integrated; returns the new size. */
  refresh(): Promise<number>;
  /** The C2SP tlog-tiles resources of the log, read from the database (for a server or a verifier). */
  tileFetcher(): TileFetcher;
  /** Writes the log in the POSIX tlog-tiles layout (byte-identical to `openLog`'s files for the same entries). */
  exportTiles(dir: string): Promise<{ readonly size: number }>;
  /** The latest checkpoint published with a witness quorum, if any. */
  published(): Promise<string | undefined>;
  /** Records a cosigned checkpoint this log issued as the published one (never a smaller one). */
  publish(note: string): Promise<void>;
}
