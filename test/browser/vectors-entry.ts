/** The browser side of vectors.test.ts: exposes execVectors with files fetched from the test server. */
import { execVectors, type VectorListing } from './vector-exec.js';

const read = async (path: string): Promise<Uint8Array> => {
  const r = await fetch(`/vectors/${path}`);
  if (!r.ok) throw new Error(`GET /vectors/${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

(globalThis as { runVectors?: (list: VectorListing) => Promise<Record<string, string>> }).runVectors = (list) => execVectors(read, list);
