/**
 * The demo's synthetic evidence: a disk image generated on the fly (never held in memory), a
 * subscriber record and a traffic log, the EPOC request they answer, and the disclosure policy
 * that decides which fields the request's purpose may see. All names and numbers are invented.
 */
import * as crypto from '#crypto';
import type { DisclosurePolicyDocument } from '../../redact/policy.js';

/** The requesting and executing parties (invented, shaped like an AT → IE EPOC exchange). */
export const PARTIES = {
  requester: { id: 'AT-STA-WIEN', name: "Public Prosecutor's Office Vienna", jurisdiction: 'AT' },
  executor: { id: 'IE-MAILSVC', name: 'Example Mail Services Ltd (designated establishment)', jurisdiction: 'IE' },
  witness: 'witness.example.eu/w1',
  logOrigin: 'log.mail.example/custody',
} as const;

/**
 * A deterministic pseudo-random disk image of `size` bytes, streamed in 1 MiB chunks: one 1 MiB
 * block expanded from SHA-256 once, then every 4 KiB sector stamped with its own number, so no
 * two sectors are equal and generation costs far less than the encryption it feeds.
 */
export async function* diskImage(size: number): AsyncGenerator<Uint8Array> {
  const chunk = 1024 * 1024;
  const base = new Uint8Array(chunk);
  let block = crypto.sha256(new TextEncoder().encode('custos demo disk image'));
  for (let i = 0; i < chunk; i += 32) {
    block = crypto.sha256(block);
    base.set(block, i);
  }
  let sector = 0;
  for (let off = 0; off < size; off += chunk) {
    const n = Math.min(chunk, size - off);
    const buf = base.slice(0, n);
    const view = new DataView(buf.buffer);
    for (let s = 0; s + 8 <= n; s += 4096) view.setFloat64(s, sector++);
    if (off === 0 && n >= 512) buf.set([0x55, 0xaa], 510); // an MBR signature, for realism
    yield buf;
  }
}

/** The provider's full subscriber record: more than the request's purpose may see. */
export const SUBSCRIBER_RECORD = {
  account: 'suspect@mail.example',
  subscriber: {
    name: 'Max Mustermann',
    dateOfBirth: '1980-04-01',
    address: 'Hauptstraße 1, 1010 Wien',
    phone: '+43 660 0000000',
    paymentMethod: 'VISA ****1234',
  },
  registration: { createdAt: '2025-11-02T09:12:44Z', ip: '198.51.100.23' },
  internal: { riskScore: 17, supportNotes: 'customer called twice about billing' },
};

/** The provider's traffic log for the account (logins), with content-like fields that must not go out. */
export const TRAFFIC_LOG = {
  account: 'suspect@mail.example',
  logins: [
    { at: '2026-01-14T08:01:10Z', ip: '203.0.113.5', userAgent: 'Thunderbird/115', subjectLine: 'Ihre Rente: dringende Bestätigung' },
    { at: '2026-02-02T19:44:51Z', ip: '203.0.113.77', userAgent: 'Mozilla/5.0', subjectLine: 'Konto gesperrt' },
    { at: '2026-02-20T23:10:03Z', ip: '192.0.2.200', userAgent: 'Mozilla/5.0', subjectLine: 'Letzte Mahnung' },
  ],
};

/** Redactable paths of each record (everything that is not the account key itself; `internal` as a whole too, so that withholding it leaves no key behind). */
export const REDACTABLE = {
  subscriber: ['subscriber.name', 'subscriber.dateOfBirth', 'subscriber.address', 'subscriber.phone', 'subscriber.paymentMethod', 'registration.createdAt', 'registration.ip', 'internal', 'internal.riskScore', 'internal.supportNotes'],
  traffic: ['logins[*].at', 'logins[*].ip', 'logins[*].userAgent', 'logins[*].subjectLine'],
};

/** What the purpose "investigation" may see, per data category (EPOC: subscriber and traffic data). */
export const POLICY: DisclosurePolicyDocument = {
  version: 1,
  id: 'mailsvc-epoc-policy-2026-1',
  description: 'Example Mail Services: disclosure for EU production orders',
  public: ['account'],
  purposes: {
    investigation: {
      description: 'identify an account holder and the connections used',
      categories: {
        subscriber: ['subscriber.name', 'subscriber.address', 'registration.createdAt', 'registration.ip'],
        traffic: ['logins[*].at', 'logins[*].ip'],
      },
    },
  },
};

/** The EPOC the requesting authority issues (EU 2023/1543), dated `now`. */
export function demoRequest(now: Date): unknown {
  const iso = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
  const earlier = new Date(now.getTime() - 2 * 3600_000);
  return {
    schemaVersion: 1,
    id: 'AT-WKSTA-2026-000417',
    instrument: 'EPOC',
    issuedAt: iso(new Date(now.getTime() - 3600_000)),
    issuing: {
      state: 'AT',
      authority: { type: 'prosecutor', name: PARTIES.requester.name, fileNumber: '512 St 88/26k', contact: { email: 'epoc@sta-wien.example' } },
    },
    validating: {
      authority: { type: 'investigating-judge', name: 'Regional Criminal Court Vienna', fileNumber: '354 HR 41/26m', contact: { email: 'hr@lg-wien.example' } },
      mode: 'prior',
      validatedAt: iso(earlier),
    },
    addressee: { state: 'IE', kind: 'designated-establishment', name: PARTIES.executor.name, contact: { email: 'lawenforcement@mail.example' } },
    enforcing: { state: 'IE' },
    art8Exemption: false,
    emergency: { flag: false },
    dataCategories: ['subscriber', 'traffic'],
    targets: [{ type: 'email', value: 'suspect@mail.example' }],
    timeRange: { from: '2026-01-01T00:00:00+01:00', to: '2026-03-01T00:00:00+01:00' },
    offence: { description: 'Serial online fraud against elderly victims using phishing e-mails', legalProvision: '§§ 146, 147(3), 148 StGB', maxPenalty: { months: 120 } },
    legalBasis: 'Regulation (EU) 2023/1543 Art. 5(4)(a); § 135(2) StPO',
    purpose: { code: 'investigation', text: 'Identify the account holder and the logins used to send the phishing e-mails' },
    confidentiality: { noDisclosureToSubject: true, reason: 'Disclosure would alert the suspect and endanger the investigation' },
    retentionUntil: '2031-12-31T23:59:59+01:00',
    language: 'en',
    responseChannel: { type: 'custos-bundle', address: 'https://exchange.sta-wien.example/inbox' },
  };
}
