/**
 * RFC 9942 COSE Receipts for the RFC9162_SHA256 verifiable data structure.
 *
 * A receipt is a COSE_Sign1 whose protected header carries the algorithm (1) and
 * `vds` (395) = 1 (RFC9162_SHA256), whose unprotected header carries `vdp` (396) = a map with
 * inclusion proofs under −1 (each `bstr .cbor [tree_size, leaf_index, [path…]]`, RFC 9942 §5.2)
 * or consistency proofs under −2 (each `bstr .cbor [tree_size_1, tree_size_2, [path…]]`, §5.3),
 * and whose payload is detached: it is the Merkle root, which the verifier recomputes from the
 * proof and the leaf, so a receipt only verifies for the leaf it was issued for.
 *
 * Leaf derivation in custos: a log entry is the exact byte string that was appended (stored
 * verbatim in the entry bundles) and its Merkle leaf hash is SHA-256(0x00 ‖ entry) (RFC 9162
 * §2.1.1). Custody and request status events are appended as their COSE_Sign1 bytes. For
 * SCITT-style receipts over a Signed Statement (as in the scitt-cose vectors) the entry is the
 * 32-byte SHA-256 of the statement bytes: see {@link statementEntry}.
 */
import * as crypto from '#crypto';
import { assertBytes, equalBytes } from '../bytes.js';
import { decode, encode } from '../cbor.js';
import { decodeSign1, signSign1, verifySign1, type HeaderMap, type Sign1 } from '../cose/sign1.js';
import { CustosError, fail, type ErrorCode } from '../errors.js';
import type { SignatureAlg, Signer } from '../keys/signing.js';
import type { Signed } from '../keys/signed.js';
import { HASH_SIZE, inclusionProofLength, leafHash as rfcLeafHash, rootFromInclusion, rootsFromConsistency } from './merkle.js';
import { Checks, type LogReport } from './report.js';

/** COSE header label `vds` (verifiable data structure). */
export const HEADER_VDS = 395;
/** COSE header label `vdp` (verifiable data structure proofs). */
export const HEADER_VDP = 396;
/** The RFC9162_SHA256 verifiable data structure. */
export const VDS_RFC9162_SHA256 = 1;
/** vdp key for inclusion proofs. */
export const VDP_INCLUSION = -1;
/** vdp key for consistency proofs. */
export const VDP_CONSISTENCY = -2;

/** The log entry custos uses for a SCITT Signed Statement: SHA-256 of its bytes. */
export function statementEntry(statement: Uint8Array): Uint8Array {
  return crypto.sha256(assertBytes('statement', statement));
}

function checkHashes(name: string, hs: readonly Uint8Array[]): void {
  if (!Array.isArray(hs)) fail('ERR_INVALID_ARGUMENT', `"${name}" expected an array`);
  for (const h of hs) assertBytes(name, h, HASH_SIZE);
}

/**
 * Issues an inclusion receipt: a COSE_Sign1 by the log over the (detached) root.
 *
 * @example
 * ```ts
 * const p = await log.prove(index);
 * const receipt = issueInclusionReceipt({ ...p, root }, logCoseKey);
 * ```
 */
export function issueInclusionReceipt<S extends Signer>(
  p: { readonly index: number; readonly size: number; readonly proof: readonly Uint8Array[]; readonly root: Uint8Array },
  signer: S,
  opts: { readonly protectedHeaders?: HeaderMap } = {},
): Signed<S, Uint8Array> {
  if (!Number.isSafeInteger(p.size) || !Number.isSafeInteger(p.index) || p.index < 0 || p.index >= p.size) fail('ERR_INVALID_ARGUMENT', 'index must be below size');
  // RFC 9942 §5.2: inclusion-path = [ + bstr ]. A one-entry tree's path is empty, which the CDDL
  // cannot express and a strict peer rejects: receipts are issued against trees of size >= 2.
  if (p.size < 2) fail('ERR_INVALID_ARGUMENT', 'an inclusion receipt needs a tree of size >= 2 (a one-entry tree has an empty inclusion path, outside the RFC 9942 CDDL)');
  checkHashes('proof', p.proof);
  assertBytes('root', p.root, HASH_SIZE);
  if (p.proof.length !== inclusionProofLength(p.index, p.size)) fail('ERR_INVALID_ARGUMENT', 'proof has the wrong length for index and size');
  const vdp = new Map<number, unknown>([[VDP_INCLUSION, [encode([p.size, p.index, [...p.proof]])]]]);
  return sign(signer, p.root, vdp, opts);
}

/** Issues a consistency receipt from `oldSize` to `newSize`; the detached payload is the new root. */
export function issueConsistencyReceipt<S extends Signer>(
  p: { readonly oldSize: number; readonly newSize: number; readonly proof: readonly Uint8Array[]; readonly newRoot: Uint8Array },
  signer: S,
  opts: { readonly protectedHeaders?: HeaderMap } = {},
): Signed<S, Uint8Array> {
  if (!Number.isSafeInteger(p.oldSize) || !Number.isSafeInteger(p.newSize) || p.oldSize < 1 || p.oldSize > p.newSize) fail('ERR_INVALID_ARGUMENT', '0 < oldSize ≤ newSize required');
  checkHashes('proof', p.proof);
  assertBytes('newRoot', p.newRoot, HASH_SIZE);
  const vdp = new Map<number, unknown>([[VDP_CONSISTENCY, [encode([p.oldSize, p.newSize, [...p.proof]])]]]);
  return sign(signer, p.newRoot, vdp, opts);
}

function sign<S extends Signer>(signer: S, root: Uint8Array, vdp: Map<number, unknown>, opts: { readonly protectedHeaders?: HeaderMap }): Signed<S, Uint8Array> {
  const prot: HeaderMap = new Map(opts.protectedHeaders ?? []);
  prot.set(HEADER_VDS, VDS_RFC9162_SHA256);
  return signSign1(root, signer, { protectedHeaders: prot, unprotectedHeaders: new Map([[HEADER_VDP, vdp]]), detached: true });
}

export interface ReceiptReport extends LogReport {
  readonly kind?: 'inclusion' | 'consistency';
  readonly treeSize?: number;
  readonly leafIndex?: number;
  readonly oldSize?: number;
  /** The root the receipt commits to (recomputed), when the proof was well-formed. */
  readonly root?: Uint8Array;
  /**
   * True only when `treeSize` (and so `leafIndex`) were matched against a signed checkpoint given
   * as `opts.checkpoint`. RFC 9942 signs only the root: the sizes inside the unprotected proof are
   * not covered by the signature, and one audit path can hash to the same root under several
   * (index, size) pairs. Without a checkpoint, the report proves inclusion under `root`, not
   * the position or the size.
   */
  readonly sizeAuthenticated?: boolean;
}

export interface VerifyReceiptOptions {
  /** The log's COSE key. */
  readonly key: { readonly alg: SignatureAlg; readonly publicKey: Uint8Array };
  /** The log entry (its leaf hash is SHA-256(0x00 ‖ entry)); or give `leafHash`. */
  readonly entry?: Uint8Array;
  readonly leafHash?: Uint8Array;
  /** Accept non-deterministic CBOR from other implementations (default true). */
  readonly lenient?: boolean;
  /**
   * A checkpoint the caller has verified (its size and root): the receipt must commit to exactly
   * this tree, which authenticates `treeSize` and `leafIndex` in the report.
   */
  readonly checkpoint?: { readonly size: number; readonly root: Uint8Array };
}

interface Decoded {
  msg: Sign1;
  proofs: unknown[];
  kind: 'inclusion' | 'consistency';
}

function decodeReceipt(bytes: Uint8Array, lenient: boolean, checks: Checks): Decoded | null {
  let msg: Sign1;
  try {
    msg = decodeSign1(bytes, { strict: !lenient, understood: [HEADER_VDS, HEADER_VDP] });
  } catch (e) {
    checks.failed('receipt.format', e instanceof CustosError ? e.code : 'ERR_RECEIPT_MALFORMED', (e as Error).message);
    return null;
  }
  // The vds must come from the protected header: an unprotected one could be swapped.
  const vds = msg.protectedHeaders.get(HEADER_VDS);
  if (vds === undefined) {
    checks.failed('receipt.vds', msg.unprotectedHeaders.has(HEADER_VDS) ? 'ERR_RECEIPT_VDS' : 'ERR_RECEIPT_MALFORMED', 'no protected vds header');
    return null;
  }
  if (vds !== VDS_RFC9162_SHA256) {
    checks.failed('receipt.vds', 'ERR_RECEIPT_VDS', `unsupported verifiable data structure ${String(vds)}`);
    return null;
  }
  checks.pass('receipt.vds');
  const vdp = msg.unprotectedHeaders.get(HEADER_VDP);
  if (msg.payload !== null) {
    checks.failed('receipt.format', 'ERR_RECEIPT_MALFORMED', 'receipt payload must be detached');
    return null;
  }
  if (!(vdp instanceof Map)) {
    checks.failed('receipt.format', 'ERR_RECEIPT_MALFORMED', 'vdp header missing or not a map');
    return null;
  }
  const inc = vdp.get(VDP_INCLUSION);
  const con = vdp.get(VDP_CONSISTENCY);
  if ((inc === undefined) === (con === undefined) || vdp.size !== 1) {
    checks.failed('receipt.format', 'ERR_RECEIPT_MALFORMED', 'vdp must hold exactly one of inclusion (−1) or consistency (−2) proofs');
    return null;
  }
  const proofs = (inc ?? con) as unknown;
  if (!Array.isArray(proofs) || proofs.length === 0) {
    checks.failed('receipt.format', 'ERR_RECEIPT_MALFORMED', 'vdp proofs must be a non-empty array');
    return null;
  }
  if (proofs.length !== 1) {
    checks.failed('receipt.format', 'ERR_UNSUPPORTED', 'receipts with several proofs are not supported');
    return null;
  }
  checks.pass('receipt.format');
  return { msg, proofs, kind: inc !== undefined ? 'inclusion' : 'consistency' };
}

/** Decodes `bstr .cbor [a, b, [path…]]`; null when malformed. */
function decodeProof(p: unknown, lenient: boolean): { a: number; b: number; path: Uint8Array[] } | null {
  if (!(p instanceof Uint8Array)) return null;
  let v: unknown;
  try {
    v = decode(p, { strict: !lenient, maxBytes: 64 * 1024 });
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length !== 3) return null;
  const [a, b, path] = v as [unknown, unknown, unknown];
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < 0 || b < 0) return null;
  if (!Array.isArray(path) || !path.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE)) return null;
  return { a, b, path: path as Uint8Array[] };
}

function checkSignature(checks: Checks, msg: Sign1, key: VerifyReceiptOptions['key'], root: Uint8Array): void {
  try {
    if (verifySign1(msg, key, { detachedPayload: root })) checks.pass('receipt.signature');
    else checks.failed('receipt.signature', 'ERR_RECEIPT_INVALID', 'the log signature does not cover the recomputed root');
  } catch (e) {
    const code: ErrorCode = e instanceof CustosError ? e.code : 'ERR_RECEIPT_INVALID';
    checks.failed('receipt.signature', code, (e as Error).message);
  }
}

/**
 * Verifies an RFC 9942 inclusion receipt for an entry (or leaf hash) under the log's COSE key.
 *
 * @example
 * ```ts
 * const r = verifyReceipt(receipt, { key: { alg: 'EdDSA', publicKey }, entry });
 * if (!r.ok) console.log(r.code); // ERR_RECEIPT_VDS, ERR_RECEIPT_INVALID, …
 * ```
 */
export function verifyReceipt(receipt: Uint8Array, opts: VerifyReceiptOptions): ReceiptReport {
  assertBytes('receipt', receipt);
  if (opts?.key === undefined) fail('ERR_INVALID_ARGUMENT', '"key" is required');
  if ((opts.entry === undefined) === (opts.leafHash === undefined)) fail('ERR_INVALID_ARGUMENT', 'give exactly one of "entry" or "leafHash"');
  const leaf = opts.leafHash !== undefined ? assertBytes('leafHash', opts.leafHash, HASH_SIZE) : rfcLeafHash(opts.entry!);
  const lenient = opts.lenient ?? true;
  const checks = new Checks();
  const d = decodeReceipt(receipt, lenient, checks);
  if (d === null) return checks.report();
  if (d.kind !== 'inclusion') {
    checks.failed('receipt.kind', 'ERR_RECEIPT_MALFORMED', 'expected an inclusion receipt');
    return checks.report();
  }
  const p = decodeProof(d.proofs[0], lenient);
  if (p === null) {
    checks.failed('receipt.proof', 'ERR_PROOF_MALFORMED', 'inclusion proof is not [tree_size, leaf_index, [32-byte hashes]]');
    return checks.report();
  }
  const { a: treeSize, b: leafIndex, path } = p;
  const root = leafIndex < treeSize && path.length === inclusionProofLength(leafIndex, treeSize) ? rootFromInclusion(leaf, leafIndex, treeSize, path) : null;
  if (root === null) {
    checks.failed('receipt.proof', 'ERR_PROOF_MALFORMED', 'leaf index ≥ tree size or wrong path length');
    return { ...checks.report(), kind: 'inclusion', treeSize, leafIndex };
  }
  checks.pass('receipt.proof');
  checkSignature(checks, d.msg, opts.key, root);
  const sizeAuthenticated = checkCheckpoint(checks, opts.checkpoint, treeSize, root);
  return { ...checks.report(), kind: 'inclusion', treeSize, leafIndex, root, sizeAuthenticated };
}

/** Matches the receipt's tree against a checkpoint the caller verified; true when it is that tree. */
function checkCheckpoint(checks: Checks, cp: VerifyReceiptOptions['checkpoint'], treeSize: number, root: Uint8Array): boolean {
  if (cp === undefined) return false;
  if (cp.size === treeSize && cp.root instanceof Uint8Array && equalBytes(cp.root, root)) {
    checks.pass('receipt.checkpoint');
    return true;
  }
  checks.failed('receipt.checkpoint', 'ERR_RECEIPT_INVALID', 'the receipt does not commit to the given checkpoint (size or root differ)');
  return false;
}

/**
 * Verifies an RFC 9942 consistency receipt: from a tree the verifier already trusts
 * (`oldSize`, `oldRoot`, e.g. from an earlier receipt) to the root the log signed now.
 *
 * RFC 9942 signs only the new root: the new size in the unprotected proof is not covered, and
 * one consistency path can hash to the signed root under several new sizes. So the report's
 * `treeSize` is authenticated (`sizeAuthenticated: true`) only when `opts.checkpoint` (the size
 * and root of a checkpoint the caller verified) matches it; never keep `(treeSize, root)` of an
 * unauthenticated report as the trusted state for the next receipt.
 *
 * @example
 * ```ts
 * const r = verifyConsistencyReceipt(receipt, { key, oldSize: 4, oldRoot, checkpoint: { size: cp.size, root: cp.root } });
 * if (r.ok && r.sizeAuthenticated) trusted = { size: r.treeSize!, root: r.root! };
 * ```
 */
export function verifyConsistencyReceipt(
  receipt: Uint8Array,
  opts: {
    readonly key: VerifyReceiptOptions['key'];
    readonly oldSize: number;
    readonly oldRoot: Uint8Array;
    readonly lenient?: boolean;
    /** A verified checkpoint the receipt's new tree must be exactly (authenticates `treeSize`). */
    readonly checkpoint?: { readonly size: number; readonly root: Uint8Array };
  },
): ReceiptReport {
  assertBytes('receipt', receipt);
  assertBytes('oldRoot', opts.oldRoot, HASH_SIZE);
  const lenient = opts.lenient ?? true;
  const checks = new Checks();
  const d = decodeReceipt(receipt, lenient, checks);
  if (d === null) return checks.report();
  if (d.kind !== 'consistency') {
    checks.failed('receipt.kind', 'ERR_RECEIPT_MALFORMED', 'expected a consistency receipt');
    return checks.report();
  }
  const p = decodeProof(d.proofs[0], lenient);
  if (p === null) {
    checks.failed('receipt.proof', 'ERR_PROOF_MALFORMED', 'consistency proof is not [size_1, size_2, [32-byte hashes]]');
    return checks.report();
  }
  if (p.a !== opts.oldSize) {
    checks.failed('receipt.proof', 'ERR_CONSISTENCY', `receipt starts at size ${p.a}, expected ${opts.oldSize}`);
    return checks.report();
  }
  const roots = rootsFromConsistency(p.a, p.b, opts.oldRoot, p.path);
  if (!roots.ok) {
    checks.failed('receipt.proof', roots.code, roots.reason);
    return { ...checks.report(), kind: 'consistency', oldSize: p.a, treeSize: p.b };
  }
  checks.pass('receipt.proof');
  checkSignature(checks, d.msg, opts.key, roots.newRoot);
  const sizeAuthenticated = checkCheckpoint(checks, opts.checkpoint, p.b, roots.newRoot);
  return { ...checks.report(), kind: 'consistency', oldSize: p.a, treeSize: p.b, root: roots.newRoot, sizeAuthenticated };
}

/**
 * Verifies a SCITT-style transparent statement: the issuer's COSE_Sign1 signature on the
 * statement, and the log's receipt for the entry SHA-256(statement bytes) ({@link statementEntry}).
 * Both are reported; `ok` needs both.
 *
 * @example
 * ```ts
 * const r = verifyStatementReceipt(statement, receipt, { issuerKey, logKey });
 * ```
 */
export function verifyStatementReceipt(
  statement: Uint8Array,
  receipt: Uint8Array,
  opts: {
    readonly issuerKey: VerifyReceiptOptions['key'];
    readonly logKey: VerifyReceiptOptions['key'];
    /** The statement payload when the statement is detached. */
    readonly payload?: Uint8Array;
  },
): ReceiptReport {
  assertBytes('statement', statement);
  const checks = new Checks();
  try {
    const msg = decodeSign1(statement, { strict: false });
    const ok = verifySign1(msg, opts.issuerKey, msg.payload === null && opts.payload !== undefined ? { detachedPayload: opts.payload } : {});
    if (ok) checks.pass('statement.signature');
    else checks.failed('statement.signature', 'ERR_SIGNATURE_INVALID', 'the issuer signature on the statement does not verify');
  } catch (e) {
    checks.failed('statement.signature', e instanceof CustosError ? e.code : 'ERR_COSE_MALFORMED', (e as Error).message);
  }
  const r = verifyReceipt(receipt, { key: opts.logKey, entry: statementEntry(statement) });
  checks.list.push(...r.checks);
  const rep = checks.report();
  return { ...r, ...rep };
}
