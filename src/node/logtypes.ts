/**
 * Types of the fs-backed log store (see {@link openLog} in logstore.ts).
 */
import type { Cosigner } from '../log/cosignature.js';
import type { NoteSigner } from '../log/note.js';
import type { Signer } from '../keys/signing.js';

/** A log signer: a note signer with its Ed25519 public key (what `noteSigner`/`parseSignerKey` return). */
export type LogSigner = NoteSigner & { readonly type: number; readonly publicKey: Uint8Array };

export interface OpenLogOptions {
  /** The log's key: a note signer, or an Ed25519 `Signer` (then named after the origin). */
  readonly signer: LogSigner | Signer;
  /** The checkpoint origin line, e.g. `log.example.org/custody`. */
  readonly origin: string;
  /** Co-located witnesses that cosign every checkpoint (remote witnesses use `cosign`). */
  readonly witnesses?: readonly Cosigner[];
  /** Largest number of entries written in one batch (default 4096). */
  readonly maxBatch?: number;
  /**
   * Only open a log that exists (its `checkpoint` file is there): ERR_IO otherwise, and nothing is
   * created. Default false: a missing or empty directory becomes a new, empty log.
   */
  readonly mustExist?: boolean;
}

export interface InclusionBundle {
  readonly index: number;
  readonly size: number;
  readonly leafHash: Uint8Array;
  readonly proof: Uint8Array[];
  /** The signed checkpoint for `size`. */
  readonly checkpoint: string;
}

export interface ConsistencyBundle {
  readonly oldSize: number;
  readonly newSize: number;
  readonly proof: Uint8Array[];
  readonly oldCheckpoint: string;
  readonly newCheckpoint: string;
}

export interface LogStore {
  readonly dir: string;
  readonly origin: string;
  /** The log's verifier key (`name+keyid+base64`). */
  readonly verifierKey: string;
  /** Committed size. */
  readonly size: number;
  /** Appends an entry (≤ 65,535 bytes); resolves once the entry and a checkpoint covering it are durable. */
  append(entry: Uint8Array): Promise<{ index: number }>;
  /** The latest signed checkpoint. */
  checkpoint(): Promise<string>;
  /** The signed checkpoint for an earlier size, if one was issued. */
  checkpointAt(size: number): Promise<string | undefined>;
  /** Inclusion proof for `index` against the checkpoint of `size` (default: latest). */
  prove(index: number, size?: number): Promise<InclusionBundle>;
  /** Consistency proof between two checkpointed sizes (default new size: latest). */
  proveConsistency(oldSize: number, newSize?: number): Promise<ConsistencyBundle>;
  /**
   * Both receipt forms for entry `index` against the checkpoint of `size` (default latest):
   * an RFC 9942 COSE receipt signed with the log key (verify with `verifyReceipt` and the
   * public key of the log's vkey) and a C2SP tlog-proof text carrying the signed checkpoint.
   */
  receipt(index: number, size?: number): Promise<{ readonly cose: Uint8Array; readonly tlogProof: string; readonly size: number }>;
  /** An RFC 9942 consistency receipt from `oldSize` to `newSize` (default latest). */
  consistencyReceipt(oldSize: number, newSize?: number): Promise<Uint8Array>;
  /** Reads a committed entry (checked against its leaf hash). */
  entry(index: number): Promise<Uint8Array>;
  /** Waits for pending appends, then releases the lock. */
  close(): Promise<void>;
}
