// STREAM worker for src/crypto/stream-pool.ts: seals or opens runs of age STREAM chunks with
// node:crypto (Node-only; the pool is opt-in). Plain JavaScript so it runs as a worker file
// from the sources and from dist/ alike.
import { parentPort } from 'node:worker_threads';
import * as nc from 'node:crypto';
const CH = 65536, TAG = 16;
const nonce = Buffer.alloc(12);
function setNonce(counter, last) {
  nonce.fill(0);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) { nonce[i] = c % 256; c = Math.floor(c / 256); }
  nonce[11] = last ? 1 : 0;
  return nonce;
}
function open(key, counter, sealed, last) {
  const d = nc.createDecipheriv('chacha20-poly1305', key, setNonce(counter, last), { authTagLength: TAG });
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  const pt = d.update(sealed.subarray(0, sealed.length - TAG));
  try { d.final(); return pt; } catch { pt.fill(0); return null; }
}
parentPort.on('message', (m) => {
  try {
    const key = Buffer.from(m.key.buffer, m.key.byteOffset, m.key.byteLength);
    const input = new Uint8Array(m.buf, 0, m.len);
    if (m.op === 'seal') {
      const n = m.len === 0 ? 1 : Math.ceil(m.len / CH);
      const need = m.len + n * TAG;
      const out = m.out && m.out.byteLength >= need ? Buffer.from(m.out, 0, need) : Buffer.allocUnsafeSlow(need); // every byte is written below
      let o = 0;
      for (let i = 0; i < n; i++) {
        const c = nc.createCipheriv('chacha20-poly1305', key, setNonce(m.counter + i, m.last && i === n - 1), { authTagLength: TAG });
        const ct = c.update(input.subarray(i * CH, Math.min(m.len, (i + 1) * CH)));
        c.final();
        out.set(ct, o); o += ct.length;
        out.set(c.getAuthTag(), o); o += TAG;
      }
      parentPort.postMessage({ id: m.id, out: out.buffer, len: need, buf: m.buf }, [out.buffer, m.buf]);
      return;
    }
    const EC = CH + TAG;
    const n = Math.ceil(m.len / EC);
    // m.len is an upper bound (a last piece may be shorter than a tag); written up to o
    const out = m.out && m.out.byteLength >= m.len ? Buffer.from(m.out, 0, m.len) : Buffer.allocUnsafeSlow(m.len);
    let o = 0, finalAt = -1, failAt = -1, short = false;
    for (let i = 0; i < n; i++) {
      const sealed = input.subarray(i * EC, Math.min(m.len, (i + 1) * EC));
      if (sealed.length < TAG) { short = true; break; }
      let pt = sealed.length === EC ? open(key, m.counter + i, sealed, false) : null;
      if (pt === null) { pt = open(key, m.counter + i, sealed, true); if (pt !== null) finalAt = i; }
      if (pt === null) { failAt = i; break; }
      out.set(pt, o); o += pt.length;
      if (finalAt >= 0) break;
    }
    if (failAt >= 0 || short) out.fill(0);
    else out.fill(0, o); // bytes past the last opened chunk (after an early final one) are never stale memory
    parentPort.postMessage({ id: m.id, out: out.buffer, len: o, chunks: n, finalAt, failAt, short, buf: m.buf }, [out.buffer, m.buf]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String(e && e.name), buf: m.buf }, [m.buf]);
  }
});
