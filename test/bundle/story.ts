/**
 * A complete bundle as the default policy requires it (issue 17), built from real parts: a seal
 * per item, a custody chain `<request>/<item>` whose events state the plaintext SHA-256 and the
 * purpose, each event logged with its receipts in a witnessed log, consistency receipts to the
 * newest checkpoint, and a last transfer to the recipient authority. Every field an attack
 * changes is an option, so each test builds exactly the bundle it attacks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as crypto from '#crypto';
import { utf8 } from '../../src/bytes.js';
import { appendEvent, createChain, serializeChain, type CustodyChain } from '../../src/custody/index.js';
import { generateIdentity } from '../../src/keys/age.js';
import { SigningKey } from '../../src/keys/signing.js';
import { TrustStore, trustedKeyEntry } from '../../src/keys/trust.js';
import { formatTlogProof, formatVerifierKey, issueConsistencyReceipt, issueInclusionReceipt, noteSigner, NOTE_TYPE_COSIGNATURE, parseCheckpoint, parseNote } from '../../src/log/index.js';
import { openLog } from '../../src/node/logstore.js';
import { createBundle, type BundleItemInput } from '../../src/node/bundle.js';
import { sealItem } from '../../src/seal/seal.js';

export const sender = SigningKey.generate();
export const receiver = SigningKey.generate();
export const recipient = generateIdentity();
const logSigning = SigningKey.generate();
const logKey = noteSigner('log.test/custody', logSigning);
const witness = noteSigner('witness.test', SigningKey.generate(), NOTE_TYPE_COSIGNATURE);
const since = new Date(Date.now() - 30 * 86400_000);
/** A second key of the sender, never revoked (for a manifest signed apart from the seals and events). */
export const senderManifestKey = SigningKey.generate();
/** The trust store, with the sender's key revoked at `revokedAt` when given. */
export function trustWith(revokedAt?: Date): TrustStore {
  const entry = trustedKeyEntry(sender.alg, sender.publicKey, since);
  const second = trustedKeyEntry(senderManifestKey.alg, senderManifestKey.publicKey, since);
  return TrustStore.parse({
  version: 1,
  authorities: [
    { id: 'IE-P', name: 'Provider', jurisdiction: 'IE', roles: ['collector', 'custodian'], keys: [revokedAt !== undefined ? { ...entry, revokedAt: revokedAt.toISOString() } : entry, second] },
    { id: 'AT-R', name: 'Requester', jurisdiction: 'AT', roles: ['custodian'], keys: [trustedKeyEntry(receiver.alg, receiver.publicKey, since)] },
  ],
  logs: [{ origin: logKey.name, vkey: formatVerifierKey(logKey) }],
  witnesses: [{ name: witness.name, vkey: formatVerifierKey(witness) }],
  witnessQuorum: 1,
  });
}
export const trust = trustWith();

export interface ItemSpec {
  readonly id: string;
  readonly plain?: Uint8Array;
  /** Seal context request/case/purpose (default: the bundle's). */
  readonly seal?: { readonly requestId?: string; readonly caseId?: string; readonly purpose?: string };
  readonly chainId?: string;
  /** The purpose the custody events state (default: the bundle's). */
  readonly eventPurpose?: string;
  /** State the plaintext SHA-256 in the chain (default true); a Uint8Array states that digest. */
  readonly digest?: boolean | Uint8Array;
  /** Log the events and carry their receipts (default true). */
  readonly logged?: boolean;
  /** The last event: a transfer to this authority (default AT-R); null: none. */
  readonly transferTo?: string | null;
}

export interface StorySpec {
  readonly request?: string;
  readonly case?: string;
  readonly purpose?: string;
  readonly items?: readonly ItemSpec[];
  readonly issuer?: string;
  readonly signer?: SigningKey;
  /** The time every signature states (events, seals, manifest): default now. */
  readonly dated?: Date;
}

/** Builds the bundle in a new temp dir (the caller removes `dir`). */
export async function story(spec: StorySpec = {}, dir = mkdtempSync(join(tmpdir(), 'custos-story-'))): Promise<{ path: string; dir: string; inputs: BundleItemInput[]; args: Parameters<typeof createBundle>[1] }> {
  const request = spec.request ?? 'REQ-1';
  const kase = spec.case ?? 'CASE-1';
  const purpose = spec.purpose ?? 'investigation';
  const log = await openLog(join(dir, `log-${Math.random().toString(36).slice(2)}`), { signer: logKey, origin: logKey.name, witnesses: [witness] });
  // An RFC 9942 inclusion receipt needs a tree of size >= 2 (a one-entry tree's empty path is
  // outside the CDDL): the log's first entry is not a custody event.
  await log.append(utf8('log opened'));
  const inputs: BundleItemInput[] = [];
  const sizes = new Set<number>();
  for (const it of spec.items ?? [{ id: 'disk' }]) {
    const plain = it.plain ?? crypto.randomBytes(1000);
    const context = { caseId: it.seal?.caseId ?? kase, requestId: it.seal?.requestId ?? request, purpose: it.seal?.purpose ?? purpose, legalBasis: 'test' };
    const { ciphertext, seal } = await sealItem(plain, { recipients: [recipient.recipient], signer: sender, authority: 'IE-P', id: it.id, context, ...(spec.dated !== undefined ? { created: spec.dated } : {}) });
    const ep = it.eventPurpose ?? purpose;
    const digest = it.digest === undefined || it.digest === true ? crypto.sha256(plain) : it.digest === false ? undefined : it.digest;
    let chain: CustodyChain = createChain(it.chainId ?? `${request}/${it.id}`);
    const receipts: { name: string; bytes: Uint8Array }[] = [];
    const add = async (input: Parameters<typeof appendEvent>[1]): Promise<void> => {
      const r = appendEvent(chain, spec.dated !== undefined ? { ...input, time: spec.dated } : input, sender, { trust });
      chain = r.chain;
      if (it.logged === false) return;
      const { index } = await log.append(r.event);
      const pr = await log.prove(index);
      const root = parseCheckpoint(parseNote(pr.checkpoint).text).root;
      const n = chain.events.length - 1;
      receipts.push({ name: `${n}.tlog-proof`, bytes: utf8(formatTlogProof({ index: pr.index, proof: pr.proof, checkpoint: pr.checkpoint })) });
      receipts.push({ name: `${n}.receipt.cose`, bytes: issueInclusionReceipt({ index: pr.index, size: pr.size, proof: pr.proof, root }, logSigning) });
      sizes.add(pr.size);
    };
    await add({ type: 'collected', actor: { authority: 'IE-P', role: 'collector' }, purpose: ep, ...(digest !== undefined ? { digests: { 'sha-256': digest } } : {}) });
    const to = it.transferTo === undefined ? 'AT-R' : it.transferTo;
    if (to !== null) {
      const key = to === 'AT-R' ? receiver : SigningKey.generate();
      await add({ type: 'transferred', actor: { authority: 'IE-P', role: 'custodian' }, purpose: ep, counterparty: { authority: to, role: 'custodian', kid: key.kid } });
    }
    inputs.push({ id: it.id, encrypted: ciphertext, seal, custody: serializeChain(chain), ...(receipts.length > 0 ? { receipts } : {}) });
  }
  const checkpoint = await log.checkpoint();
  const top = parseCheckpoint(parseNote(checkpoint).text);
  const consistency: { oldSize: number; receipt: Uint8Array }[] = [];
  for (const oldSize of [...sizes].sort((a, b) => a - b)) {
    if (oldSize >= top.size) continue;
    const c = await log.proveConsistency(oldSize, top.size);
    consistency.push({ oldSize, receipt: issueConsistencyReceipt({ oldSize, newSize: top.size, proof: c.proof, newRoot: top.root }, logSigning) });
  }
  await log.close();
  const path = join(dir, `bundle-${inputs.map((i) => i.id).join('-')}-${Date.now()}-${Math.random().toString(36).slice(2)}.tar`);
  const args = { signer: spec.signer ?? sender, issuer: spec.issuer ?? 'IE-P', request, case: kase, ...(spec.dated !== undefined ? { created: spec.dated } : {}), items: inputs, checkpoints: [{ name: 'checkpoint', text: checkpoint }], consistency };
  await createBundle(path, args);
  return { path, dir, inputs, args };
}

/** A checkpoint of the same log key over other entries (a fork), cosigned by the same witness. */
export async function forkCheckpoint(dir: string, entries: number): Promise<string> {
  const log = await openLog(join(dir, `fork-${Math.random().toString(36).slice(2)}`), { signer: logKey, origin: logKey.name, witnesses: [witness] });
  for (let i = 0; i < entries; i++) await log.append(crypto.randomBytes(40));
  const cp = await log.checkpoint();
  await log.close();
  return cp;
}

/** The checkpoint inside a tlog-proof receipt (the tree the event was first included in). */
export function proofCheckpoint(tlogProof: Uint8Array): string {
  const text = new TextDecoder().decode(tlogProof);
  return text.slice(text.indexOf('\n\n') + 2);
}
