/**
 * Sealing straight into a bundle: the evidence is read once and encrypted into the tar, with no
 * intermediate `.age` on disk (issue 19: disk use used to peak at 3x the image: image + .age +
 * .tar).
 *
 * A tar entry's size comes before its data. For a file, the age file's size is known before a
 * byte is encrypted: header length + 16 (payload nonce) + n + 16 per 64 KiB chunk (at least one
 * chunk; the last one short or, for an empty item, empty: C2SP age, "Payload"). So a file is
 * encrypted as the tar writer pulls it, and its seal (signed once the last chunk is out) is added
 * right after. For a stream of unknown size (stdin) the ciphertext goes to a private temp file
 * next to the bundle first (encrypted bytes only, mode 0600, removed afterwards), which is then
 * streamed into the tar: disk use peaks at the age file + the bundle (2x, the raw image itself
 * never touches the disk).
 */
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { assertString } from '../bytes.js';
import { createEncryptor } from '../envelope/encrypt.js';
import { CHUNK_SIZE } from '../envelope/stream.js';
import { CustosError } from '../errors.js';
import { completeSeal, prepareSeal, type SealOptions, type SealResult } from '../seal/seal.js';
import type { HashAlg } from '../seal/digests.js';
import type { ItemStream } from '../bundle/create.js';
import type { PlainInput } from './envelope.js';
import { BlockReader } from './files.js';
import { OffThreadSha256 } from './hash-worker.js';
import { sealFile } from './seal-file.js';

/**
 * The size of the age payload section (nonce + STREAM chunks) for `n` plaintext bytes.
 *
 * @example
 * ```ts
 * agePayloadSize(65536); // 16 + 65536 + 16: one full chunk
 * ```
 */
export function agePayloadSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new CustosError('ERR_INVALID_ARGUMENT', '"n" expected a non-negative integer');
  const chunks = n === 0 ? 1 : Math.ceil(n / CHUNK_SIZE);
  return 16 + n + 16 * chunks;
}

/** An item being sealed into a bundle: what `createBundle` takes, and the seal once it exists. */
export interface SealingItem {
  /** The age file, streamed once while it is encrypted (pass as the item's `encrypted`). */
  readonly encrypted: ItemStream | string;
  /** The seal bytes, available once `encrypted` has been read to its end (pass as the item's `seal`). */
  readonly seal: () => Promise<Uint8Array>;
  /** The seal and the digests, once `encrypted` has been read to its end. */
  result(): Promise<SealResult>;
  /** Removes the temp file of a stream input, stops the hash worker; call it whatever happened. */
  dispose(): Promise<void>;
}

const BLOCK = 32 * CHUNK_SIZE;

/**
 * Prepares `input` (a file path, or a stream such as `process.stdin`) to be sealed into the bundle
 * written to `bundlePath`: every option is validated now, before a byte is read. A reported digest
 * that differs fails `seal()` (so `createBundle`, which then writes no bundle) with
 * ERR_DIGEST_MISMATCH.
 *
 * @example
 * ```ts
 * const disk = await sealForBundle('disk.raw', 'bundle.tar', { recipients, signer, authority, id: 'disk', context, hashes: ['md5'] });
 * try {
 *   await createBundle('bundle.tar', { signer, issuer: authority, request, case: context.caseId,
 *     items: [{ id: 'disk', encrypted: disk.encrypted, seal: disk.seal, custody }] });
 *   console.log((await disk.result()).digests);
 * } finally {
 *   await disk.dispose();
 * }
 * ```
 */
export async function sealForBundle(input: PlainInput, bundlePath: string, opts: SealOptions): Promise<SealingItem> {
  assertString('bundlePath', bundlePath);
  const prepared = prepareSeal(opts); // everything but the digests, before a byte is read
  if (typeof input !== 'string') return spooled(input, bundlePath, opts);
  let size: number;
  try {
    const st = await stat(input);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${input}`, { cause: e });
  }
  const algs = prepared.digests.algs;
  // The hash worker starts when the item streams, not now: createBundle streams the items one
  // after another, so one worker (8 MiB ring, ~10 MiB RSS) is alive at a time, not one per
  // --seal-item (150 items held 1.4 GB before the first byte was read).
  let lanes: [plain: OffThreadSha256, payload: OffThreadSha256] | undefined;
  let plainSize = 0;
  let payloadSize = 0;
  const enc = await createEncryptor(opts.recipients, {
    onPlaintext: (b) => {
      plainSize += b.length;
      lanes![0].update(b);
    },
    onPayload: (b) => {
      payloadSize += b.length;
      lanes![1].update(b);
    },
    allowMixedPostQuantum: opts.allowMixedPostQuantum === true,
  });
  let result: Promise<SealResult> | undefined;
  let streamed = false;
  async function* stream(): AsyncGenerator<Uint8Array> {
    if (streamed) throw new CustosError('ERR_INVALID_ARGUMENT', 'a sealed item streams once');
    streamed = true;
    const fh = await open(input as string, 'r').catch((e: unknown) => {
      throw new CustosError('ERR_IO', `cannot open ${String(input)}`, { cause: e });
    });
    try {
      const [plain, payload] = (lanes = OffThreadSha256.startLanes([algs, ['sha-256']]) as [OffThreadSha256, OffThreadSha256]);
      const reader = new BlockReader(fh, BLOCK);
      yield enc.header;
      for (let b = await reader.read(); b !== null; b = await reader.read()) {
        if (plainSize + b.length > size) throw new CustosError('ERR_IO', `${String(input)} grew while it was sealed`);
        const out: Uint8Array[] = [];
        enc.pushTo(b, (c) => out.push(c));
        await plain.drain();
        await payload.drain();
        yield* out;
      }
      if (plainSize !== size) throw new CustosError('ERR_IO', `${String(input)} shrank while it was sealed`);
      const out: Uint8Array[] = [];
      enc.finishTo((c) => out.push(c));
      yield* out;
      const [d, [payloadSha256]] = await Promise.all([plain.digests(), payload.digests()]);
      const digests: Partial<Record<HashAlg, Uint8Array>> = {};
      algs.forEach((a, i) => (digests[a] = d[i]!));
      result = Promise.resolve(completeSeal(prepared, { size: plainSize, sha256: digests['sha-256']!, payloadSize, payloadSha256: payloadSha256! }, digests));
      result.catch(() => undefined);
    } finally {
      await fh.close();
    }
  }
  const done = async (): Promise<SealResult> => {
    if (result === undefined) throw new CustosError('ERR_INVALID_ARGUMENT', 'the item has not been read to its end yet');
    return result;
  };
  return {
    encrypted: { size: enc.header.length + agePayloadSize(size), stream },
    seal: async () => (await done()).seal,
    result: done,
    dispose: async () => {
      if (lanes !== undefined) await Promise.all(lanes.map((l) => l.abort()));
    },
  };
}

/** A stream of unknown size: sealed to a private temp file beside the bundle, streamed from there. */
async function spooled(input: AsyncIterable<Uint8Array>, bundlePath: string, opts: SealOptions): Promise<SealingItem> {
  let dir: string;
  try {
    dir = await mkdtemp(join(dirname(bundlePath), '.custos-seal-'));
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot create a temporary directory next to ${bundlePath}`, { cause: e });
  }
  // a process that exits before dispose (process.exit on SIGINT/SIGTERM) still removes the spool
  const onExit = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', onExit);
  const dispose = async () => {
    process.removeListener('exit', onExit);
    await rm(dir, { recursive: true, force: true });
  };
  const age = join(dir, 'item.age');
  try {
    const r = await sealFile(input, age, join(dir, 'item.cose'), opts);
    return { encrypted: age, seal: async () => r.seal, result: async () => r, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
