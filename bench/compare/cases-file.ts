/**
 * Runs on files, one per child process: encrypt / seal to a file and to a discarding sink,
 * decrypt / open with the plaintext hash check, and hashing a file. Each returns the metrics of
 * the one operation it times and, where the parent can cross-check it against the peer, a
 * value to compare (a digest).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as crypto from '#crypto';
import { toHex } from '../../src/bytes.js';
import { encrypt } from '../../src/envelope/index.js';
import { SigningKey, TrustStore, trustedKeyEntry } from '../../src/keys/index.js';
import { decryptFile, encryptFile, openFile, sealFile } from '../../src/node/index.js';
import { BlockReader } from '../../src/node/files.js';
import { sealItem } from '../../src/seal/index.js';
import { measure, type Metric } from './measure.js';

/** What every file case is given (paths in the bench's scratch directory, keys as text). */
export interface FileCaseArgs {
  readonly input: string;
  readonly output: string;
  readonly recipient: string;
  readonly identity: string;
  /** Hex Ed25519 seed of the sealing authority. */
  readonly signerSeed: string;
  /** For openFile: the seal written by a sealFile run. */
  readonly seal?: string;
}

const AUTHORITY = 'bench.authority';
const CONTEXT = { caseId: 'BENCH-1', requestId: 'EIO-BENCH-1', purpose: 'benchmark', legalBasis: 'none' };

function signer(a: FileCaseArgs): SigningKey {
  return SigningKey.fromSecret(Uint8Array.from(Buffer.from(a.signerSeed, 'hex')));
}

/** The trust store a verifier of the bench's seals uses. */
export function benchTrust(seedHex: string): TrustStore {
  const key = SigningKey.fromSecret(Uint8Array.from(Buffer.from(seedHex, 'hex')));
  return TrustStore.parse({
    version: 1,
    authorities: [{ id: AUTHORITY, name: 'Bench', jurisdiction: 'AT', roles: ['custodian'], keys: [trustedKeyEntry('EdDSA', key.publicKey, '2020-01-01T00:00:00Z')] }],
  });
}

function sealOptions(a: FileCaseArgs) {
  return { recipients: [a.recipient], signer: signer(a), authority: AUTHORITY, id: 'BENCH-ITEM', context: CONTEXT };
}

/** The input as a Web stream (what a caller piping a file or a socket hands to the streaming API). */
function fileStream(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path, { highWaterMark: 2 << 20 })) as unknown as ReadableStream<Uint8Array>;
}

/** Reads a stream to its end, keeping nothing (the discarding sink); returns the byte count. */
async function drain(s: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const b of s as unknown as AsyncIterable<Uint8Array>) n += b.length;
  return n;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

export const fileCases: Record<string, (a: FileCaseArgs) => Promise<{ metrics: Record<string, Metric>; check?: string }>> = {
  async encryptFile(a) {
    const n = await sizeOf(a.input);
    return { metrics: { main: await measure(n, 'B', () => encryptFile(a.input, a.output, [a.recipient])) } };
  },
  async sealFile(a) {
    const n = await sizeOf(a.input);
    let sha = '';
    const m = await measure(n, 'B', async () => {
      const r = await sealFile(a.input, a.output, `${a.output}.seal`, sealOptions(a));
      sha = toHex(r.manifest.sha256);
    });
    return { metrics: { main: m }, check: sha };
  },
  async encryptSink(a) {
    const n = await sizeOf(a.input);
    let out = 0;
    const m = await measure(n, 'B', async () => {
      out = await drain(await encrypt(fileStream(a.input), [a.recipient]));
    });
    if (out <= n) throw new Error('encrypt produced too few bytes');
    return { metrics: { main: m } };
  },
  async sealSink(a) {
    const n = await sizeOf(a.input);
    let sha = '';
    const m = await measure(n, 'B', async () => {
      const { ciphertext, seal } = await sealItem(fileStream(a.input), sealOptions(a));
      await drain(ciphertext);
      sha = toHex((await seal).manifest.sha256);
    });
    return { metrics: { main: m }, check: sha };
  },
  async decryptFile(a) {
    const n = await sizeOf(a.input);
    const m = await measure(n, 'B', () => decryptFile(a.input, a.output, a.identity));
    return { metrics: { main: m } };
  },
  async openFile(a) {
    if (a.seal === undefined) throw new Error('openFile needs a seal');
    const n = await sizeOf(a.input);
    const trust = benchTrust(a.signerSeed);
    const m = await measure(n, 'B', () => openFile(a.input, a.seal!, a.output, { identities: [a.identity], trust, expect: { requestId: CONTEXT.requestId } }));
    return { metrics: { main: m } };
  },
  /** Streamed SHA-256 of a file through #crypto, read with the library's prefetching block reader. */
  async hashFile(a) {
    const n = await sizeOf(a.input);
    let digest = '';
    const m = await measure(n, 'B', async () => {
      const fh = await open(a.input, 'r');
      try {
        const h = crypto.createSha256();
        const r = new BlockReader(fh, 2 << 20);
        for (let b = await r.read(); b !== null; b = await r.read()) h.update(b);
        digest = toHex(h.digest());
      } finally {
        await fh.close();
      }
    });
    return { metrics: { main: m }, check: digest };
  },
};

