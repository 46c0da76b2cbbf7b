/**
 * Envelope encryption with custos: age v1, byte for byte.
 *
 *   generate a post-quantum hybrid identity → encrypt evidence to it → see that mixing in an
 *   X25519 recipient is refused (the file would no longer be quantum-resistant) → add a
 *   recipient later without re-encrypting the payload.
 *
 * Run from the repository: `npx tsx --conditions=custos-source examples/envelope.ts`
 */
import { decrypt, encrypt, generateIdentity, readHeader, rewrap } from 'custos';

const pq = generateIdentity({ pq: true }); // AGE-SECRET-KEY-PQ-1… / age1pq1… (ML-KEM-768 + X25519)
const classic = generateIdentity(); // AGE-SECRET-KEY-1… / age1… (what age 1.1 understands)

const evidence = new TextEncoder().encode('Exhibit 7: server log excerpt, 2026-02-20\n');
const file = await encrypt(evidence, [pq.recipient]);
console.log(`encrypted ${evidence.length} bytes to the post-quantum recipient: ${file.length} bytes of age v1`);

// An X25519 stanza beside the PQ one would let whoever breaks X25519 recover the file key.
const mixed = await encrypt(evidence, [pq.recipient, classic.recipient]).catch((e: { code: string }) => e.code);
console.log(`PQ + X25519 in one file: ${String(mixed)} (allowMixedPostQuantum: true to accept it)`);

const opened = await decrypt(file, [pq.identity]);
console.log(`PQ identity opens it: ${new TextDecoder().decode(opened).trim()}`);

// A court joins later: only the header changes, the payload (and any seal over it) stays.
const court = generateIdentity({ pq: true });
const shared = await rewrap(file, [pq.identity], { add: [court.recipient] });
const [before, after] = [await readHeader(file), await readHeader(shared)];
const payloadSame = Buffer.from(before.payload).equals(Buffer.from(after.payload));
console.log(`header ${before.payloadOffset} → ${after.payloadOffset} bytes (${after.header.stanzas.length} stanzas)`);
console.log(`rewrapped for the court; payload unchanged: ${payloadSame}`);
console.log(`court opens it: ${(await decrypt(shared, [court.identity])).length === evidence.length}`);
