/**
 * The verification policy of a bundle (issue 17): secure by default, the same for the API and
 * the CLI. Every requirement has a name; a caller may waive a named requirement, and every
 * waiver is listed in the report (the CLI verdict then reads "VERIFIED WITH WAIVERS: …").
 *
 * Required by default:
 * - `seal`: every item has a seal (by a trusted authority, for this item, over this payload);
 * - `custody`: every item has a custody chain;
 * - `custody.digest`: the chain states a plaintext SHA-256 and it equals the seal's;
 * - `custody.logged`: when the trust store lists a log, every custody event has a verified
 *   receipt (inclusion in a trusted checkpoint);
 * - `witness.quorum`: the newest checkpoint of each log carries the witness quorum of the trust
 *   store (or of the policy; never lowered to the number of witnesses listed);
 * - `binding`: the chain id is `<request>/<item id>`; manifest request and case = seal context
 *   (requestId, caseId) = record binding (requestId, audience, purpose) = every purpose the
 *   chain states; the manifest's issuer is each chain's current custodian, and a pending
 *   transfer names the verifier's audience (or, with no audience given, an authority of the
 *   trust store).
 *
 * A waiver gives up only the absence of the data: a seal, chain, receipt or digest that is
 * present is still verified and fails if wrong. Waiving `binding` skips the cross-checks.
 */
import { fail } from '../errors.js';
import type { BundlePolicy } from './context.js';

/** The named requirements a caller may waive. */
export const REQUIREMENTS = ['seal', 'custody', 'custody.digest', 'custody.logged', 'witness.quorum', 'binding'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/** Parses and checks a list of waiver names (ERR_INVALID_ARGUMENT naming an unknown one). */
export function parseWaivers(names: readonly string[]): Requirement[] {
  const out: Requirement[] = [];
  for (const n of names) {
    if (!(REQUIREMENTS as readonly string[]).includes(n)) fail('ERR_INVALID_ARGUMENT', `unknown requirement ${JSON.stringify(n)} to waive (one of ${REQUIREMENTS.join(', ')})`);
    if (!out.includes(n as Requirement)) out.push(n as Requirement);
  }
  return out;
}

/**
 * The waivers a policy states, in {@link REQUIREMENTS} order: its `waive` list, plus the older
 * options `requireSeal: false` (waives `seal`) and `requireCustody: false` (waives `custody`).
 *
 * @example
 * ```ts
 * waiversOf({ waive: ['custody.logged'], requireSeal: false }); // ['seal', 'custody.logged']
 * ```
 */
export function waiversOf(policy: BundlePolicy): Requirement[] {
  const set = new Set(parseWaivers(policy.waive ?? []));
  if (policy.requireSeal === false) set.add('seal');
  if (policy.requireCustody === false) set.add('custody');
  return REQUIREMENTS.filter((r) => set.has(r));
}

/** True when `policy` requires `name` (not waived). */
export function requires(policy: BundlePolicy, name: Requirement): boolean {
  return !waiversOf(policy).includes(name);
}
