/**
 * CustodyLog: the event → log → receipt glue. Attacks / failure modes: a receipt for a one-entry
 * tree (outside the RFC 9942 CDDL: empty inclusion path) is never issued; receipts are named for
 * the event they prove (a receipt under another event's name fails custody.logged); a bundle
 * built from the glue's output verifies, with every event logged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decode } from '../../src/cbor.js';
import { decodeSign1 } from '../../src/cose/sign1.js';
import { appendEvent, createChain, serializeChain } from '../../src/custody/index.js';
import { encrypt } from '../../src/envelope/index.js';
import { generateIdentity } from '../../src/keys/age.js';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { formatVerifierKey, noteSigner } from '../../src/log/index.js';
import { CustodyLog } from '../../src/node/custody-log.js';
import { openLog } from '../../src/node/logstore.js';
import { createBundle, verifyBundle } from '../../src/node/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'custos-custody-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CustodyLog', () => {
  it('defers the receipt of a one-entry tree, names receipts by event, and its bundle verifies', async () => {
    const key = SigningKey.generate();
    const log = noteSigner('log.test/custody', SigningKey.generate());
    const trust = TrustStore.parse({
      version: 1,
      authorities: [{ id: 'IE-P', name: 'P', jurisdiction: 'IE', roles: ['collector', 'custodian'], keys: [trustedKeyEntry(key.alg, key.publicKey, new Date(Date.now() - 60_000))] }],
      logs: [{ origin: log.name, vkey: formatVerifierKey(log) }],
    });
    const store = await openLog(join(dir, 'log'), { signer: log, origin: log.name });
    const cl = new CustodyLog(store);
    let chain = createChain('c/x');
    const first = appendEvent(chain, { type: 'collected', actor: { authority: 'IE-P', role: 'collector' } }, key);
    chain = first.chain;
    await cl.record('x', 0, first.event);
    expect(cl.receiptsFor('x')).toEqual([]); // tree of size 1: no receipt yet
    await expect(cl.handOver()).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const second = appendEvent(chain, { type: 'sealed', actor: { authority: 'IE-P', role: 'custodian' } }, key);
    chain = second.chain;
    await cl.record('x', 1, second.event);
    const receipts = cl.receiptsFor('x');
    expect(receipts.map((r) => r.name).sort()).toEqual(['0.receipt.cose', '0.tlog-proof', '1.receipt.cose', '1.tlog-proof']);
    for (const r of receipts.filter((x) => x.name.endsWith('.cose'))) {
      const vdp = decodeSign1(r.bytes).unprotectedHeaders.get(396) as Map<number, Uint8Array[]>;
      const [size, , path] = decode(vdp.get(-1)![0]!) as [number, number, Uint8Array[]];
      expect(size).toBeGreaterThanOrEqual(2);
      expect(path.length).toBeGreaterThan(0); // inside inclusion-path: [ + bstr ]
    }
    const h = await cl.handOver();
    await store.close();
    expect(h.size).toBe(2);
    const item = { id: 'x', encrypted: await encrypt(new Uint8Array([1, 2, 3]), [generateIdentity().recipient]), custody: serializeChain(chain), receipts };
    const path = join(dir, 'b.tar');
    await createBundle(path, { signer: key, issuer: 'IE-P', items: [item], checkpoints: [{ name: 'checkpoint', text: h.checkpoint }], consistency: h.consistency });
    const rep = await verifyBundle(path, { trust, policy: { waive: ['seal', 'custody.digest', 'binding'] } });
    expect(rep.checks.filter((c) => !c.ok)).toEqual([]);
    expect(rep.checks.find((c) => c.check === 'custody.logged')?.ok).toBe(true);
    // a receipt filed under another event's number does not count for it
    const swapped = receipts.map((r) => ({ ...r, name: r.name.replace(/^0\./, 'tmp.').replace(/^1\./, '0.').replace(/^tmp\./, '1.') }));
    await createBundle(join(dir, 's.tar'), { signer: key, issuer: 'IE-P', items: [{ ...item, receipts: swapped }], checkpoints: [{ name: 'checkpoint', text: h.checkpoint }] });
    const bad = await verifyBundle(join(dir, 's.tar'), { trust, policy: { waive: ['seal', 'custody.digest', 'binding'] } });
    expect(bad.ok).toBe(false);
    expect(bad.checks.filter((c) => !c.ok).map((c) => c.check)).toContain('custody.logged');
  });
});
