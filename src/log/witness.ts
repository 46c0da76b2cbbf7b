/**
 * Checkpoint verification with a trust policy: the log's own key(s) must sign, and, when a
 * witness policy is given, at least `quorum` distinct trusted witnesses must have cosigned
 * (c2sp.org/tlog-cosignature). Clients that check a quorum of cosignatures before trusting an
 * inclusion proof are protected from split views: the log cannot show different trees to
 * different parties without the witnesses noticing.
 */
import { fail } from '../errors.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { cosignatureTime } from './cosignature.js';
import { hex8, parseNote, verifyNote, type NoteVerifier } from './note.js';
import { NOTE_TYPE_COSIGNATURE, NOTE_TYPE_ED25519, parseVerifierKey } from './notekeys.js';
import { Checks, type LogReport } from './report.js';

/** A key given as a verifier key string or an already parsed verifier. */
export type VerifierInput = string | NoteVerifier;

/**
 * A log or witness key with the window in which its signatures count (seconds since the epoch),
 * as a trust store records it. A cosignature counts only if its own timestamp lies in the
 * witness key's window; a log signature only if the checkpoint's witnessed time (`quorumAt`)
 * does, so a log key with a window needs a witness quorum: without witnesses nothing shows when
 * the checkpoint was signed, and it is refused (`ERR_KEY_NOT_VALID`).
 */
export interface WindowedKey {
  readonly key: VerifierInput;
  readonly notBefore?: number;
  readonly notAfter?: number;
  readonly revokedAt?: number;
}

/** A key, with or without a validity window. */
export type PolicyKey = VerifierInput | WindowedKey;

function windowOf(k: PolicyKey): WindowedKey {
  return typeof k === 'string' || !('key' in k) ? { key: k } : k;
}

function hasWindow(w: WindowedKey): boolean {
  return w.notBefore !== undefined || w.notAfter !== undefined || w.revokedAt !== undefined;
}

/** Why a signature at `t` (seconds) falls outside the key's window, or undefined when it is inside. */
function outsideWindow(w: WindowedKey, t: number): string | undefined {
  if (w.notBefore !== undefined && t < w.notBefore) return 'before the key was valid';
  if (w.notAfter !== undefined && t >= w.notAfter) return 'after the key expired';
  if (w.revokedAt !== undefined && t >= w.revokedAt) return 'after the key was revoked';
  return undefined;
}

export interface WitnessPolicy {
  /** Keys of the log (type 0x01). At least one must sign. */
  readonly log: readonly PolicyKey[];
  /** Trusted witnesses (type 0x04 cosigners). */
  readonly witnesses?: readonly PolicyKey[];
  /** How many distinct trusted witnesses must cosign (N of M). Default 0. */
  readonly quorum?: number;
  /** Expected origin line; when set, any other origin fails. */
  readonly origin?: string;
  /** Reject cosignatures timestamped more than this many seconds in the future (default 600). */
  readonly maxFutureSeconds?: number;
  /** The current time in seconds, for the future check (default now). */
  readonly now?: number;
}

export interface CheckpointReport extends LogReport {
  /** The parsed checkpoint; present only when `ok`. */
  readonly checkpoint?: Checkpoint;
  /** Witnesses whose cosignatures verified, with their timestamps. */
  readonly cosignedBy: readonly { readonly name: string; readonly keyId: number; readonly timestamp: number }[];
  /**
   * When the quorum was reached (seconds since the epoch): the latest of the `quorum` earliest
   * cosignature timestamps of distinct trusted witness keys. The checkpoint, and so every entry
   * it includes, provably existed by then; present only when `ok` and `quorum > 0`. This is the
   * witnessed time verifiers judge key validity and revocation against (a signer's own date is
   * only a claim).
   */
  readonly quorumAt?: number;
}

function toVerifier(v: VerifierInput): NoteVerifier {
  return typeof v === 'string' ? parseVerifierKey(v) : v;
}

/**
 * Verifies a signed checkpoint: note format, log signature, body format, origin, and the
 * witness quorum. `keys` is either the log's verifier keys or a full {@link WitnessPolicy}.
 *
 * @example
 * ```ts
 * const r = verifyCheckpoint(text, ['example.com/log+33d7b496+AeHT…']);
 * if (r.ok) console.log(r.checkpoint.size);
 * ```
 */
export function verifyCheckpoint(text: string | Uint8Array, keys: readonly VerifierInput[] | WitnessPolicy): CheckpointReport {
  const policy: WitnessPolicy = Array.isArray(keys) ? { log: keys as readonly VerifierInput[] } : (keys as WitnessPolicy);
  if (!policy || !Array.isArray(policy.log) || policy.log.length === 0) fail('ERR_INVALID_ARGUMENT', 'at least one log key is required');
  const logWindows = policy.log.map(windowOf);
  const logKeys = logWindows.map((w) => toVerifier(w.key));
  for (const k of logKeys) if (k.type !== NOTE_TYPE_ED25519) fail('ERR_INVALID_ARGUMENT', 'log keys must be Ed25519 note keys (type 0x01)');
  const witnessWindows = (policy.witnesses ?? []).map(windowOf);
  const witnesses = witnessWindows.map((w) => toVerifier(w.key));
  for (const w of witnesses) if (w.type !== NOTE_TYPE_COSIGNATURE) fail('ERR_INVALID_ARGUMENT', 'witness keys must be cosignature keys (type 0x04)');
  const quorum = policy.quorum ?? 0;
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length) fail('ERR_INVALID_ARGUMENT', '"quorum" must be between 0 and the number of witnesses');

  const checks = new Checks();
  // Log signatures first, on their own: a witness signature never stands in for the log's.
  const logResult = verifyNote(text, logKeys);
  for (const c of logResult.checks) {
    if (c.check === 'note.verified' && !c.ok) checks.failed('checkpoint.logSignature', 'ERR_NOTE_UNVERIFIED', 'the log key did not sign this checkpoint');
    else if (c.ok) checks.pass(c.check === 'note.signature' ? 'checkpoint.logSignature' : c.check, c.detail);
    else checks.failed(c.check === 'note.signature' ? 'checkpoint.logSignature' : c.check, c.code ?? 'ERR_NOTE_MALFORMED', c.detail ?? '');
  }
  if (!logResult.ok || logResult.text === undefined) return { ...checks.report(), cosignedBy: [] };

  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(logResult.text);
    checks.pass('checkpoint.format');
  } catch (e) {
    checks.failed('checkpoint.format', (e as { code?: 'ERR_LIMIT' }).code === 'ERR_LIMIT' ? 'ERR_LIMIT' : 'ERR_CHECKPOINT_MALFORMED', (e as Error).message);
    return { ...checks.report(), cosignedBy: [] };
  }
  if (policy.origin !== undefined) {
    if (cp.origin === policy.origin) checks.pass('checkpoint.origin');
    else checks.failed('checkpoint.origin', 'ERR_CHECKPOINT_ORIGIN', 'checkpoint origin is not the expected one');
  }

  const cosignedBy: { name: string; keyId: number; timestamp: number }[] = [];
  if (witnesses.length > 0) {
    const note = parseNote(text);
    const now = policy.now ?? Math.floor(Date.now() / 1000);
    const maxFuture = policy.maxFutureSeconds ?? 600;
    const body = new TextEncoder().encode(note.text);
    for (const sig of note.signatures) {
      const wi = witnesses.findIndex((x) => x.name === sig.name && x.keyId === sig.keyId);
      if (wi < 0) continue;
      const w = witnesses[wi]!;
      const label = `${sig.name}+${hex8(sig.keyId)}`;
      const ts = cosignatureTime(sig.signature);
      const outside = ts === undefined ? undefined : outsideWindow(witnessWindows[wi]!, ts);
      if (!w.verify(body, sig.signature) || ts === undefined) {
        checks.failed('witness.cosignature', 'ERR_COSIGNATURE_INVALID', `cosignature by ${label} does not verify`);
      } else if (outside !== undefined) {
        // not counted towards the quorum; reported, so a revoked witness is visible
        checks.failed('witness.cosignature', 'ERR_KEY_NOT_VALID', `cosignature by ${label} is dated ${outside}`);
      } else if (ts > now + maxFuture) {
        checks.failed('witness.cosignature', 'ERR_COSIGNATURE_INVALID', `cosignature by ${label} is timestamped in the future`);
      } else {
        checks.pass('witness.cosignature', label);
        // Distinct witnesses: two trusted entries with the same public key count once.
        if (!cosignedBy.some((c) => c.name === w.name && c.keyId === w.keyId)) cosignedBy.push({ name: w.name, keyId: w.keyId, timestamp: ts });
      }
    }
  }
  let quorumAt: number | undefined;
  if (quorum > 0) {
    // earliest cosignature per distinct public key (two names for one key count once)
    const earliest = new Map<string, number>();
    for (const c of cosignedBy) {
      const key = witnesses.find((w) => w.name === c.name && w.keyId === c.keyId)!.publicKey.join(',');
      earliest.set(key, Math.min(earliest.get(key) ?? Infinity, c.timestamp));
    }
    if (earliest.size >= quorum) {
      checks.pass('witness.quorum', `${earliest.size} of ${quorum}`);
      quorumAt = [...earliest.values()].sort((a, b) => a - b)[quorum - 1];
    } else checks.failed('witness.quorum', 'ERR_WITNESS_QUORUM', `${earliest.size} trusted witnesses cosigned, ${quorum} required`);
  }
  // The log key's own window is judged at the witnessed time: the log's signature states none.
  // Any verified log key without a window, or inside its window, is enough (key rotation).
  const signers = logWindows.filter((_, i) => logResult.verifiedBy.includes(logKeys[i]!));
  if (signers.length > 0 && signers.every(hasWindow)) {
    if (quorumAt === undefined) checks.failed('checkpoint.logKeyValid', 'ERR_KEY_NOT_VALID', 'the log key has a validity window, and no witness quorum shows when this checkpoint was signed');
    else {
      const outside = signers.map((w) => outsideWindow(w, quorumAt!));
      if (outside.includes(undefined)) checks.pass('checkpoint.logKeyValid', `witnessed at ${new Date(quorumAt * 1000).toISOString()}, inside the log key's window`);
      else checks.failed('checkpoint.logKeyValid', 'ERR_KEY_NOT_VALID', `witnessed ${outside[0]!}`);
    }
  }
  const r = checks.report();
  if (!r.ok) return { ...r, cosignedBy };
  return quorumAt !== undefined ? { ...r, checkpoint: cp, cosignedBy, quorumAt } : { ...r, checkpoint: cp, cosignedBy };
}
