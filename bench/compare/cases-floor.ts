/**
 * The in-memory floor of a seal (issue 23): what sealing `size` bytes cannot cost less than on
 * this machine with node:crypto, with no reading, writing, framing or signing. One raw
 * ChaCha20-Poly1305 pass (a fresh cipher per 64 KiB chunk with a counter nonce, as age's STREAM
 * needs) and two raw SHA-256 passes (the plaintext hash and the payload hash a seal signs),
 * spread over the cores: the cipher on this thread, the hashes on one worker thread (two
 * workers, one per hash, when there are three cores or more). The data is one 64 MiB shared
 * buffer passed over `size / 64 MiB` times, so nothing is copied between threads.
 */
import * as nc from 'node:crypto';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { measure, type Metric } from './measure.js';

const BUF = 64 << 20;
const CHUNK = 64 << 10;

// A worker hashing the shared buffer `passes` times per round, `rounds` rounds; posts 'done'.
const HASHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const data = new Uint8Array(workerData.buf);
parentPort.once('message', () => {
  for (let p = 0; p < workerData.passes; p++) {
    const h = createHash('sha256');
    for (let r = 0; r < workerData.rounds; r++) h.update(r === workerData.rounds - 1 ? data.subarray(0, workerData.last) : data);
    h.digest();
  }
  parentPort.postMessage('done');
});
`;

function startHasher(buf: SharedArrayBuffer, passes: number, rounds: number, last: number): Promise<{ go: () => Promise<void>; stop: () => Promise<number> }> {
  const w = new Worker(HASHER, { eval: true, workerData: { buf, passes, rounds, last } });
  return new Promise((resolve, reject) => {
    w.once('online', () =>
      resolve({
        go: () =>
          new Promise<void>((done, fail) => {
            w.once('message', () => done());
            w.once('error', fail);
            w.postMessage('go');
          }),
        stop: () => w.terminate(),
      }),
    );
    w.once('error', reject);
  });
}

/** Times the floor for `sizeBytes` (the file size of the seal runs). */
export async function sealFloor(a: { sizeBytes: number }): Promise<{ metrics: Record<string, Metric> }> {
  const buf = Math.min(BUF, a.sizeBytes);
  const shared = new SharedArrayBuffer(buf);
  const data = new Uint8Array(shared);
  nc.randomFillSync(data);
  const rounds = Math.ceil(a.sizeBytes / buf);
  const last = a.sizeBytes - (rounds - 1) * buf;
  const hashers = cpus().length >= 3 ? [await startHasher(shared, 1, rounds, last), await startHasher(shared, 1, rounds, last)] : [await startHasher(shared, 2, rounds, last)];
  const key = nc.randomBytes(32);
  const nonce = Buffer.alloc(12);
  try {
    const m = await measure(a.sizeBytes, 'B', async () => {
      const hashed = Promise.all(hashers.map((h) => h.go()));
      let counter = 0;
      for (let r = 0; r < rounds; r++) {
        const end = r === rounds - 1 ? last : buf;
        for (let o = 0; o < end; o += CHUNK) {
          nonce.writeUIntBE(counter++, 5, 6);
          const c = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
          c.update(data.subarray(o, Math.min(o + CHUNK, end)));
          c.final();
          c.getAuthTag();
        }
      }
      await hashed;
    });
    return { metrics: { main: m } };
  } finally {
    await Promise.all(hashers.map((h) => h.stop()));
  }
}
