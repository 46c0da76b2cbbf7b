/**
 * The presentation issue #6 benchmarks, shared by bench/redact.bench.ts and bench:compare: a
 * 50-field record (10 scalars in clear, 40 redactable: 20 subscriber values, 4 sessions × 5
 * fields), committed by an issuer, 20 fields disclosed (subscriber.field0..9 and every field of
 * sessions 0 and 1), presented by a holder: two Ed25519 signatures.
 */
import { SigningKey, TrustStore, trustedKeyEntry } from '../src/keys/index.js';
import { commitRecord, presentRecord } from '../src/redact/index.js';

export const BENCH_REDACTABLE = ['subscriber.*', 'sessions[*].ip', 'sessions[*].port', 'sessions[*].start', 'sessions[*].end', 'sessions[*].bytes'];

export function benchRecord(): Record<string, unknown> {
  const record: Record<string, unknown> = { recordType: 'subscriber-and-traffic' };
  for (let i = 0; i < 9; i++) record[`meta${i}`] = `value-${i}-${'x'.repeat(i)}`;
  const sub: Record<string, string> = {};
  for (let i = 0; i < 20; i++) sub[`field${i}`] = `subscriber data ${i}`;
  record.subscriber = sub;
  record.sessions = Array.from({ length: 4 }, (_, s) => ({ ip: `192.0.2.${s}`, port: 40000 + s, start: 1774600000 + s, end: 1774603600 + s, bytes: 1000 * s }));
  return record;
}

/** Fresh keys, the trust store naming both, the committed record, the 20 disclosures chosen and the presentation. */
export function benchPresentation() {
  const issuer = SigningKey.generate();
  const holder = SigningKey.generate();
  const entry = (id: string, k: SigningKey) => ({ id, name: id, jurisdiction: 'IE', roles: ['provider'], keys: [trustedKeyEntry('EdDSA', k.publicKey, '2020-01-01T00:00:00Z')] });
  const trust = TrustStore.parse({ version: 1, authorities: [entry('issuer', issuer), entry('holder', holder)] });
  const record = benchRecord();
  const committed = commitRecord(record as never, { redactable: BENCH_REDACTABLE, signer: issuer });
  if (committed.disclosures.length !== 40) throw new Error(`expected 40 disclosures, got ${committed.disclosures.length}`);
  const chosen = committed.disclosures.filter((d) => /^subscriber\.field[0-9]$/.test(d.path) || /^sessions\[[01]\]\./.test(d.path));
  if (chosen.length !== 20) throw new Error(`expected 20 disclosures, got ${chosen.length}`);
  const binding = { audience: 'de.bka', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce: 'bench-nonce' };
  const bytes = presentRecord(committed, chosen, { ...binding, signer: holder });
  return { issuer, holder, trust, record, committed, chosen, binding, bytes };
}
