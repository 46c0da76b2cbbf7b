/**
 * Checking that a log was never rewritten: two signed checkpoints of the same log and the
 * consistency proof between them (RFC 9162 §2.1.4.2), as one report.
 */
import { fail } from '../errors.js';
import type { Checkpoint } from './checkpoint.js';
import { verifyConsistency as verifyConsistencyProof } from './merkle.js';
import { Checks, type LogReport } from './report.js';
import { verifyCheckpoint, type VerifierInput, type WitnessPolicy } from './witness.js';

export interface CheckpointConsistencyReport extends LogReport {
  readonly old?: Checkpoint;
  readonly new?: Checkpoint;
}

/**
 * Verifies both checkpoints under `keys` (log keys or a witness policy), that they share an
 * origin, and that `proof` proves the newer tree extends the older one. Equal sizes need equal
 * roots (two different roots at one size are a fork: ERR_CONSISTENCY).
 *
 * @example
 * ```ts
 * const c = await log.proveConsistency(oldSize);
 * const r = verifyCheckpointConsistency(c.oldCheckpoint, c.newCheckpoint, c.proof, [vkey]);
 * ```
 */
export function verifyCheckpointConsistency(
  oldCheckpoint: string | Uint8Array,
  newCheckpoint: string | Uint8Array,
  proof: readonly Uint8Array[],
  keys: readonly VerifierInput[] | WitnessPolicy,
): CheckpointConsistencyReport {
  if (!Array.isArray(proof)) fail('ERR_INVALID_ARGUMENT', '"proof" expected an array of hashes');
  const checks = new Checks();
  const a = verifyCheckpoint(oldCheckpoint, keys);
  const b = verifyCheckpoint(newCheckpoint, keys);
  for (const c of a.checks) checks.list.push({ ...c, check: `old.${c.check}` });
  for (const c of b.checks) checks.list.push({ ...c, check: `new.${c.check}` });
  if (!a.ok || !b.ok || a.checkpoint === undefined || b.checkpoint === undefined) return checks.report();
  const o = a.checkpoint;
  const n = b.checkpoint;
  if (o.origin !== n.origin) {
    checks.failed('consistency.origin', 'ERR_CHECKPOINT_ORIGIN', 'the checkpoints are from different logs');
    return checks.report();
  }
  if (o.size > n.size) {
    checks.failed('consistency.order', 'ERR_CONSISTENCY', 'the "old" checkpoint is larger than the new one');
    return checks.report();
  }
  if (o.size === 0) {
    // Every tree extends the empty tree; there is nothing to prove.
    checks.pass('consistency', 'old tree is empty');
    return { ...checks.report(), old: o, new: n };
  }
  const r = verifyConsistencyProof(o.size, n.size, o.root, n.root, proof);
  if (r.ok) checks.pass('consistency');
  else checks.failed('consistency', o.size === n.size ? 'ERR_CONSISTENCY' : r.code === 'ERR_PROOF_INVALID' ? 'ERR_CONSISTENCY' : r.code, r.reason);
  const rep = checks.report();
  return rep.ok ? { ...rep, old: o, new: n } : rep;
}
