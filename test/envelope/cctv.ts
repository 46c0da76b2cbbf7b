/** Loads the CCTV age testkit (test/vectors/age/testdata; see its README). */
import { readFileSync, readdirSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

export const CCTV_DIR = new URL('../vectors/age/testdata/', import.meta.url);

export interface CctvVector {
  name: string;
  expect: 'success' | 'no match' | 'HMAC failure' | 'header failure' | 'payload failure' | 'armor failure';
  payload?: string;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  fileKey?: string;
  body: Uint8Array;
}

const KNOWN = new Set(['expect', 'payload', 'identity', 'passphrase', 'armored', 'compressed', 'file key', 'comment']);

export function loadCctv(): CctvVector[] {
  const out: CctvVector[] = [];
  for (const name of readdirSync(CCTV_DIR).sort()) {
    const raw = new Uint8Array(readFileSync(new URL(name, CCTV_DIR)));
    let split = -1;
    for (let i = 0; i + 1 < raw.length; i++) {
      if (raw[i] === 0x0a && raw[i + 1] === 0x0a) {
        split = i;
        break;
      }
    }
    if (split < 0) throw new Error(`${name}: no blank line`);
    const head = new TextDecoder().decode(raw.subarray(0, split));
    let body = raw.subarray(split + 2);
    const v: CctvVector = { name, expect: 'success', identities: [], passphrases: [], armored: false, body };
    let unknown = false;
    for (const line of head.split('\n')) {
      const i = line.indexOf(': ');
      const k = line.slice(0, i);
      const val = line.slice(i + 2);
      if (!KNOWN.has(k)) unknown = true;
      if (k === 'expect') v.expect = val as CctvVector['expect'];
      else if (k === 'payload') v.payload = val;
      else if (k === 'identity') v.identities.push(val);
      else if (k === 'passphrase') v.passphrases.push(val);
      else if (k === 'armored') v.armored = val === 'yes';
      else if (k === 'file key') v.fileKey = val;
      else if (k === 'compressed') {
        if (val !== 'zlib') unknown = true;
        else body = new Uint8Array(inflateSync(body));
      }
    }
    v.body = body;
    if (!unknown) out.push(v);
  }
  return out;
}
