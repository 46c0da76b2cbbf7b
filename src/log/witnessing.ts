/**
 * The witness side of c2sp.org/tlog-cosignature: a cosignature states that, as of its time, this
 * is the largest consistent tree the witness has seen for the log. So before cosigning, the
 * witness checks the log's signature and origin and, when it has seen the log before, the
 * consistency proof from its last cosigned tree; it never cosigns a smaller or forked tree.
 */
import { fail } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { cosign, type Cosigner } from './cosignature.js';
import { andThen, type Signed } from '../keys/signed.js';
import { verifyConsistency } from './merkle.js';
import { verifyCheckpoint, type VerifierInput } from './witness.js';

export interface WitnessState {
  /** The last tree this witness cosigned for the log (size and root), if any. */
  readonly size: number;
  readonly root: Uint8Array;
}

/**
 * Checks a checkpoint the way a witness must, then cosigns it. Returns the cosigned note and the
 * new state to persist. Throws (with the failing check's code) instead of cosigning.
 *
 * @example
 * ```ts
 * const { cosigned, state } = witnessCosign(text, witness, { logKeys: [vkey], origin, previous, proof });
 * ```
 */
export function witnessCosign<W extends Cosigner>(
  checkpoint: string,
  witness: W,
  opts: {
    readonly logKeys: readonly VerifierInput[];
    readonly origin: string;
    readonly previous?: WitnessState;
    /** Consistency proof from `previous.size` to the new size (empty for equal sizes). */
    readonly proof?: readonly Uint8Array[];
    readonly time?: number;
  },
): Signed<W, { cosigned: string; checkpoint: Checkpoint; state: WitnessState }> {
  const r = verifyCheckpoint(checkpoint, { log: opts.logKeys, origin: opts.origin });
  if (!r.ok || r.checkpoint === undefined) fail(r.code ?? 'ERR_NOTE_UNVERIFIED', 'the checkpoint does not verify under the log key');
  const cp = r.checkpoint;
  const prev = opts.previous;
  if (prev !== undefined && prev.size > 0) {
    if (cp.size < prev.size) fail('ERR_CONSISTENCY', `the log rolled back from ${prev.size} to ${cp.size}`);
    const c = verifyConsistency(prev.size, cp.size, prev.root, cp.root, opts.proof ?? []);
    if (!c.ok) fail('ERR_CONSISTENCY', `not consistent with the last cosigned tree: ${c.reason}`);
  }
  const cosigned = cosign<Cosigner>(checkpoint, witness, opts.time === undefined ? {} : { time: opts.time });
  return andThen(cosigned, (text) => ({ cosigned: text, checkpoint: cp, state: { size: cp.size, root: cp.root } })) as Signed<
    W,
    { cosigned: string; checkpoint: Checkpoint; state: WitnessState }
  >;
}
