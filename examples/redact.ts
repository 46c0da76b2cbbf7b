/**
 * Data minimisation with custos, end to end:
 *
 *   a provider commits a subscriber-and-traffic record field by field and signs it once →
 *   a production order asks for subscriber data for a criminal investigation →
 *   the disclosure policy picks exactly the allowed fields → the custody chain records it →
 *   the provider presents them to the requesting authority, bound to its request and nonce →
 *   the authority verifies and sees only what the purpose allows.
 *   Then a large file is redacted by chunk: one page range is proven against the sealed root.
 *
 * Run from the repository: `npx tsx --conditions=custos-source examples/redact.ts`
 */
import {
  appendEvent,
  commitChunks,
  commitRecord,
  createChain,
  minimize,
  parseDisclosurePolicy,
  presentRecord,
  proveRanges,
  redactionCustodyInput,
  SigningKey,
  TrustStore,
  trustedKeyEntry,
  verifyChain,
  verifyPresentation,
  verifyRanges,
} from 'custos';

// Keys: the provider (holds the data, commits and presents it) and the trust store the receiving
// authority keeps.
const provider = SigningKey.generate();
const trust = TrustStore.parse({
  version: 1,
  authorities: [
    {
      id: 'ie.provider',
      name: 'Example Telecom Ltd',
      jurisdiction: 'IE',
      roles: ['collector', 'custodian', 'disclosure-officer'],
      keys: [trustedKeyEntry('EdDSA', provider.publicKey, '2025-01-01T00:00:00Z')],
    },
  ],
});

// 1. Commit the record: every field that might be withheld becomes a salted digest.
const record = {
  recordType: 'subscriber-and-traffic',
  subscriber: { name: 'Alice Example', msisdn: '+353 85 123 4567', address: { street: '1 Quay St', city: 'Galway' }, since: 1577836800 },
  sessions: [
    { ip: '192.0.2.10', start: 1774600000, bytes: 12345 },
    { ip: '198.51.100.7', start: 1774603600, bytes: 999 },
  ],
  content: { subject: 'private', body: 'not for this request' },
};
const committed = commitRecord(record, {
  redactable: ['subscriber.name', 'subscriber.msisdn', 'subscriber.address', 'sessions[*]', 'sessions[*].ip', 'content'],
  signer: provider,
});
console.log(`committed ${committed.disclosures.length} redactable fields into ${committed.bytes.length} signed bytes`);

// 2. The policy: which purposes may receive which categories, and which paths each covers.
const policy = parseDisclosurePolicy({
  version: 1,
  id: 'example-telecom/2026-01',
  public: ['recordType', 'subscriber.since'],
  purposes: {
    'CRIM-INV': {
      description: 'criminal investigation (EPOC, Art. 5 Regulation (EU) 2023/1543)',
      categories: {
        subscriber: ['subscriber.name', 'subscriber.msisdn', 'subscriber.address'],
        traffic: ['sessions[*].ip', 'sessions[*].start', 'sessions[*].bytes'],
      },
    },
  },
});

// 3. The order asks for subscriber data only: minimise, and record it in the custody chain.
const request = { purpose: 'CRIM-INV', categories: ['subscriber'], requestId: 'EPOC-2026-0042', audience: 'de.bka' };
const { disclosures, event } = minimize(committed, policy, request);
console.log(`policy ${event.policyId} (${event.policyHash.slice(0, 16)}…) allows: ${event.disclosedPaths.join(', ')}; withheld: ${event.withheldCount}`);
let chain = createChain('EXH-2026-0042-01');
chain = appendEvent(chain, { type: 'collected', actor: { authority: 'ie.provider', role: 'collector' } }, provider).chain;
chain = appendEvent(chain, redactionCustodyInput(event, { authority: 'ie.provider', role: 'disclosure-officer' }), provider).chain;
const custody = verifyChain(chain, trust);
console.log(`custody chain: ${chain.events.length} events, ${custody.ok ? 'verifies' : 'FAILS'}`);

// 4. Present to the requesting authority, bound to its request and the nonce it sent.
const nonce = 'a7f3c1d9e2b4';
const presentation = presentRecord(committed, disclosures, { audience: 'de.bka', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce, signer: provider });

// 5. The authority verifies: the result holds only the disclosed fields.
const verified = verifyPresentation(presentation, {
  trust,
  expect: { audience: 'de.bka', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce, maxAgeSeconds: 600 },
});
console.log(`presentation ${verified.ok ? 'verifies' : 'FAILS'} (${verified.report.checks.length} checks); disclosed record:`);
console.log(JSON.stringify(verified.record, null, 2));

// A replay to another authority fails its binding check.
const replay = verifyPresentation(presentation, { trust, expect: { audience: 'fr.oclctic', requestId: 'EPOC-2026-0042', purpose: 'CRIM-INV', nonce } });
console.log(`replayed to another audience: ${replay.ok ? 'ACCEPTED (bug)' : replay.report.failures.map((f) => f.code).join(', ')}`);

// 6. Binary redaction: a 1 MiB export, sealed by its chunk root; disclose bytes 70000..70100 only.
const file = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
const { root, leafCount, saltKey } = commitChunks(file);
const ranges = [{ start: 70_000, end: 70_100 }];
const proof = proveRanges(file, ranges, { saltKey });
const check = verifyRanges(root, ranges, proof);
console.log(`chunk proof over ${leafCount} leaves: ${check.ok ? `verifies, ${check.data[0]!.length} bytes disclosed from ${proof.chunks.length} chunk(s)` : check.reason}`);

/** What the example produced, for the test that runs it. */
export const outcome = {
  custodyOk: custody.ok,
  presentationOk: verified.ok,
  record: verified.record,
  replayRejected: !replay.ok,
  chunkOk: check.ok,
};
