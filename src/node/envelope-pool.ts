/**
 * The fast path of encryptFile / decryptFile for large binary files: the main thread reads
 * blocks of whole STREAM chunks with positional reads and writes results in order, while the
 * worker pool (src/crypto/stream-pool.ts) seals or opens several blocks at once on the other
 * cores. Same bytes and the same checks as the in-thread STREAM (test/envelope/pool.test.ts
 * compares both), memory bounded by a fixed number of blocks in flight.
 */
import type { FileHandle } from 'node:fs/promises';
import { CustosError, fail } from '../errors.js';
import { streamPool } from '../crypto/stream-pool.js';
import type { DecryptOptions } from '../envelope/decrypt.js';
import type { EncryptOptions } from '../envelope/encrypt.js';
import { readHeaderFrom } from '../envelope/decrypt.js';
import { unwrapFileKey } from '../envelope/filekey.js';
import { CHUNK_SIZE, ENC_CHUNK_SIZE, NONCE_SIZE, TAG_SIZE, payloadKey } from '../envelope/stream.js';
import type { Identity } from '../envelope/types.js';
import type { AtomicWriter } from './files.js';

/**
 * Number of STREAM workers when the caller does not say (`workers` option): the environment
 * variable CUSTOS_STREAM_WORKERS, else 0 (all work on the calling thread). Measured on the 2-core
 * machine this was built on, the pool only won when the cores were oversubscribed by other work
 * (load 10+); on a quiet machine the calling thread alone was faster and used ~50 MiB less
 * memory, so the pool is opt-in.
 */
export function defaultWorkers(): number {
  const n = Number(process.env.CUSTOS_STREAM_WORKERS ?? 0);
  return Number.isInteger(n) && n >= 0 && n <= 64 ? n : 0;
}

async function readAt(fh: FileHandle, buf: Uint8Array, pos: number): Promise<number> {
  let n = 0;
  while (n < buf.length) {
    let r: number;
    try {
      ({ bytesRead: r } = await fh.read(buf, n, buf.length - n, pos + n));
    } catch (e) {
      throw new CustosError('ERR_IO', 'cannot read the input file', { cause: e });
    }
    if (r === 0) break;
    n += r;
  }
  return n;
}

/**
 * Reads `fh` from `pos` on in blocks of `block` bytes (buffers taken from `free`, else fresh),
 * one block ahead, so that each block comes with whether it is the last: a block is last when
 * nothing follows it. The read-ahead happens before the current block is handed on, so a read is
 * in flight while the workers seal or open.
 */
async function* blocksAhead(fh: FileHandle, block: number, pos: number, free: ArrayBuffer[]): AsyncGenerator<{ buf: ArrayBuffer; len: number; last: boolean }> {
  let at = pos;
  const read = async () => {
    const buf = free.pop() ?? new ArrayBuffer(block);
    const len = await readAt(fh, new Uint8Array(buf), at);
    at += len;
    return { buf, len };
  };
  let cur = await read();
  for (;;) {
    const next = cur.len === block ? await read() : null;
    const last = next === null || next.len === 0;
    yield { buf: cur.buf, len: cur.len, last };
    if (last) return;
    cur = next;
  }
}

/**
 * True when the pool is worth it: a file of more than one block (smaller ones are done before a
 * worker would start) and, for decryption, a binary age file (it starts with "age-encryption.org/";
 * armored files take the streaming path).
 */
export async function useWorkers(fh: FileHandle, block: number, workers: number, binaryAge = false): Promise<boolean> {
  if (workers <= 0) return false;
  const { size } = await fh.stat();
  if (size <= block) return false;
  if (!binaryAge) return true;
  const head = new Uint8Array(1);
  return (await readAt(fh, head, 0)) === 1 && head[0] === 0x61;
}

/** Keeps one write in flight while the next results are produced. */
class OrderedWriter {
  #pending: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;
  constructor(readonly w: AtomicWriter) {}
  /** Starts writing `b` once the previous write is done; `release` runs when `b` is written. */
  async push(b: Uint8Array, release?: () => void): Promise<void> {
    await this.#pending;
    this.#release?.();
    this.#release = release;
    this.#pending = this.w.write([b]);
    this.#pending.catch(() => undefined);
  }
  async close(): Promise<void> {
    await this.#pending;
    this.#release?.();
    this.#release = undefined;
  }
}

/**
 * Encrypts the whole of `fh` after `start.header` and `start.nonce`, sealing on the pool. The
 * hooks of {@link EncryptOptions} are called on this thread, in order, with whole blocks.
 */
export async function pooledEncrypt(
  fh: FileHandle,
  w: AtomicWriter,
  start: { header: Uint8Array; nonce: Uint8Array; key: Uint8Array },
  block: number,
  workers: number,
  hooks: EncryptOptions = {},
): Promise<void> {
  const pool = streamPool(workers);
  const depth = pool.size * 2;
  const free: ArrayBuffer[] = [];
  const freeOut: ArrayBuffer[] = []; // recycled output buffers (fresh ones cost page faults)
  const out = new OrderedWriter(w);
  await out.push(new Uint8Array(Buffer.concat([start.header, start.nonce])));
  hooks.onPayload?.(start.nonce);
  const queue: Promise<{ sealed: Uint8Array; buf: ArrayBuffer }>[] = [];
  let counter = 0;
  try {
    for await (const { buf, len, last } of blocksAhead(fh, block, 0, free)) {
      // Hooks see each block before it is handed to a worker (hooks copy what they keep).
      if (len > 0) hooks.onPlaintext?.(new Uint8Array(buf, 0, len));
      const job = pool.seal(start.key, counter, buf, len, last, freeOut.pop());
      job.catch(() => undefined);
      queue.push(job);
      counter += Math.ceil(len / CHUNK_SIZE);
      while (queue.length >= depth || (last && queue.length > 0)) {
        const r = await queue.shift()!;
        free.push(r.buf);
        hooks.onPayload?.(r.sealed);
        const sealedBuf = r.sealed.buffer as ArrayBuffer;
        await out.push(r.sealed, () => freeOut.push(sealedBuf));
      }
    }
    await out.close();
  } finally {
    await Promise.allSettled(queue);
    start.key.fill(0);
  }
}

/**
 * Decrypts the binary age file open as `fh`: header and file key first (as every entry point),
 * then the payload opened on the pool block by block, written in order. Errors follow the
 * in-thread STREAM: ERR_CHUNK_AUTH, ERR_TRUNCATED, ERR_TRAILING_DATA, ERR_PAYLOAD.
 */
export async function pooledDecrypt(
  fh: FileHandle,
  ids: readonly Identity[],
  options: DecryptOptions,
  block: number,
  workers: number,
  withOutput: (body: (w: AtomicWriter) => Promise<{ size: number }>) => Promise<{ size: number }>,
): Promise<{ size: number }> {
  // Header: positional reads with nothing left in flight.
  let hpos = 0;
  const { header } = await readHeaderFrom(
    {
      read: async () => {
        const b = new Uint8Array(64 * 1024);
        const n = await readAt(fh, b, hpos);
        hpos += n;
        return n === 0 ? null : b.subarray(0, n);
      },
      cancel: async () => undefined,
    },
    options.maxHeaderBytes,
    options.maxStanzas,
  );
  const fileKey = await unwrapFileKey(header, ids);
  const nonce = new Uint8Array(NONCE_SIZE);
  if ((await readAt(fh, nonce, header.bytes.length)) < NONCE_SIZE) {
    fileKey.fill(0);
    fail('ERR_TRUNCATED', 'payload shorter than its 16-byte nonce');
  }
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);
  const chunksPerBlock = block / ENC_CHUNK_SIZE;
  const pool = streamPool(workers);
  const depth = pool.size * 2;
  return withOutput(async (w) => {
    const out = new OrderedWriter(w);
    const free: ArrayBuffer[] = [];
    const freeOut: ArrayBuffer[] = [];
    type Job = { first: number; len: number; last: boolean; p: ReturnType<typeof pool.open> };
    const queue: Job[] = [];
    let first = 0;
    const settle = async (j: Job) => {
      const r = await j.p;
      free.push(r.buf);
      if (r.failAt >= 0) {
        const final = j.last && r.failAt === r.chunks - 1;
        fail('ERR_CHUNK_AUTH', `${final ? 'final ' : ''}payload chunk ${j.first + r.failAt} failed authentication`);
      }
      if (r.short) fail('ERR_TRUNCATED', 'payload ends inside a chunk tag');
      if (r.finalAt >= 0) {
        if (!j.last || r.finalAt !== r.chunks - 1) fail('ERR_TRAILING_DATA', 'data follows the final payload chunk');
        // §Payload: the final chunk MUST NOT be empty unless the whole payload is empty.
        const finalLen = j.len - r.finalAt * ENC_CHUNK_SIZE;
        if (finalLen === TAG_SIZE && j.first + r.finalAt > 0) fail('ERR_PAYLOAD', 'empty final chunk after a non-empty payload');
      } else if (j.last) {
        fail('ERR_TRUNCATED', 'payload ends without a final chunk');
      }
      const plainBuf = r.plaintext.buffer as ArrayBuffer;
      await out.push(r.plaintext, () => freeOut.push(plainBuf));
    };
    try {
      for await (const { buf, len, last } of blocksAhead(fh, block, header.bytes.length + NONCE_SIZE, free)) {
        if (len === 0) fail('ERR_TRUNCATED', 'payload ends without a final chunk'); // only the first block can be empty
        const p = pool.open(key, first, buf, len, freeOut.pop());
        p.catch(() => undefined);
        queue.push({ first, len, last, p });
        first += chunksPerBlock;
        while (queue.length >= depth || (last && queue.length > 0)) await settle(queue.shift()!);
      }
      await out.close();
      return { size: w.size };
    } finally {
      await Promise.allSettled(queue.map((j) => j.p));
      key.fill(0);
    }
  });
}
