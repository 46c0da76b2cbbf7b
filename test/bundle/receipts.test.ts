/** Receipts in bundles: inclusion at the time of logging, consistency up to the newest checkpoint. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { appendEvent, createChain, serializeChain } from '../../src/custody/index.js';
import { SigningKey } from '../../src/keys/signing.js';
import { generateIdentity } from '../../src/keys/age.js';
import { encrypt } from '../../src/envelope/index.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { formatVerifierKey, noteSigner, parseCheckpoint, parseNote, formatTlogProof, issueInclusionReceipt, issueConsistencyReceipt } from '../../src/log/index.js';
import { openLog } from '../../src/node/logstore.js';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('bundle receipts', () => {
  it('receipts against older checkpoints need a consistency receipt to the newest one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-rc-'));
    made.push(dir);
    const key = SigningKey.generate();
    const logKey = SigningKey.generate();
    const log = noteSigner('log.test/custody', logKey);
    const trust = TrustStore.parse({
      version: 1,
      authorities: [{ id: 'IE-P', name: 'P', jurisdiction: 'IE', roles: ['collector', 'custodian'], keys: [trustedKeyEntry(key.alg, key.publicKey, new Date(Date.now() - 60_000))] }],
      logs: [{ origin: log.name, vkey: formatVerifierKey(log) }],
    });
    const store = await openLog(join(dir, 'log'), { signer: log, origin: log.name });
    let chain = createChain('c/x');
    const receipts: { name: string; bytes: Uint8Array }[] = [];
    const sizes: number[] = [];
    // an earlier entry first: inclusion receipts are issued against trees of size >= 2 (RFC 9942 CDDL)
    await store.append(utf8('an earlier entry'));
    for (const type of ['collected', 'sealed'] as const) {
      const r = appendEvent(chain, { type, actor: { authority: 'IE-P', role: type === 'collected' ? 'collector' : 'custodian' } }, key);
      chain = r.chain;
      const { index } = await store.append(r.event);
      const p = await store.prove(index);
      const root = parseCheckpoint(parseNote(p.checkpoint).text).root;
      const n = chain.events.length - 1;
      receipts.push({ name: `${n}.tlog-proof`, bytes: utf8(formatTlogProof({ index: p.index, proof: p.proof, checkpoint: p.checkpoint })) });
      receipts.push({ name: `${n}.receipt.cose`, bytes: issueInclusionReceipt({ index: p.index, size: p.size, proof: p.proof, root }, logKey) });
      sizes.push(p.size);
    }
    await store.append(utf8('another entry'));
    const newest = await store.checkpoint();
    const cp = parseCheckpoint(parseNote(newest).text);
    const consistency = [];
    for (const oldSize of sizes) {
      const c = await store.proveConsistency(oldSize, cp.size);
      consistency.push({ oldSize, receipt: issueConsistencyReceipt({ oldSize, newSize: cp.size, proof: c.proof, newRoot: cp.root }, logKey) });
    }
    await store.close();
    // a bundle item is an age file (the manifest signs its header and payload digests)
    const item = { id: 'x', encrypted: await encrypt(new Uint8Array([1, 2, 3]), [generateIdentity().recipient]), custody: serializeChain(chain), receipts };
    const base = { signer: key, issuer: 'IE-P', items: [item], checkpoints: [{ name: 'checkpoint', text: newest }] };
    const policy = { requireSeal: false, waive: ['custody.digest', 'binding'] }; // this test is about receipts

    await createBundle(join(dir, 'a.tar'), { ...base, consistency });
    const good = await verifyBundle(join(dir, 'a.tar'), { trust, policy });
    expect(good.checks.filter((c) => !c.ok)).toEqual([]);
    expect(good.checks.filter((c) => c.check === 'receipt' && c.ok)).toHaveLength(4);

    await createBundle(join(dir, 'b.tar'), base);
    const none = await verifyBundle(join(dir, 'b.tar'), { trust, policy });
    expect(none.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`)).toEqual([
      'receipt.consistency:ERR_CONSISTENCY',
      'receipt.consistency:ERR_CONSISTENCY',
      'receipt.consistency:ERR_CONSISTENCY',
      'receipt.consistency:ERR_CONSISTENCY',
      'custody.logged:ERR_RECEIPT_INVALID',
    ]);

    // A consistency receipt for the wrong old size does not help.
    await createBundle(join(dir, 'c.tar'), { ...base, consistency: [{ oldSize: sizes[0]!, receipt: consistency[1]!.receipt }, consistency[1]!] });
    const wrong = await verifyBundle(join(dir, 'c.tar'), { trust, policy });
    expect(wrong.checks.filter((c) => !c.ok).map((c) => c.check)).toContain('receipt.consistency');
    rmSync(dir, { recursive: true, force: true });
  });
});
