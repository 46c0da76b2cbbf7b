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
  const auth = (id: string, jurisdiction: string, key: SigningKey) => ({
    id,
    name: id,
    jurisdiction,
    roles: [],
    keys: [trustedKeyEntry('EdDSA', key.publicKey, '2020-01-01T00:00:00Z')],
  });
  const trust = TrustStore.parse({
    version: 1,
    authorities: [auth('issuer', 'AT', issuer), auth('provider', 'IE', provider), auth('enforcer', 'IE', enforcer)],
  });
  const keys: Record<string, SigningKey> = { issuer, provider, enforcer, outsider };
  return { issuer, provider, enforcer, outsider, trust, keys };
}

/** Builds a chain from [actor, input] steps, each signed by the actor's key. */
export function buildChain(
  requestId: string,
  steps: ReadonlyArray<Omit<StatusInput, 'actor'> & { actor: 'issuer' | 'provider' | 'enforcer' }>,
  keys: Record<string, SigningKey>,
): Uint8Array[] {
  const chain: Uint8Array[] = [];
  for (const s of steps) chain.push(signStatusEvent(chain, requestId, s, keys[s.actor]!));
  return chain;
}
