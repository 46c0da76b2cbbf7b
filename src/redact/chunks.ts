/**
 * Binary redaction: a salted Merkle tree over 64 KiB chunks of a large file (a PDF, a mailbox
 * export, a disk image), so a holder can disclose byte ranges and a recipient can check them
 * against one root in the seal, learning nothing about the rest.
 *
 * - Chunk i is `file[i·65536, (i+1)·65536)`; an empty file has one empty chunk.
 * - Each chunk has its own 32-byte salt, `HMAC-SHA-256(saltKey, "custos/chunk-salt/v1" ‖ u64be(i))`:
 *   the holder reproduces every salt from one secret key, and disclosing some salts says nothing
 *   about the others (HMAC is a PRF).
 * - Leaf i = SHA-256(0x00 ‖ salt_i ‖ chunk_i), interior nodes SHA-256(0x01 ‖ left ‖ right), the
 *   RFC 9162 §2.1.1 tree shape. The leaf count is padded (to a power of two, or a multiple of a
 *   bucket) with salted empty leaves, indistinguishable from real ones without their salts.
 * - Root = SHA-256(0x02 ‖ u64be(leafCount) ‖ u32be(chunkSize) ‖ MTH): binding the shape into the
 *   root means a proof cannot reinterpret the tree with another leaf count.
 *
 * A withheld chunk appears in a proof only inside an opaque subtree hash, so a recipient learns the
 * padded leaf count and the disclosed chunks, nothing else. Put {@link ChunkCommitment.root} (and
 * `leafCount`) in the item's seal manifest; keep `saltKey` secret with the holder.
 */
import * as crypto from '#crypto';
import { assertBytes, assertInteger, equalBytes } from '../bytes.js';
import { decode, encode } from '../cbor.js';
import { CustosError, fail } from '../errors.js';
import { nodeHash, splitPoint } from '../log/merkle.js';

/** Chunk size in bytes (the age STREAM chunk size, 64 KiB). */
export const CHUNK_SIZE = 65536;
/** Largest padded leaf count accepted (2^40 chunks of 64 KiB = 64 PiB). */
export const MAX_LEAVES = 2 ** 40;

const SALT_LABEL = new TextEncoder().encode('custos/chunk-salt/v1');
const LEAF_PREFIX = new Uint8Array([0]);

/** What goes into the seal: the root and the padded leaf count. */
export interface ChunkCommitment {
  readonly root: Uint8Array;
  readonly leafCount: number;
}

export interface ChunkOptions {
  /** 32-byte secret the salts derive from (default: a fresh random one, returned). */
  readonly saltKey?: Uint8Array;
  /** Pad the leaf count to a multiple of this instead of a power of two. */
  readonly bucket?: number;
}

/** A byte range `[start, end)` of the file. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A proof that some chunks belong to a committed file. */
export interface RangeProof {
  readonly chunkSize: number;
  readonly leafCount: number;
  /** Disclosed chunks, by increasing index. */
  readonly chunks: readonly { readonly index: number; readonly salt: Uint8Array; readonly data: Uint8Array }[];
  /** Hashes of the subtrees holding no disclosed chunk, left to right. */
  readonly hashes: readonly Uint8Array[];
}

export type RangeCheck =
  | { readonly ok: true; readonly data: readonly Uint8Array[]; readonly leafCount: number }
  | { readonly ok: false; readonly code: 'ERR_PROOF_INVALID' | 'ERR_PROOF_MALFORMED'; readonly reason: string };

function u64be(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

function chunkSalt(saltKey: Uint8Array, i: number): Uint8Array {
  const msg = new Uint8Array(SALT_LABEL.length + 8);
  msg.set(SALT_LABEL);
  msg.set(u64be(i), SALT_LABEL.length);
  return crypto.hmacSha256(saltKey, msg);
}

function leafOf(salt: Uint8Array, data: Uint8Array): Uint8Array {
  return crypto.createSha256().update(LEAF_PREFIX).update(salt).update(data).digest();
}

function finalRoot(leafCount: number, chunkSize: number, mth: Uint8Array): Uint8Array {
  const b = new Uint8Array(1 + 8 + 4 + 32);
  b[0] = 2;
  b.set(u64be(leafCount), 1);
  new DataView(b.buffer).setUint32(9, chunkSize);
  b.set(mth, 13);
  return crypto.sha256(b);
}

/**
 * The padded leaf count for `chunks` real chunks: the next power of two, or a multiple of `bucket`.
 *
 * @example
 * ```ts
 * paddedLeafCount(5); // 8
 * paddedLeafCount(5, 4); // 8
 * ```
 */
export function paddedLeafCount(chunks: number, bucket?: number): number {
  if (bucket !== undefined) return Math.ceil(chunks / bucket) * bucket;
  let n = 1;
  while (n < chunks) n *= 2;
  return n;
}

function chunkCount(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK_SIZE));
}

function options(opts: ChunkOptions): { saltKey: Uint8Array; bucket: number | undefined } {
  const saltKey = opts.saltKey === undefined ? crypto.randomBytes(32) : assertBytes('saltKey', opts.saltKey, 32);
  const bucket = opts.bucket === undefined ? undefined : assertInteger('bucket', opts.bucket, 1, 1 << 20);
  return { saltKey, bucket };
}

function leafHashes(file: Uint8Array, saltKey: Uint8Array, bucket: number | undefined): Uint8Array[] {
  const n = chunkCount(file.length);
  const total = paddedLeafCount(n, bucket);
  if (total > MAX_LEAVES) fail('ERR_LIMIT', 'file too large');
  const out: Uint8Array[] = new Array(total);
  for (let i = 0; i < total; i++) {
    const data = i < n ? file.subarray(i * CHUNK_SIZE, Math.min(file.length, (i + 1) * CHUNK_SIZE)) : new Uint8Array(0);
    out[i] = leafOf(chunkSalt(saltKey, i), data);
  }
  return out;
}

function mth(leaves: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  if (hi - lo === 1) return leaves[lo]!;
  const k = splitPoint(hi - lo);
  return nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

/**
 * Commits a file: returns the root for the seal, the padded leaf count and the salt key.
 *
 * @example
 * ```ts
 * const { root, leafCount, saltKey } = commitChunks(pdfBytes);
 * // seal `root` and `leafCount`; store `saltKey` with the holder's secrets
 * ```
 */
export function commitChunks(file: Uint8Array, opts: ChunkOptions = {}): ChunkCommitment & { readonly saltKey: Uint8Array } {
  const f = assertBytes('file', file);
  const { saltKey, bucket } = options(opts);
  const leaves = leafHashes(f, saltKey, bucket);
  return { root: finalRoot(leaves.length, CHUNK_SIZE, mth(leaves, 0, leaves.length)), leafCount: leaves.length, saltKey };
}

/**
 * {@link commitChunks} over a stream (a Web ReadableStream or any async iterable of bytes), in
 * constant memory apart from 32 bytes per chunk: for files too large to hold.
 *
 * @example
 * ```ts
 * const c = await commitChunksStream(Readable.toWeb(createReadStream('mailbox.mbox')));
 * ```
 */
export async function commitChunksStream(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  opts: ChunkOptions = {},
): Promise<ChunkCommitment & { readonly saltKey: Uint8Array }> {
  const { saltKey, bucket } = options(opts);
  const leaves: Uint8Array[] = [];
  let hasher = crypto.createSha256().update(LEAF_PREFIX).update(chunkSalt(saltKey, 0));
  let filled = 0;
  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in (source as object) ? (source as AsyncIterable<Uint8Array>) : streamIterable(source as ReadableStream<Uint8Array>);
  for await (const piece of iterable) {
    let data = assertBytes('chunk', piece);
    while (data.length > 0) {
      if (filled === CHUNK_SIZE) {
        leaves.push(hasher.digest());
        hasher = crypto.createSha256().update(LEAF_PREFIX).update(chunkSalt(saltKey, leaves.length));
        filled = 0;
      }
      const take = Math.min(CHUNK_SIZE - filled, data.length);
      hasher.update(data.subarray(0, take));
      filled += take;
      data = data.subarray(take);
    }
  }
  leaves.push(hasher.digest());
  const total = paddedLeafCount(leaves.length, bucket);
  if (total > MAX_LEAVES) fail('ERR_LIMIT', 'file too large');
  for (let i = leaves.length; i < total; i++) leaves.push(leafOf(chunkSalt(saltKey, i), new Uint8Array(0)));
  return { root: finalRoot(total, CHUNK_SIZE, mth(leaves, 0, total)), leafCount: total, saltKey };
}

async function* streamIterable(stream: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function checkRanges(ranges: readonly ByteRange[], max: number): ByteRange[] {
  if (!Array.isArray(ranges) || ranges.length === 0) fail('ERR_INVALID_ARGUMENT', '"ranges" must be a non-empty array');
  // Array.from visits every index (map would leave a hole for later code to trip on)
  return Array.from(ranges, (r, i) => {
    const start = assertInteger(`ranges[${i}].start`, r?.start, 0, max);
    const end = assertInteger(`ranges[${i}].end`, r?.end, 0, max);
    if (end <= start) fail('ERR_INVALID_ARGUMENT', `ranges[${i}] is empty or reversed`);
    return { start, end };
  });
}

function chunksOf(ranges: readonly ByteRange[]): number[] {
  const set = new Set<number>();
  for (const r of ranges) for (let i = Math.floor(r.start / CHUNK_SIZE); i <= Math.floor((r.end - 1) / CHUNK_SIZE); i++) set.add(i);
  return [...set].sort((a, b) => a - b);
}

/**
 * Proves byte ranges of a committed file: discloses the chunks covering them, and the hashes
 * of every subtree without a disclosed chunk.
 *
 * @example
 * ```ts
 * const proof = proveRanges(pdfBytes, [{ start: 0, end: 1024 }], { saltKey });
 * verifyRanges(root, [{ start: 0, end: 1024 }], proof); // { ok: true, data: [first KiB] }
 * ```
 */
export function proveRanges(file: Uint8Array, ranges: readonly ByteRange[], opts: ChunkOptions & { readonly saltKey: Uint8Array }): RangeProof {
  const f = assertBytes('file', file);
  if (opts?.saltKey === undefined) fail('ERR_INVALID_ARGUMENT', '"saltKey" is required to reproduce the salts');
  const { saltKey, bucket } = options(opts);
  const rs = checkRanges(ranges, f.length);
  const leaves = leafHashes(f, saltKey, bucket);
  const want = chunksOf(rs);
  const hashes: Uint8Array[] = [];
  let p = 0;
  const walk = (lo: number, hi: number): void => {
    if (p >= want.length || want[p]! >= hi) {
      hashes.push(mth(leaves, lo, hi));
      return;
    }
    if (hi - lo === 1) {
      p++;
      return;
    }
    const k = splitPoint(hi - lo);
    walk(lo, lo + k);
    walk(lo + k, hi);
  };
  walk(0, leaves.length);
  const chunks = want.map((index) => ({
    index,
    salt: chunkSalt(saltKey, index),
    data: f.slice(index * CHUNK_SIZE, Math.min(f.length, (index + 1) * CHUNK_SIZE)),
  }));
  return { chunkSize: CHUNK_SIZE, leafCount: leaves.length, chunks, hashes };
}

/**
 * Checks a range proof against a committed root and returns the bytes of each expected range.
 * Never throws for a bad proof (returns `ok: false` with a code); throws only on misuse.
 *
 * @example
 * ```ts
 * const r = verifyRanges(sealedRoot, [{ start: 0, end: 1024 }], proofBytes);
 * if (r.ok) writeFileSync('page1.bin', r.data[0]!); else console.error(r.code, r.reason);
 * ```
 */
export function verifyRanges(root: Uint8Array, ranges: readonly ByteRange[], proof: RangeProof | Uint8Array): RangeCheck {
  const r = assertBytes('root', root, 32);
  const rs = checkRanges(ranges, Number.MAX_SAFE_INTEGER);
  let pr: RangeProof;
  try {
    pr = proof instanceof Uint8Array ? decodeRangeProof(proof) : checkProofShape(proof);
  } catch (e) {
    if (e instanceof CustosError) return { ok: false, code: 'ERR_PROOF_MALFORMED', reason: e.message };
    throw e;
  }
  const n = pr.leafCount;
  const idx = pr.chunks.map((c) => c.index);
  for (let i = 0; i < idx.length; i++) {
    if (idx[i]! >= n || (i > 0 && idx[i]! <= idx[i - 1]!)) return { ok: false, code: 'ERR_PROOF_MALFORMED', reason: 'chunk indices must increase and be below the leaf count' };
  }
  let p = 0;
  let h = 0;
  const rebuild = (lo: number, hi: number): Uint8Array | null => {
    if (p >= idx.length || idx[p]! >= hi) return h < pr.hashes.length ? pr.hashes[h++]! : null;
    if (hi - lo === 1) {
      const c = pr.chunks[p++]!;
      return leafOf(c.salt, c.data);
    }
    const k = splitPoint(hi - lo);
    const left = rebuild(lo, lo + k);
    const right = left === null ? null : rebuild(lo + k, hi);
    return left === null || right === null ? null : nodeHash(left, right);
  };
  const m = rebuild(0, n);
  if (m === null || h !== pr.hashes.length || p !== idx.length) return { ok: false, code: 'ERR_PROOF_MALFORMED', reason: 'the proof has too few or too many hashes' };
  if (!equalBytes(finalRoot(n, pr.chunkSize, m), r)) return { ok: false, code: 'ERR_PROOF_INVALID', reason: 'the proof does not lead to the committed root' };
  const byIndex = new Map(pr.chunks.map((c) => [c.index, c.data]));
  const data: Uint8Array[] = [];
  for (const range of rs) {
    const out = new Uint8Array(range.end - range.start);
    for (let o = range.start; o < range.end; ) {
      const ci = Math.floor(o / CHUNK_SIZE);
      const chunk = byIndex.get(ci);
      const at = o - ci * CHUNK_SIZE;
      if (chunk === undefined) return { ok: false, code: 'ERR_PROOF_INVALID', reason: `byte ${o} is in a chunk the proof does not disclose` };
      if (at >= chunk.length) return { ok: false, code: 'ERR_PROOF_INVALID', reason: `byte ${o} is past the end of the file` };
      const take = Math.min(chunk.length - at, range.end - o);
      out.set(chunk.subarray(at, at + take), o - range.start);
      o += take;
    }
    data.push(out);
  }
  return { ok: true, data, leafCount: n };
}

function checkProofShape(p: RangeProof): RangeProof {
  if (p === null || typeof p !== 'object') fail('ERR_PROOF_MALFORMED', 'a proof must be an object');
  if (p.chunkSize !== CHUNK_SIZE) fail('ERR_PROOF_MALFORMED', `chunk size must be ${CHUNK_SIZE}`);
  if (!Number.isSafeInteger(p.leafCount) || p.leafCount < 1 || p.leafCount > MAX_LEAVES) fail('ERR_PROOF_MALFORMED', 'bad leaf count');
  if (!Array.isArray(p.chunks) || !Array.isArray(p.hashes)) fail('ERR_PROOF_MALFORMED', 'chunks and hashes must be arrays');
  if (p.hashes.length > 2 * 64 * (p.chunks.length + 1)) fail('ERR_PROOF_MALFORMED', 'too many hashes');
  for (const c of p.chunks) {
    if (c === null || typeof c !== 'object' || !Number.isSafeInteger(c.index) || c.index < 0) fail('ERR_PROOF_MALFORMED', 'bad chunk index');
    if (!(c.salt instanceof Uint8Array) || c.salt.length !== 32) fail('ERR_PROOF_MALFORMED', 'a chunk salt must be 32 bytes');
    if (!(c.data instanceof Uint8Array) || c.data.length > CHUNK_SIZE) fail('ERR_PROOF_MALFORMED', 'chunk data must be at most one chunk');
  }
  for (const x of p.hashes) if (!(x instanceof Uint8Array) || x.length !== 32) fail('ERR_PROOF_MALFORMED', 'hashes must be 32 bytes');
  return p;
}

/**
 * Deterministic CBOR of a proof: `{"cs", "n", "chunks": [[index, salt, data], …], "hashes": [...]}`.
 *
 * @example
 * ```ts
 * writeFileSync('ranges.proof', encodeRangeProof(proveRanges(file, ranges, { saltKey })));
 * ```
 */
export function encodeRangeProof(p: RangeProof): Uint8Array {
  checkProofShape(p);
  return encode(
    new Map<string, unknown>([
      ['cs', p.chunkSize],
      ['n', p.leafCount],
      ['chunks', p.chunks.map((c) => [c.index, c.salt, c.data])],
      ['hashes', p.hashes],
    ]),
  );
}

/**
 * Strictly decodes {@link encodeRangeProof} output; throws ERR_PROOF_MALFORMED.
 *
 * @example
 * ```ts
 * const proof = decodeRangeProof(readFileSync('ranges.proof'));
 * ```
 */
export function decodeRangeProof(bytes: Uint8Array): RangeProof {
  let m: unknown;
  try {
    m = decode(assertBytes('proof', bytes), { maxBytes: 1 << 30 });
  } catch (e) {
    throw new CustosError('ERR_PROOF_MALFORMED', 'the range proof is not valid deterministic CBOR', { cause: e });
  }
  if (!(m instanceof Map) || m.size !== 4) fail('ERR_PROOF_MALFORMED', 'a range proof is a map of cs, n, chunks, hashes');
  const chunks = m.get('chunks');
  if (!Array.isArray(chunks)) fail('ERR_PROOF_MALFORMED', 'chunks must be an array');
  return checkProofShape({
    chunkSize: m.get('cs') as number,
    leafCount: m.get('n') as number,
    chunks: chunks.map((c: unknown) => {
      if (!Array.isArray(c) || c.length !== 3) fail('ERR_PROOF_MALFORMED', 'a chunk is [index, salt, data]');
      return { index: c[0] as number, salt: c[1] as Uint8Array, data: c[2] as Uint8Array };
    }),
    hashes: m.get('hashes') as Uint8Array[],
  });
}
