import { readFileSync } from 'node:fs';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { signStatusEvent, type StatusInput } from '../../src/request/events.js';
import { validateRequest } from '../../src/request/validate.js';
import type { EvidenceRequest } from '../../src/request/schema.js';

const dir = new URL('../../examples/requests/', import.meta.url);
export const loadJson = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
export const loadRequest = (name: string): EvidenceRequest => validateRequest(loadJson(name));

/** Three parties with fixed keys, and a trust store that knows them from 2020 on. */
export function parties() {
  const seed = (n: number) => new Uint8Array(32).fill(n);
  const issuer = SigningKey.fromSecret(seed(1));
  const provider = SigningKey.fromSecret(seed(2));
  const enforcer = SigningKey.fromSecret(seed(3));
  const outsider = SigningKey.fromSecret(seed(4));
  // an authority of Germany, the issuing state of epoc-emergency-subscriber.json (ex-post validation)
  const validator = SigningKey.fromSecret(seed(5));
  const auth = (id: string, jurisdiction: string, key: SigningKey) => ({
    id,
    name: id,
    jurisdiction,
    roles: [],
    keys: [trustedKeyEntry('EdDSA', key.publicKey, '2020-01-01T00:00:00Z')],
  });
  const trust = TrustStore.parse({
    version: 1,
    authorities: [auth('issuer', 'AT', issuer), auth('provider', 'IE', provider), auth('enforcer', 'IE', enforcer), auth('validator', 'DE', validator)],
  });
  const keys: Record<string, SigningKey> = { issuer, provider, enforcer, outsider, validator };
  return { issuer, provider, enforcer, outsider, validator, trust, keys };
}

/** Builds a chain for `request` from [actor, input] steps, each signed by the actor's key. */
export function buildChain(
  request: EvidenceRequest,
  steps: ReadonlyArray<Omit<StatusInput, 'actor'> & { actor: 'issuer' | 'provider' | 'enforcer' | 'validator' }>,
  keys: Record<string, SigningKey>,
): Uint8Array[] {
  const chain: Uint8Array[] = [];
  for (const s of steps) chain.push(signStatusEvent(chain, request, s, keys[s.actor]!));
  return chain;
}
