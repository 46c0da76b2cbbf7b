/**
 * Runs the published vectors through the portable backend and the public API, and returns one
 * outcome string per case ("ok:<hex>", "err:<code>", "true"/"false"). The same module runs in
 * Node (vitest) and, bundled by esbuild for the browser, in a real Chromium: the browser test
 * asserts that both produce the same outcome for every case. The Node suites (crypto-wycheproof,
 * cctv, merkle, receipt, note) judge those outcomes against the vectors' expectations, so equal
 * outcomes mean the browser passes the same vectors.
 *
 * Nothing here touches Node built-ins: files come through `read`, decompression through the
 * standard DecompressionStream, hashing through the portable backend.
 */
import { decrypt, isCustosError, parseVerifierKey, statementEntry, verifyConsistency, verifyInclusion, verifyNote, verifyStatementReceipt } from '../../src/index.js';
import * as web from '../../src/crypto/web.js';

export type Read = (path: string) => Promise<Uint8Array>;
export type Outcomes = Record<string, string>;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
const b64 = (s: string | null | undefined): Uint8Array => (s == null ? new Uint8Array(0) : Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function outcome(f: () => Uint8Array | boolean | { ok: boolean; code?: string | undefined }): string {
  try {
    const r = f();
    if (typeof r === 'boolean') return String(r);
    if (r instanceof Uint8Array) return `ok:${hex(r)}`;
    return r.ok ? 'ok' : `err:${r.code ?? '?'}`;
  } catch (e) {
    return isCustosError(e) ? `err:${e.code}` : `crash:${String(e)}`;
  }
}

/** Reads a stream to its end by hand: a Response over an erroring stream hides the error (Chromium: "Failed to fetch"). */
async function drain(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const h = web.createSha256();
  const reader = s.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return h.digest();
    h.update(value);
  }
}

async function outcomeAsync(f: () => Promise<Uint8Array | ReadableStream<Uint8Array>>): Promise<string> {
  try {
    const r = await f();
    return `ok:${hex(r instanceof Uint8Array ? web.sha256(r) : await drain(r))}`;
  } catch (e) {
    return isCustosError(e) ? `err:${e.code}` : `crash:${String(e)}`;
  }
}

interface WycheproofFile {
  testGroups: { [k: string]: unknown; tests: { tcId: number; [k: string]: unknown }[] }[];
}
type Exec = (g: Record<string, unknown>, t: Record<string, unknown>) => string;
const f = (o: Record<string, unknown>, k: string): Uint8Array => unhex((o[k] as string | undefined) ?? '');

const WYCHEPROOF: Record<string, Exec> = {
  x25519: (_g, t) => outcome(() => web.x25519(f(t, 'private'), f(t, 'public'))),
  ed25519: (g, t) => outcome(() => web.ed25519Verify(f(g['publicKey'] as Record<string, unknown>, 'pk'), f(t, 'msg'), f(t, 'sig'))),
  ecdsa_secp256r1_sha256_p1363: (g, t) => outcome(() => web.p256Verify(f(g['publicKey'] as Record<string, unknown>, 'uncompressed'), f(t, 'msg'), f(t, 'sig'))),
  chacha20_poly1305: (_g, t) => {
    const sealed = new Uint8Array([...f(t, 'ct'), ...f(t, 'tag')]);
    return `seal=${outcome(() => web.chacha20poly1305Seal(f(t, 'key'), f(t, 'iv'), f(t, 'msg'), f(t, 'aad')))} open=${outcome(() => web.chacha20poly1305Open(f(t, 'key'), f(t, 'iv'), sealed, f(t, 'aad')))}`;
  },
  hkdf_sha256: (_g, t) => outcome(() => web.hkdfSha256(f(t, 'ikm'), f(t, 'salt'), f(t, 'info'), t['size'] as number)),
  hmac_sha256: (_g, t) => outcome(() => web.hmacSha256(f(t, 'key'), f(t, 'msg'))),
};

async function inflate(body: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([body as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The CCTV age testkit: every vector through `decrypt` on bytes and on a stream. */
async function cctv(read: Read, names: readonly string[], out: Outcomes): Promise<void> {
  for (const name of names) {
    const raw = await read(`age/testdata/${name}`);
    let split = -1;
    for (let i = 0; i + 1 < raw.length; i++) if (raw[i] === 0x0a && raw[i + 1] === 0x0a) { split = i; break; }
    const head = text(raw.subarray(0, split)).split('\n');
    let body = raw.subarray(split + 2);
    const identities: string[] = [];
    let skip = false;
    for (const line of head) {
      const [k, v] = [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)];
      if (k === 'identity') identities.push(v);
      else if (k === 'compressed') body = await inflate(body);
      else if (k === 'passphrase') skip = true; // scrypt at the vectors' work factors: covered in Node, too slow to repeat here
      else if (!['expect', 'payload', 'armored', 'file key', 'comment'].includes(k)) skip = true;
    }
    if (skip) continue;
    if (identities.length === 0) continue; // "no identity" cases need a generated key: not deterministic across runs
    const bytes = body;
    out[`age/${name}/bytes`] = await outcomeAsync(() => decrypt(bytes, identities));
    out[`age/${name}/stream`] = await outcomeAsync(() => decrypt(new Blob([bytes as BlobPart]).stream(), identities));
  }
}

export interface VectorListing {
  readonly wycheproof: readonly string[];
  readonly age: readonly string[];
  readonly merkle: readonly string[];
  readonly receipts: readonly string[];
}

/** Every case of every set in `list`; keys name the set, the file and the case. */
export async function execVectors(read: Read, list: VectorListing): Promise<Outcomes> {
  const out: Outcomes = {};
  for (const name of list.wycheproof) {
    const exec = WYCHEPROOF[name];
    if (exec === undefined) throw new Error(`no executor for wycheproof/${name}`);
    const file = JSON.parse(text(await read(`wycheproof/${name}_test.json`))) as WycheproofFile;
    for (const g of file.testGroups) for (const t of g.tests) out[`wycheproof/${name}/${t.tcId}`] = exec(g, t);
  }
  await cctv(read, list.age, out);
  for (const path of list.merkle) {
    const v = JSON.parse(text(await read(`merkle/testdata/${path}`))) as {
      leafHash: string; leafIdx: number; treeSize: number; root: string; size1: number; size2: number; root1: string; root2: string; proof: string[] | null;
    };
    const proof = (v.proof ?? []).map((x) => b64(x));
    out[`merkle/${path}`] = path.startsWith('inclusion/')
      ? outcome(() => verifyInclusion(b64(v.leafHash), v.leafIdx, v.treeSize, proof, b64(v.root)))
      : outcome(() => verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), v.proof === null ? null : proof));
  }
  for (const dir of list.receipts) {
    const d = `cose-receipts/v1/${dir}/`;
    const pem = async (p: string): Promise<{ alg: 'EdDSA' | 'ES256'; publicKey: Uint8Array }> => {
      const der = b64(text(await read(d + p)).replace(/-----[^-]+-----|\s/g, ''));
      return der.length === 44 ? { alg: 'EdDSA', publicKey: der.subarray(12) } : { alg: 'ES256', publicKey: der.subarray(26) };
    };
    const statement = await read(d + 'statement.cose');
    const receipt = await read(d + 'receipt.cose');
    const issuerKey = await pem('issuer-key.pub');
    const logKey = await pem('log-key.pub');
    out[`receipts/${dir}/entry`] = `ok:${hex(statementEntry(statement))}`;
    out[`receipts/${dir}`] = outcome(() => verifyStatementReceipt(statement, receipt, { issuerKey, logKey }));
  }
  const vkey = parseVerifierKey(text(await read('c2sp-notes/signed-note_example-foo.vkey.txt')).trim());
  const note = text(await read('c2sp-notes/signed-note_example-foo.note.txt'));
  out['c2sp-notes/example-foo'] = outcome(() => verifyNote(note, [vkey]));
  out['c2sp-notes/example-foo-altered'] = outcome(() => verifyNote(note.replace('example', 'exampel'), [vkey]));
  return out;
}
