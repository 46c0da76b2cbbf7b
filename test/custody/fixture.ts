/** Shared fixture for custody tests: three authorities, their keys, a trust store, a forger. */
import { HEADER, signSign1 } from '../../src/cose/index.js';
import {
  appendEvent,
  createChain,
  CUSTODY_EVENT_CONTENT_TYPE,
  encodeCustodyEvent,
  eventHash,
  openCustodyEvent,
  type CustodyChain,
  type CustodyEvent,
  type CustodyEventInput,
} from '../../src/custody/index.js';
import { isCustosError, type ErrorCode } from '../../src/errors.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';

export const T0 = Date.parse('2026-11-01T08:00:00Z');
export const HOUR = 3_600_000;

const seeded = (n: number, alg: 'EdDSA' | 'ES256' = 'EdDSA') => SigningKey.fromSecret(new Uint8Array(32).fill(n), alg);

/** Police (collects), lab (examines), foreign police (receives, discloses); a key no one trusts; an expired key. */
export const KEYS = {
  police: seeded(11),
  lab: seeded(12, 'ES256'),
  foreign: seeded(13),
  rogue: seeded(14),
  expired: seeded(15),
  policeOld: seeded(16),
};

export const trust = TrustStore.parse({
  version: 1,
  authorities: [
    {
      id: 'at.lpd-wien',
      name: 'Landespolizeidirektion Wien',
      jurisdiction: 'AT',
      roles: ['collector', 'custodian'],
      keys: [
        trustedKeyEntry('EdDSA', KEYS.police.publicKey, '2026-01-01T00:00:00Z'),
        { ...trustedKeyEntry('EdDSA', KEYS.expired.publicKey, '2026-01-01T00:00:00Z'), notAfter: '2026-11-01T10:00:00Z' },
        { ...trustedKeyEntry('EdDSA', KEYS.policeOld.publicKey, '2025-01-01T00:00:00Z'), revokedAt: '2026-11-01T09:00:00Z' },
      ],
    },
    {
      id: 'at.bk-lab',
      name: 'Bundeskriminalamt, IT-Forensik',
      jurisdiction: 'AT',
      roles: ['examiner', 'custodian'],
      keys: [trustedKeyEntry('ES256', KEYS.lab.publicKey, '2026-01-01T00:00:00Z')],
    },
    {
      id: 'de.bka',
      name: 'Bundeskriminalamt',
      jurisdiction: 'DE',
      roles: ['custodian', 'disclosure-officer'],
      keys: [trustedKeyEntry('EdDSA', KEYS.foreign.publicKey, '2026-01-01T00:00:00Z')],
    },
  ],
});

export const AUTH = { police: 'at.lpd-wien', lab: 'at.bk-lab', foreign: 'de.bka' } as const;

export const D1 = new Uint8Array(32).fill(0xd1);
export const D2 = new Uint8Array(32).fill(0xd2);

export type Step = { input: CustodyEventInput; key: SigningKey };

/** The happy path: seizure in Vienna, lab work, transfer to Germany, disclosure, destruction. */
export function happySteps(): Step[] {
  let t = T0;
  const at = () => (t += HOUR);
  return [
    { key: KEYS.police, input: { type: 'collected', time: at(), actor: { authority: AUTH.police, role: 'collector' }, digests: { 'sha-256': D1 }, seals: ['A-0042117'], location: 'Wien 1010', authorisation: { type: 'warrant', reference: 'LG Wien 12 HR 34/26' } } },
    { key: KEYS.police, input: { type: 'sealed', time: at(), actor: { authority: AUTH.police, role: 'custodian' }, digests: { 'sha-256': D1 } } },
    { key: KEYS.police, input: { type: 'transferred', time: at(), actor: { authority: AUTH.police, role: 'custodian' }, counterparty: { authority: AUTH.lab, kid: KEYS.lab.kid } } },
    { key: KEYS.lab, input: { type: 'received', time: at(), actor: { authority: AUTH.lab, role: 'custodian' }, digests: { 'sha-256': D1 } } },
    { key: KEYS.lab, input: { type: 'examined', time: at(), actor: { authority: AUTH.lab, role: 'examiner' }, purpose: 'extract messages' } },
    { key: KEYS.lab, input: { type: 'derived', time: at(), actor: { authority: AUTH.lab, role: 'examiner' }, digests: { 'sha-256': D2 }, note: 'converted to E01' } },
    { key: KEYS.lab, input: { type: 'transferred', time: at(), actor: { authority: AUTH.lab, role: 'custodian' }, counterparty: { authority: AUTH.foreign } } },
    { key: KEYS.foreign, input: { type: 'received', time: at(), actor: { authority: AUTH.foreign, role: 'custodian' }, digests: { 'sha-256': D2 } } },
    { key: KEYS.foreign, input: { type: 'disclosed', time: at(), actor: { authority: AUTH.foreign, role: 'disclosure-officer' }, purpose: 'EIO 2026/771' } },
    { key: KEYS.foreign, input: { type: 'destroyed', time: at(), actor: { authority: AUTH.foreign, role: 'custodian' } } },
  ];
}

export function build(steps: Step[], id = 'AT-2026-000417/3'): CustodyChain {
  let chain = createChain(id);
  for (const s of steps) chain = appendEvent(chain, s.input, s.key, { trust }).chain;
  return chain;
}

/**
 * Signs an arbitrary event after `events` without any rule check (what an attacker or a buggy
 * writer can do). `patch` overrides fields of the event appendEvent would have made.
 */
export function forge(events: readonly Uint8Array[], patch: Partial<CustodyEvent>, key: SigningKey): Uint8Array {
  const last = events[events.length - 1];
  const prevEvent = last === undefined ? undefined : openCustodyEvent(last).event;
  const e: CustodyEvent = {
    chainId: prevEvent?.chainId ?? 'AT-2026-000417/3',
    seq: events.length,
    prev: last === undefined ? null : eventHash(last),
    type: 'accessed',
    time: (prevEvent?.time ?? T0) + HOUR,
    actor: { authority: AUTH.police, role: 'custodian', kid: key.kid },
    ...patch,
  } as CustodyEvent;
  const payload = encodeCustodyEvent(e);
  return signSign1(payload, key, { protectedHeaders: new Map<number | string, unknown>([[HEADER.contentType, CUSTODY_EVENT_CONTENT_TYPE]]) });
}

export function code(f: () => unknown): ErrorCode | 'none' {
  try {
    f();
    return 'none';
  } catch (e) {
    if (isCustosError(e)) return e.code;
    throw e;
  }
}
