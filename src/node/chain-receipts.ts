/**
 * Receipts of a chain file, kept where `custos bundle create --receipts ID=DIR` finds them:
 * `<chain file>.receipts/<n>.tlog-proof` and `<n>.receipt.cose` (n = the event's index in its
 * chain, the bundle's names, see bundle/naming.ts), and `<n>.pending` (the log index) for an
 * event whose receipts are deferred.
 *
 * Deferred receipts: RFC 9942's CDDL has `inclusion-path: [ + bstr ]`, so an inclusion receipt
 * needs a tree of size >= 2 (see CustodyLog). An event logged while the log has one entry gets
 * `<n>.pending`; the next event logged for the chain, or the hand-over, issues its receipts.
 *
 * Witnesses: the checkpoint in each tlog-proof carries the cosignatures of co-located witness
 * keys (the log store cosigns with them) and of HTTP tlog-witnesses (`custos serve witness`),
 * asked with the consistency proof from the size they last cosigned. Nothing is stored that does
 * not verify: each tlog-proof is checked against the trust store's log key, witness keys and
 * quorum, and each COSE receipt against the log key, before it is written (fail closed at the
 * producer as the verifier will at the other end).
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { utf8 } from '../bytes.js';
import { parseReceiptName, receiptFileName } from '../bundle/naming.js';
import { CustosError, fail } from '../errors.js';
import type { TrustStore } from '../keys/trust.js';
import type { Cosigner } from '../log/cosignature.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { parseNote } from '../log/note.js';
import { parseVerifierKey } from '../log/notekeys.js';
import { verifyReceipt } from '../log/receipt.js';
import { formatTlogProof, parseTlogProof, verifyTlogProof } from '../log/tlogproof.js';
import { verifyCheckpoint } from '../log/witness.js';
import { collectCosignatures, type WitnessEndpoint } from '../server/publisher.js';
import { writeFileAtomic } from './files.js';
import { openLog } from './logstore.js';
import type { LogSigner, LogStore } from './logtypes.js';

/** The receipts directory of a chain file. */
export const receiptsDirOf = (chainFile: string): string => `${chainFile}.receipts`;

const PENDING = /^(0|[1-9][0-9]{0,8})\.pending$/;

/** A local log and the witnesses that cosign its checkpoints. */
export interface ChainLogOptions {
  /** The log directory (C2SP tlog-tiles layout). */
  readonly dir: string;
  /** The log's signing key (kept outside `dir`). */
  readonly signer: LogSigner;
  /** Co-located witness keys (type 0x04) the store cosigns every checkpoint with. */
  readonly cosigners?: readonly Cosigner[];
  /** HTTP tlog-witnesses; every one of them must cosign. */
  readonly witnesses?: readonly WitnessEndpoint[];
  /** Receipts are checked against its log key, witnesses and quorum before they are stored. */
  readonly trust: TrustStore;
}

/** An open log with its witnessing; see {@link withChainLog}. */
export interface ChainLog {
  readonly log: LogStore;
  /** The checkpoint text cosigned by every witness (cached per size). */
  witnessed(checkpoint: string): Promise<string>;
  readonly opts: ChainLogOptions;
}

/**
 * Opens the log (taking its lock) for `f` and closes it afterwards.
 *
 * @example
 * ```ts
 * await withChainLog({ dir: 'log', signer, trust, witnesses: [{ url, key }] }, (l) => logEvent(l, 'disk.chain.receipts', 0, event, [event]));
 * ```
 */
export async function withChainLog<T>(opts: ChainLogOptions, f: (l: ChainLog) => Promise<T>): Promise<T> {
  const log = await openLog(opts.dir, { signer: opts.signer, origin: opts.signer.name, mustExist: true, ...(opts.cosigners !== undefined ? { witnesses: opts.cosigners } : {}) });
  const cache = new Map<string, string>();
  const witnesses = opts.witnesses ?? [];
  const witnessed = async (checkpoint: string): Promise<string> => {
    if (witnesses.length === 0) return checkpoint;
    const hit = cache.get(checkpoint);
    if (hit !== undefined) return hit;
    const { note } = await collectCosignatures(checkpoint, {
      witnesses,
      quorum: witnesses.length,
      logKey: log.verifierKey,
      proof: async (a, b) => (await log.proveConsistency(a, b)).proof,
    });
    cache.set(checkpoint, note);
    return note;
  };
  try {
    return await f({ log, witnessed, opts });
  } finally {
    await log.close();
  }
}

function policyFor(l: ChainLog): ReturnType<TrustStore['checkpointPolicy']> {
  const origin = l.log.origin;
  const policy = l.opts.trust.checkpointPolicy(origin);
  if (policy.log.length === 0) fail('ERR_NOTE_UNVERIFIED', `the trust store lists no log with origin ${origin} (custos trust add --log VKEY)`);
  return policy;
}

/**
 * Appends a signed event (number `n` of its chain) to the log and stores its receipts in
 * `dir`, or `<n>.pending` when the tree is too small; then issues every pending receipt of
 * `dir` the tree now allows. `events` are the chain's events including this one.
 */
export async function logEvent(l: ChainLog, dir: string, n: number, event: Uint8Array, events: readonly Uint8Array[]): Promise<{ index: number; issued: number[]; pending: number[] }> {
  policyFor(l); // refuse before appending to a log the verifier will not trust
  await fs.mkdir(dir, { recursive: true });
  await clearEvent(dir, n);
  const { index } = await l.log.append(event);
  await writeFileAtomic(join(dir, `${n}.pending`), utf8(`${index}\n`), 0o644);
  return { index, ...(await issuePending(l, dir, events)) };
}

/** Removes what an earlier attempt left for event `n` (an event not written to its chain file). */
async function clearEvent(dir: string, n: number): Promise<void> {
  for (const kind of ['pending', 'tlog-proof', 'receipt.cose']) await fs.rm(join(dir, `${n}.${kind}`), { force: true });
}

/** Issues the receipts of every `<n>.pending` in `dir` the log's size allows. */
export async function issuePending(l: ChainLog, dir: string, events: readonly Uint8Array[]): Promise<{ issued: number[]; pending: number[] }> {
  const issued: number[] = [];
  const pending: number[] = [];
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const m = PENDING.exec(name);
    if (m === null) continue;
    const n = Number(m[1]);
    const text = await fs.readFile(join(dir, name), 'utf8');
    const im = /^(0|[1-9][0-9]{0,15})\n$/.exec(text);
    if (im === null) fail('ERR_RECEIPT_MALFORMED', `${join(dir, name)} does not hold a log index`);
    const index = Number(im[1]);
    const entry = events[n];
    if (entry === undefined) fail('ERR_RECEIPT_INVALID', `${join(dir, name)} names event ${n}, which the chain does not have`);
    if (l.log.size < 2) {
      pending.push(n);
      continue;
    }
    const rc = await l.log.receipt(index);
    const proof = parseTlogProof(rc.tlogProof);
    const tlogProof = formatTlogProof({ index, proof: proof.proof, checkpoint: await l.witnessed(proof.checkpoint) });
    const policy = policyFor(l);
    const rep = verifyTlogProof(tlogProof, { entry, keys: policy });
    if (!rep.ok || rep.checkpoint === undefined) {
      const f = rep.checks.find((c) => !c.ok);
      throw new CustosError(f?.code ?? 'ERR_RECEIPT_INVALID', `the receipt of event ${n} does not verify against the trust store: ${f?.check}: ${f?.detail ?? ''}`);
    }
    const cose = verifyReceipt(rc.cose, { key: { alg: 'EdDSA', publicKey: parseVerifierKey(l.log.verifierKey).publicKey }, entry, checkpoint: { size: rep.checkpoint.size, root: rep.checkpoint.root } });
    if (!cose.ok) fail('ERR_RECEIPT_INVALID', `the COSE receipt of event ${n} does not verify`);
    await writeFileAtomic(join(dir, receiptFileName(n, 'tlog-proof')), utf8(tlogProof), 0o644);
    await writeFileAtomic(join(dir, receiptFileName(n, 'receipt.cose')), rc.cose, 0o644);
    await fs.rm(join(dir, name), { force: true });
    issued.push(n);
  }
  return { issued, pending };
}

/** The receipt files of a receipts directory, as `createBundle` takes them; refuses pending ones. */
export async function readReceiptsDir(dir: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${dir}`, { cause: e });
  }
  const pending = names.filter((n) => PENDING.test(n));
  if (pending.length > 0) fail('ERR_RECEIPT_DEFERRED', `${dir} has deferred receipts (${pending.join(', ')}): run custos custody handover first`);
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const name of names.sort()) {
    if (parseReceiptName(name) === undefined) continue;
    try {
      out.push({ name, bytes: new Uint8Array(await fs.readFile(join(dir, name))) });
    } catch (e) {
      throw new CustosError('ERR_IO', `cannot read ${join(dir, name)}`, { cause: e });
    }
  }
  return out;
}

/** What {@link handOver} wrote. */
export interface HandOverResult {
  readonly checkpoint: string;
  readonly size: number;
  readonly consistency: readonly { readonly oldSize: number; readonly file: string }[];
  readonly issued: readonly { readonly dir: string; readonly events: readonly number[] }[];
}

/**
 * The hand-over: issues every deferred receipt of the chains (`[receipts dir, chain events]`),
 * then writes to `out` the newest checkpoint cosigned by the witnesses (`checkpoint`) and the
 * RFC 9942 consistency receipts from every tree size a receipt was issued against to it
 * (`consistency-<oldSize>.receipt.cose`): what `bundle create --handover DIR` takes.
 */
export async function handOver(l: ChainLog, chains: readonly { readonly dir: string; readonly events: readonly Uint8Array[] }[], out: string): Promise<HandOverResult> {
  const issued: { dir: string; events: number[] }[] = [];
  for (const c of chains) {
    const r = await issuePending(l, c.dir, c.events);
    if (r.pending.length > 0) fail('ERR_RECEIPT_DEFERRED', 'the log has one entry: an RFC 9942 inclusion receipt needs a tree of size >= 2 (append another entry first)');
    issued.push({ dir: c.dir, events: r.issued });
  }
  const checkpoint = await l.witnessed(await l.log.checkpoint());
  const rep = verifyCheckpoint(checkpoint, policyFor(l));
  if (!rep.ok || rep.checkpoint === undefined) {
    const f = rep.checks.find((c) => !c.ok);
    throw new CustosError(f?.code ?? 'ERR_WITNESS_QUORUM', `the newest checkpoint does not verify against the trust store: ${f?.detail ?? ''}`);
  }
  const size = rep.checkpoint.size;
  const sizes = new Set<number>();
  for (const c of chains) {
    for (const name of await fs.readdir(c.dir).catch(() => [] as string[])) {
      if (parseReceiptName(name)?.kind !== 'tlog-proof') continue;
      const p = parseTlogProof(await fs.readFile(join(c.dir, name), 'utf8'));
      sizes.add(parseCheckpoint(parseNote(p.checkpoint).text).size);
    }
  }
  await fs.mkdir(out, { recursive: true });
  const consistency: { oldSize: number; file: string }[] = [];
  for (const oldSize of [...sizes].sort((a, b) => a - b)) {
    if (oldSize >= size) continue;
    const file = join(out, `consistency-${oldSize}.receipt.cose`);
    await writeFileAtomic(file, await l.log.consistencyReceipt(oldSize, size), 0o644);
    consistency.push({ oldSize, file });
  }
  await writeFileAtomic(join(out, 'checkpoint'), utf8(checkpoint), 0o644);
  return { checkpoint, size, consistency, issued };
}

/** The checkpoint and consistency receipts a hand-over directory holds, as `createBundle` takes them. */
export async function readHandOverDir(dir: string): Promise<{ checkpoints: { name: string; text: string }[]; consistency: { oldSize: number; receipt: Uint8Array }[] }> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${dir}`, { cause: e });
  }
  if (!names.includes('checkpoint')) fail('ERR_IO', `${dir} has no checkpoint (run custos custody handover)`);
  const checkpoints = [{ name: 'checkpoint', text: await fs.readFile(join(dir, 'checkpoint'), 'utf8') }];
  const consistency: { oldSize: number; receipt: Uint8Array }[] = [];
  for (const name of names.sort()) {
    const m = /^consistency-([1-9][0-9]{0,15})\.receipt\.cose$/.exec(name);
    if (m !== null) consistency.push({ oldSize: Number(m[1]), receipt: new Uint8Array(await fs.readFile(join(dir, name))) });
  }
  return { checkpoints, consistency };
}
