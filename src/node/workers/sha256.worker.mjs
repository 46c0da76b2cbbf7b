// Hash worker for src/node/hash-worker.ts (see the protocol there). Plain JavaScript so it
// runs as a worker file from the sources and from dist/ alike; Node-only, so it uses
// node:crypto directly (the same OpenSSL code the Node backend of #crypto uses).
// Each lane runs one or more hashes of the same bytes (workerData.algs[lane], OpenSSL names;
// SHA-256 alone by default): each message names the lane its slot belongs to.
import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
const { SLOT_BYTES, FREE } = workerData;
const data = new Uint8Array(workerData.data);
const ctrl = new Int32Array(workerData.ctrl);
const algs = workerData.algs ?? Array.from({ length: workerData.lanes ?? 1 }, () => ['sha256']);
const start = (lane) => algs[lane].map((a) => createHash(a));
const hashes = algs.map((_, lane) => start(lane));
parentPort.on('message', (m) => {
  const lane = m.lane ?? 0;
  if (m.finish) {
    const digests = hashes[lane].map((h) => new Uint8Array(h.digest()));
    parentPort.postMessage({ lane, digest: digests[0], digests });
    hashes[lane] = start(lane);
    return;
  }
  const bytes = data.subarray(m.slot * SLOT_BYTES, m.slot * SLOT_BYTES + m.length);
  for (const h of hashes[lane]) h.update(bytes);
  Atomics.store(ctrl, 1 + m.slot, 0);
  Atomics.add(ctrl, FREE, 1);
  Atomics.notify(ctrl, FREE);
});
