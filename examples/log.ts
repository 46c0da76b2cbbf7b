/**
 * Verifiable audit receipts with custos: a transparency log on disk (C2SP tlog-tiles), a
 * witness cosigning its checkpoints, and receipts an oversight body checks offline.
 *
 * Run from the repository: `npx tsx --conditions=custos-source examples/log.ts`
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatTlogProof,
  formatVerifierKey,
  issueInclusionReceipt,
  NOTE_TYPE_COSIGNATURE,
  noteSigner,
  parseCheckpoint,
  parseNote,
  SigningKey,
  verifyReceipt,
  verifyTlogProof,
} from 'custos';
import { openLog } from 'custos/node';

const dir = mkdtempSync(join(tmpdir(), 'custos-log-example-'));
const logKey = SigningKey.generate();
const log = noteSigner('log.example.eu/custody', logKey);
const witness = noteSigner('witness.example.org/w1', SigningKey.generate(), NOTE_TYPE_COSIGNATURE);

const store = await openLog(dir, { signer: log, origin: log.name, witnesses: [witness] });
const entries = ['acquired disk image', 'sealed', 'transferred to AT-STA-WIEN'].map((s) => new TextEncoder().encode(s));
for (const e of entries) await store.append(e);
const proof = await store.prove(1);
const checkpoint = await store.checkpoint();
await store.close();
console.log(checkpoint);

// The C2SP tlog-proof: inclusion proof + the cosigned checkpoint, verifiable with the public keys only.
const text = formatTlogProof({ index: proof.index, proof: proof.proof, checkpoint: proof.checkpoint });
const r = verifyTlogProof(text, { entry: entries[1]!, keys: { log: [formatVerifierKey(log)], witnesses: [formatVerifierKey(witness)], quorum: 1 } });
console.log(`tlog-proof for entry 1: ok ${r.ok}, cosigned by ${r.cosignedBy.map((w) => w.name).join(', ')}`);

// The RFC 9942 COSE receipt for the same inclusion.
const root = parseCheckpoint(parseNote(proof.checkpoint).text).root;
const receipt = issueInclusionReceipt({ index: proof.index, size: proof.size, proof: proof.proof, root }, logKey);
console.log(`COSE receipt: ${receipt.length} bytes, ok ${verifyReceipt(receipt, { key: logKey, entry: entries[1]! }).ok}`);
console.log(`wrong entry: ok ${verifyReceipt(receipt, { key: logKey, entry: entries[0]! }).ok}`);
rmSync(dir, { recursive: true, force: true });
