/**
 * A whole exchange built from the public library functions, with the executing authority's key
 * given as any Signer (a token key, a KMS stub, an in-memory key): custody events logged to a
 * transparency log (whose checkpoint key may be on the token too), an item sealed, a record
 * committed and presented, receipts issued, the bundle created with custos/node createBundle and
 * verified by the requesting side with the ordinary verifier, then opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendEvent,
  createChain,
  formatTlogProof,
  formatVerifierKey,
  generateIdentity,
  noteSigner,
  NOTE_TYPE_COSIGNATURE,
  sealItem,
  serializeChain,
  sha256,
  SigningKey,
  TrustStore,
  trustedKeyEntry,
  commitRecord,
  presentRecord,
  bytes,
  type CustodyChain,
  type CustodyEventInput,
  type Signer,
} from '../../../src/index.js';
import { createBundle, openBundleItem, openLog, verifyBundle } from '../../../src/node/index.js';
import { memoryOutput } from '../../../src/bundle/index.js';

export interface ExchangeResult {
  readonly ok: boolean;
  readonly failed: string[];
  readonly plaintextMatches: boolean;
  readonly checks: string[];
  /** The kid the bundle manifest was signed with. */
  readonly manifestKid: Uint8Array;
}

/** Runs the exchange with `executor` signing events, seal, record, presentation and manifest. */
export async function runExchange(executor: Signer, opts: { logSigner?: Signer } = {}): Promise<ExchangeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-exchange-'));
  try {
    const EXEC = 'IE-GARDA';
    const REQ = 'AT-STA-WIEN';
    const requester = SigningKey.generate();
    const requesterAge = generateIdentity();
    const origin = 'log.example.ie/custody';
    const logKey = noteSigner(origin, opts.logSigner ?? SigningKey.generate());
    const witnessKey = noteSigner('witness.example.eu/w1', SigningKey.generate(), NOTE_TYPE_COSIGNATURE);
    const since = new Date(Date.now() - 3_600_000);
    const trust = TrustStore.parse({
      version: 1,
      authorities: [
        { id: EXEC, name: 'Executing authority', jurisdiction: 'IE', roles: ['collector', 'custodian', 'disclosure-officer'], keys: [trustedKeyEntry(executor.alg, executor.publicKey, since)] },
        { id: REQ, name: 'Requesting authority', jurisdiction: 'AT', roles: ['custodian', 'prosecutor'], keys: [trustedKeyEntry(requester.alg, requester.publicKey, since)] },
      ],
      logs: [{ origin, vkey: formatVerifierKey(logKey) }],
      witnesses: [{ name: 'witness.example.eu/w1', vkey: formatVerifierKey(witnessKey) }],
      witnessQuorum: 1,
    });
    const log = await openLog(join(dir, 'log'), { signer: logKey, origin, witnesses: [witnessKey] });
    // An RFC 9942 inclusion receipt needs a tree of size >= 2 (a one-entry tree's empty path is
    // outside the CDDL): the log's first entry is not a custody event.
    await log.append(bytes.utf8('log opened'));
    const receipts: { name: string; bytes: Uint8Array }[] = [];
    const purpose = 'CRIM-INV';
    const actor = { authority: EXEC, role: 'custodian' };
    const add = async (chain: CustodyChain, input: CustodyEventInput): Promise<CustodyChain> => {
      const r = await appendEvent(chain, input, executor, { trust });
      const { index } = await log.append(r.event);
      const pr = await log.prove(index);
      const n = r.chain.events.length - 1;
      receipts.push({ name: `${n}.tlog-proof`, bytes: bytes.utf8(formatTlogProof({ index: pr.index, proof: pr.proof, checkpoint: pr.checkpoint })) });
      receipts.push({ name: `${n}.receipt.cose`, bytes: await log.receipt(index).then((x) => x.cose) });
      return r.chain;
    };

    // A structured record, committed and presented (the item the requester receives).
    const committed = await commitRecord({ account: 'acc-17', subscriber: { name: 'A. Person', phone: '+353 1 000' } }, { redactable: ['subscriber.name', 'subscriber.phone'], signer: executor });
    const chosen = committed.disclosures.filter((d) => d.path === 'subscriber.name');
    const presentation = await presentRecord(committed, chosen, { audience: REQ, requestId: 'EIO-2026-771', purpose, nonce: 'n-1', signer: executor });
    const sealed = await sealItem(presentation, {
      recipients: [requesterAge.recipient],
      signer: executor,
      authority: EXEC,
      id: 'subscriber',
      mediaType: 'application/vnd.custos.presentation+cbor',
      context: { caseId: '12 St 34/26', requestId: 'EIO-2026-771', purpose, legalBasis: 'Directive 2014/41/EU' },
    });
    let chain = createChain('EIO-2026-771/subscriber');
    chain = await add(chain, { type: 'collected', actor: { ...actor, role: 'collector' }, purpose, digests: { 'sha-256': sha256(presentation) } });
    chain = await add(chain, { type: 'sealed', actor, purpose, digests: { 'sha-256': sha256(presentation) }, seals: [`seal-sha256:${bytes.toHex(sha256(sealed.seal)).slice(0, 32)}`] });
    chain = await add(chain, { type: 'transferred', actor, purpose, counterparty: { authority: REQ, role: 'custodian', kid: requester.kid } });
    const checkpoint = await log.checkpoint();
    // Receipts were issued against sizes 2 and 3: consistency receipts link them to the newest.
    const consistency = [];
    for (const oldSize of [2, 3]) consistency.push({ oldSize, receipt: await log.consistencyReceipt(oldSize) });
    await log.close();

    const path = join(dir, 'bundle.tar');
    const manifest = await createBundle(path, {
      signer: executor,
      issuer: EXEC,
      request: 'EIO-2026-771',
      case: '12 St 34/26',
      items: [{ id: 'subscriber', encrypted: sealed.ciphertext, seal: sealed.seal, custody: serializeChain(chain), receipts, mediaType: 'application/vnd.custos.presentation+cbor' }],
      checkpoints: [{ name: 'checkpoint', text: checkpoint }],
      consistency,
    });
    void manifest;
    const report = await verifyBundle(path, { trust, policy: { audience: REQ } });
    const out = memoryOutput();
    await openBundleItem(path, 'subscriber', { trust, identities: [requesterAge.identity], output: out, expect: { request: 'EIO-2026-771', purpose }, policy: { audience: REQ } });
    const got = Buffer.from(out.bytes());
    return {
      ok: report.ok,
      failed: report.checks.filter((c) => !c.ok).map((c) => `${c.check}:${c.code}`),
      checks: report.checks.map((c) => c.check),
      plaintextMatches: got.equals(Buffer.from(presentation)),
      manifestKid: executor.kid,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
