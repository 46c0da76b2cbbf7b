/**
 * From a minimisation's event data to a custody event input (src/custody), so the item's chain
 * of custody records every redaction and disclosure with the policy that allowed it.
 */
import type { CustodyEventInput } from '../custody/append.js';
import { fail } from '../errors.js';
import type { RedactionEventData } from './policy.js';

/**
 * The custody event for a minimisation: type `redacted` or `disclosed`, the purpose, the request
 * as authorisation, the recipient as counterparty, and a JSON note carrying the policy id and
 * hash, the record digest, the digest of the disclosed set and the counts.
 *
 * @example
 * ```ts
 * const { disclosures, event } = minimize(committed, policy, request);
 * chain = appendEvent(chain, redactionCustodyInput(event, { authority: 'ie.provider', role: 'disclosure-officer' }), key).chain;
 * ```
 */
export function redactionCustodyInput(
  event: RedactionEventData,
  actor: { readonly authority: string; readonly role: string },
  time?: Date | string | number,
): CustodyEventInput {
  if (event === null || typeof event !== 'object' || typeof event.policyHash !== 'string') {
    fail('ERR_INVALID_ARGUMENT', '"event" expected the event data from minimize');
  }
  const note = JSON.stringify({
    kind: 'custos.redaction/v1',
    policyId: event.policyId,
    policyHash: event.policyHash,
    recordDigest: event.recordDigest,
    disclosureSetDigest: event.disclosureSetDigest,
    disclosed: event.disclosedDigests.length,
    withheld: event.withheldCount,
    unavailable: event.unavailableCount,
    categories: event.categories,
  });
  return {
    type: event.type,
    actor: { authority: actor.authority, role: actor.role },
    purpose: event.purpose,
    authorisation: { type: 'request', reference: event.requestId },
    ...(event.audience !== undefined ? { counterparty: { authority: event.audience } } : {}),
    ...(time !== undefined ? { time } : {}),
    note,
  };
}
