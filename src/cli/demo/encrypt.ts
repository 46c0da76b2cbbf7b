/** Streams plaintext into an age file on disk, hashing plaintext and payload on the way (one pass). */
import * as crypto from '#crypto';
import { createEncryptor } from '../../envelope/encrypt.js';
import { AtomicFile } from '../../node/bundle-fs.js';

export interface EncryptedFile {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the plaintext (the forensic hash). */
  readonly sha256: Uint8Array;
  /** SHA-256 of the age payload section (what a seal signs). */
  readonly payloadSha256: Uint8Array;
}

export async function encryptToFile(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  out: string,
  recipients: readonly string[],
  onBytes?: (n: number) => void,
  hooks: { onPlaintext?: (c: Uint8Array) => void; onPayload?: (b: Uint8Array) => void } = {},
): Promise<EncryptedFile> {
  const plain = crypto.createSha256();
  const payload = crypto.createSha256();
  let size = 0;
  const enc = await createEncryptor(recipients, {
    onPlaintext: (c) => {
      plain.update(c);
      hooks.onPlaintext?.(c);
    },
    onPayload: (b) => {
      payload.update(b);
      hooks.onPayload?.(b);
    },
  });
  const f = await AtomicFile.create(out, 0o644, { noReplace: true }); // the demo never replaces a file
  try {
    await f.write(enc.header);
    for await (const chunk of source) {
      size += chunk.length;
      for (const b of enc.push(chunk)) await f.write(b);
      onBytes?.(chunk.length);
    }
    for (const b of enc.finish()) await f.write(b);
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
  return { path: out, size, sha256: plain.digest(), payloadSha256: payload.digest() };
}
