// SHA-256 worker for src/node/hash-worker.ts (see the protocol there). Plain JavaScript so it
// runs as a worker file from the sources and from dist/ alike; Node-only, so it uses
// node:crypto's SHA-256 directly (the same OpenSSL code the Node backend of #crypto uses).
// One hash per lane: each message names the lane its slot belongs to.
import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
const { SLOT_BYTES, FREE } = workerData;
const data = new Uint8Array(workerData.data);
const ctrl = new Int32Array(workerData.ctrl);
const hashes = Array.from({ length: workerData.lanes ?? 1 }, () => createHash('sha256'));
parentPort.on('message', (m) => {
  const lane = m.lane ?? 0;
  if (m.finish) {
    parentPort.postMessage({ lane, digest: new Uint8Array(hashes[lane].digest()) });
    hashes[lane] = createHash('sha256');
    return;
  }
  hashes[lane].update(data.subarray(m.slot * SLOT_BYTES, m.slot * SLOT_BYTES + m.length));
  Atomics.store(ctrl, 1 + m.slot, 0);
  Atomics.add(ctrl, FREE, 1);
  Atomics.notify(ctrl, FREE);
});
