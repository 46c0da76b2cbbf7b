import { createHash } from 'node:crypto';

export function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function streamOf(b: Uint8Array, piece = b.length || 1): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= b.length) return c.close();
      c.enqueue(b.slice(off, off + piece));
      off += piece;
    },
  });
}

export async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const r = s.getReader();
  for (let x = await r.read(); !x.done; x = await r.read()) parts.push(x.value);
  return new Uint8Array(Buffer.concat(parts));
}

/** Deterministic pseudo-random bytes (fast, for large test inputs). */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
