/**
 * The one pass over an item's age member: every digest the format needs, and (when opening)
 * decryption, while the bytes stream by once. The manifest signs the header's SHA-256 and the
 * payload section's SHA-256 (the one the seal signs too), so each ciphertext byte is hashed once;
 * the plaintext is hashed as it is decrypted, for the seal's and the chain's forensic digest.
 */
import * as crypto from '#crypto';
import { equalBytes } from '../bytes.js';
import { unwrapFileKey } from '../envelope/filekey.js';
import { parseHeader } from '../envelope/header.js';
import { NONCE_SIZE, StreamDecryptor, payloadKey } from '../envelope/stream.js';
import type { Identity } from '../envelope/types.js';
import { CustosError } from '../errors.js';
import type { BundleArchive } from './archive.js';
import type { SignedAgeFile } from './facts.js';
import type { TarEntry } from './tar.js';

/** An incremental SHA-256, possibly on another thread (`drain` waits for it between chunks). */
export interface PassHash {
  update(bytes: Uint8Array): void;
  /** Like `update`, waiting instead of copying when the other thread is behind (optional). */
  write?(bytes: Uint8Array): Promise<void>;
  drain?(): Promise<void>;
  digest(): Promise<Uint8Array> | Uint8Array;
  abort?(): Promise<void>;
}

/** Makes the payload section's hash for an item of `payloadSize` bytes (default: on this thread). */
export type PassHashFactory = (payloadSize: number) => PassHash;

export const inlineHash: PassHashFactory = () => crypto.createSha256();

/**
 * Where opened plaintext goes. Nothing may treat the bytes as final before `commit`: it is called
 * only after every check passed, and `abort` on any failure (a file output removes its temp file).
 */
export interface PlaintextOutput {
  write(parts: readonly Uint8Array[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface PassOptions {
  readonly hash?: PassHashFactory;
  readonly onBytes?: (n: number) => void;
  /** Decrypt on the way: the identities and where plaintext goes (not committed here). */
  readonly decrypt?: { readonly identities: readonly Identity[]; readonly output: PlaintextOutput };
}

export interface PassResult {
  /** The header bytes match the signed length and SHA-256. */
  readonly headerOk: boolean;
  /** The header parses as age v1 and ends exactly at the signed length. */
  readonly headerParses: boolean;
  /** The payload section matches the signed SHA-256 (undefined when the pass stopped before it). */
  readonly payloadOk: boolean | undefined;
  /** Plaintext digest and size (when decrypting). */
  readonly plaintext?: { readonly sha256: Uint8Array; readonly size: number };
}

/**
 * Streams `entry` once. Without `decrypt` it only hashes. With `decrypt` it stops before
 * unwrapping the file key if the header differs from the signed one; decryption errors
 * (ERR_NO_IDENTITY, ERR_CHUNK_AUTH, ERR_TRUNCATED, …) are thrown. The caller commits or aborts.
 */
export async function itemPass(archive: BundleArchive, entry: TarEntry, signed: SignedAgeFile, opts: PassOptions = {}): Promise<PassResult> {
  const hl = signed.headerLength;
  if (entry.size !== signed.size || hl > entry.size) return { headerOk: false, headerParses: false, payloadOk: undefined };
  const header = new Uint8Array(hl);
  let got = 0;
  let headerOk = false;
  let headerParses = false;
  const ph = (opts.hash ?? inlineHash)(entry.size - hl);
  let payloadBytes = 0;
  const nonce = new Uint8Array(NONCE_SIZE);
  let nonceGot = 0;
  const dec = opts.decrypt;
  let fileKey: Uint8Array | undefined;
  let decryptor: StreamDecryptor | undefined;
  const plainHash = crypto.createSha256();
  let plainSize = 0;
  let parts: Uint8Array[] = [];
  const emit = (pt: Uint8Array): void => {
    plainHash.update(pt);
    plainSize += pt.length;
    parts.push(pt);
  };
  let writing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    await writing;
    if (parts.length === 0) return;
    const batch = parts;
    parts = [];
    writing = dec!.output.write(batch);
    writing.catch(() => undefined);
  };
  let finished = false;
  try {
    for await (const chunk of archive.stream(entry)) {
      opts.onBytes?.(chunk.length);
      let c = chunk;
      if (got < hl) {
        const n = Math.min(hl - got, c.length);
        header.set(c.subarray(0, n), got);
        got += n;
        c = c.subarray(n);
        if (got < hl) continue;
        headerOk = equalBytes(crypto.sha256(header), signed.headerSha256);
        let parsed: ReturnType<typeof parseHeader> | undefined;
        try {
          parsed = parseHeader(header, hl);
          headerParses = parsed.payloadOffset === hl;
        } catch {
          headerParses = false;
        }
        if (dec !== undefined) {
          // Never unwrap a key from, or decrypt after, a header the manifest does not sign.
          if (!headerOk || !headerParses || parsed === undefined) return { headerOk, headerParses, payloadOk: undefined };
          fileKey = await unwrapFileKey(parsed.header, dec.identities);
        }
      }
      if (c.length === 0) continue;
      if (ph.write !== undefined) await ph.write(c);
      else ph.update(c);
      payloadBytes += c.length;
      if (dec === undefined) {
        await ph.drain?.();
        continue;
      }
      if (decryptor === undefined) {
        const n = Math.min(NONCE_SIZE - nonceGot, c.length);
        nonce.set(c.subarray(0, n), nonceGot);
        nonceGot += n;
        c = c.subarray(n);
        if (nonceGot < NONCE_SIZE) continue;
        decryptor = new StreamDecryptor(payloadKey(fileKey!, nonce));
        fileKey!.fill(0);
      }
      decryptor.push(c, emit);
      await flush();
      await ph.drain?.();
    }
    if (got < hl) return { headerOk: false, headerParses: false, payloadOk: undefined };
    if (dec !== undefined) {
      if (decryptor === undefined) throw new CustosError('ERR_TRUNCATED', 'the age payload ends inside its nonce');
      decryptor.finish(emit);
      await flush();
      await writing;
    }
    const digest = await ph.digest();
    finished = true;
    const payloadOk = payloadBytes === signed.size - hl && equalBytes(digest, signed.payloadSha256);
    return { headerOk, headerParses, payloadOk, ...(dec !== undefined ? { plaintext: { sha256: plainHash.digest(), size: plainSize } } : {}) };
  } finally {
    fileKey?.fill(0);
    if (!finished) await ph.abort?.();
    await writing.catch(() => undefined);
  }
}
