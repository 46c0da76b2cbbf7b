/**
 * Time anchored to the witnesses (issue 17, attack 1). A signer's own date proves nothing: a
 * holder of a revoked key can date a signature before the revocation. What a verifier can trust
 * is the witnessed time of a log entry: when the quorum-th trusted witness had cosigned a
 * checkpoint that includes it (`quorumAt` of `verifyCheckpoint`), because that checkpoint
 * could not have been cosigned before the entry existed.
 *
 * Rules:
 * - a custody event signed by a key with a `revokedAt` counts only if a verified receipt of the
 *   event carries a checkpoint whose witnessed time is before `revokedAt`;
 * - no event time may be later than its witnessed time plus {@link SIGNED_TIME_SKEW_MS};
 * - a seal or manifest signed by a key with a `revokedAt` fails: nothing in the bundle logs
 *   them, so nothing shows they were made before the revocation.
 */
import { decodeSign1 } from '../cose/sign1.js';
import type { TrustStore } from '../keys/trust.js';

/** How much later than its witnessed time a signed time may be (clock skew of the signer). */
export const SIGNED_TIME_SKEW_MS = 10 * 60 * 1000;

const iso = (ms: number): string => new Date(ms).toISOString();

/** The `revokedAt` (ms) of the trusted key that signed a COSE_Sign1, if it has one. */
export function revokedAtOf(trust: TrustStore, cose: Uint8Array, at: number): number | undefined {
  try {
    const kid = decodeSign1(cose, { strict: false }).kid;
    if (kid === undefined) return undefined;
    const hit = trust.lookup(kid, at);
    return hit.ok ? hit.key.revokedAt : undefined;
  } catch {
    return undefined; // the signature check of the object itself reports a bad encoding
  }
}

/**
 * Judges one custody event against its witnessed time (ms, undefined when no verified receipt
 * carries a witnessed checkpoint). Returns undefined when it holds, else why not.
 */
export function eventTimeProblem(signedAt: number | undefined, witnessedAt: number | undefined, revokedAt: number | undefined): string | undefined {
  if (revokedAt !== undefined) {
    if (witnessedAt === undefined) return `signed by a key revoked at ${iso(revokedAt)}, and no witnessed checkpoint shows the event was logged before that`;
    if (witnessedAt >= revokedAt) return `signed by a key revoked at ${iso(revokedAt)}; first witnessed at ${iso(witnessedAt)}, after the revocation`;
  }
  if (signedAt !== undefined && witnessedAt !== undefined && signedAt > witnessedAt + SIGNED_TIME_SKEW_MS) {
    return `dated ${iso(signedAt)}, later than its witnessed time ${iso(witnessedAt)} plus ${SIGNED_TIME_SKEW_MS / 60_000} min`;
  }
  return undefined;
}

/** The failure for a seal or manifest signed by a revoked key (nothing in the bundle logs them). */
export function unloggedRevoked(what: string, revokedAt: number): string {
  return `${what} is signed by a key revoked at ${iso(revokedAt)}; nothing in the bundle logs it, so nothing shows it was made before the revocation`;
}
