/**
 * The one shape of a verification check, shared by every verifier's report: bundles, seals,
 * presentations, status chains, custody chains and the log verifiers. A report lists every
 * check that applies; a check that could not run is a failure with its reason, never left out.
 */
import type { ErrorCode } from './errors.js';

/**
 * One check and its outcome.
 *
 * @example
 * ```ts
 * const c: Check = { check: 'manifest.signature', subject: 'manifest.cose', ok: false, code: 'ERR_KEY_UNKNOWN', detail: 'no trusted key has this kid' };
 * ```
 */
export interface Check<Name extends string = string> {
  /** Stable check name: `tar`, `manifest.signature`, `signature`, `binding.nonce`, `inclusion`, … */
  readonly check: Name;
  readonly ok: boolean;
  /** The error code when `ok` is false. */
  readonly code?: ErrorCode;
  /** Secret-free detail for humans. */
  readonly detail?: string;
  /** The file or item the check is about, when the report covers several. */
  readonly subject?: string;
}

/**
 * True when there is at least one check and every check passed: an empty report verifies
 * nothing, so it is not a pass.
 *
 * @example
 * ```ts
 * allPassed([]); // false
 * allPassed([{ check: 'signature', ok: true }]); // true
 * ```
 */
export function allPassed(checks: readonly Check[]): boolean {
  return checks.length > 0 && checks.every((c) => c.ok);
}
