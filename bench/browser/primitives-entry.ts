/** In the page: the portable backend's SHA-256 and ChaCha20-Poly1305 against WebCrypto's one-shot SHA-256. */
import * as web from '../../src/crypto/web.js';

async function best(f: () => unknown | Promise<unknown>, runs: number): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

(globalThis as { benchPrimitives?: (mib: number, runs: number) => Promise<Record<string, number>> }).benchPrimitives = async (mib, runs) => {
  const data = new Uint8Array(mib << 20);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12);
  const mbps = (ms: number): number => data.length / 1e6 / (ms / 1000);
  return {
    'sha256 noble one-shot': mbps(await best(() => web.sha256(data), runs)),
    'sha256 noble streaming 64 KiB': mbps(await best(() => {
      const h = web.createSha256();
      for (let o = 0; o < data.length; o += 65536) h.update(data.subarray(o, o + 65536));
      return h.digest();
    }, runs)),
    'sha256 WebCrypto one-shot': mbps(await best(() => crypto.subtle.digest('SHA-256', data), runs)),
    'chacha20-poly1305 noble 64 KiB chunks': mbps(await best(() => {
      for (let o = 0; o < data.length; o += 65536) web.chacha20poly1305Seal(key, nonce, data.subarray(o, o + 65536));
    }, runs)),
  };
};
