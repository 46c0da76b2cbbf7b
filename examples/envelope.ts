/**
 * Envelope encryption with custos: age v1, byte for byte.
 *
 *   generate a post-quantum hybrid identity and an X25519 one → encrypt evidence to both →
 *   decrypt with either → add a recipient later without re-encrypting the payload.
 *
 * Run from the repository: `npx tsx --conditions=custos-source examples/envelope.ts`
 */
import { decrypt, encrypt, generateIdentity, readHeader, rewrap } from 'custos';

const pq = generateIdentity({ pq: true }); // AGE-SECRET-KEY-PQ-1… / age1pq1… (ML-KEM-768 + X25519)
const classic = generateIdentity(); // AGE-SECRET-KEY-1… / age1… (what age 1.1 understands)

const evidence = new TextEncoder().encode('Exhibit 7: server log excerpt, 2026-02-20\n');
const file = await encrypt(evidence, [pq.recipient, classic.recipient]);
console.log(`encrypted ${evidence.length} bytes to 2 recipients: ${file.length} bytes of age v1`);

const opened = await decrypt(file, [pq.identity]);
console.log(`PQ identity opens it: ${new TextDecoder().decode(opened).trim()}`);

// A court joins later: only the header changes, the payload (and any seal over it) stays.
const court = generateIdentity({ pq: true });
const shared = await rewrap(file, [classic.identity], { add: [court.recipient] });
const [before, after] = [await readHeader(file), await readHeader(shared)];
const payloadSame = Buffer.from(before.payload).equals(Buffer.from(after.payload));
console.log(`header ${before.payloadOffset} → ${after.payloadOffset} bytes (${after.header.stanzas.length} stanzas)`);
console.log(`rewrapped for the court; payload unchanged: ${payloadSame}`);
console.log(`court opens it: ${(await decrypt(shared, [court.identity])).length === evidence.length}`);
