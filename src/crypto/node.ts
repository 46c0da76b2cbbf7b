/**
 * The Node backend: node:crypto (OpenSSL). 7–13× faster than pure JS on the hot paths.
 * Raw keys are wrapped into KeyObjects through their fixed DER prefixes (RFC 8410), and the
 * KeyObjects are cached because building them costs more than a signature check.
 */
import * as nc from 'node:crypto';
import { CustosError } from '../errors.js';
import { mlkem768x25519Decapsulate, mlkem768x25519Encapsulate, mlkem768x25519PublicKey } from './mlkem.js';
import { ed25519SignatureShapeAllowed } from './ed25519-policy.js';
import { p256NormalizeLowS, p256SignatureLowS } from './p256-policy.js';
import type { CryptoBackend, HashAlg, Sha256Hasher } from './types.js';

export { mlkem768x25519Decapsulate, mlkem768x25519Encapsulate, mlkem768x25519PublicKey };

export const backendName = 'node' as const;

function u8(b: Buffer | ArrayBuffer): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Below this size the one-shot `crypto.hash` (no Hash object) is ~1.5× faster; above, Node's docs advise createHash. */
const ONE_SHOT_MAX = 1 << 20;

export function sha256(data: Uint8Array): Uint8Array {
  if (data.length <= ONE_SHOT_MAX) return u8(nc.hash('sha256', data, 'buffer'));
  return u8(nc.createHash('sha256').update(data).digest());
}

class NodeSha256 implements Sha256Hasher {
  readonly #h = nc.createHash('sha256');
  update(data: Uint8Array): this {
    this.#h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return u8(this.#h.digest());
  }
}

export function createSha256(): Sha256Hasher {
  return new NodeSha256();
}

/** OpenSSL's names of the evidence hash algorithms. */
const NODE_HASH: { readonly [A in HashAlg]: string } = { 'sha-256': 'sha256', 'sha-1': 'sha1', md5: 'md5', 'sha-512': 'sha512' };

export function createHash(alg: HashAlg): Sha256Hasher {
  const name = Object.hasOwn(NODE_HASH, alg) ? NODE_HASH[alg] : undefined;
  if (name === undefined) throw new CustosError('ERR_UNSUPPORTED', `hash algorithm ${JSON.stringify(alg)} is not supported`);
  const h = nc.createHash(name);
  const w: Sha256Hasher = {
    update(data) {
      h.update(data);
      return w;
    },
    digest: () => u8(h.digest()),
  };
  return w;
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return u8(nc.createHmac('sha256', key).update(data).digest());
}

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  try {
    return u8(nc.hkdfSync('sha256', ikm, salt, info, length));
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'HKDF-SHA-256 rejected its parameters', { cause: e });
  }
}

function checkAead(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new CustosError('ERR_CRYPTO', `ChaCha20-Poly1305 key must be 32 bytes, got ${key.length}`);
  if (nonce.length !== 12) throw new CustosError('ERR_CRYPTO', `ChaCha20-Poly1305 nonce must be 12 bytes, got ${nonce.length}`);
}

export function chacha20poly1305SealParts(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): { ciphertext: Uint8Array; tag: Uint8Array } {
  checkAead(key, nonce);
  const c = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  if (aad !== undefined && aad.length > 0) c.setAAD(aad, { plaintextLength: plaintext.length });
  const ct = c.update(plaintext);
  c.final(); // a stream cipher: final() never produces bytes
  return { ciphertext: u8(ct), tag: u8(c.getAuthTag()) };
}

export function chacha20poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const { ciphertext, tag } = chacha20poly1305SealParts(key, nonce, plaintext, aad);
  // One copy is unavoidable here: node:crypto cannot write into a caller's buffer.
  const out = new Uint8Array(ciphertext.length + 16);
  out.set(ciphertext, 0);
  out.set(tag, ciphertext.length);
  return out;
}

export function chacha20poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkAead(key, nonce);
  if (sealed.length < 16) throw new CustosError('ERR_AEAD_AUTH', 'ciphertext shorter than the tag');
  const ctLen = sealed.length - 16;
  const d = nc.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(ctLen));
  if (aad !== undefined && aad.length > 0) d.setAAD(aad, { plaintextLength: ctLen });
  const out = d.update(sealed.subarray(0, ctLen));
  try {
    d.final();
  } catch {
    out.fill(0);
    throw new CustosError('ERR_AEAD_AUTH', 'ChaCha20-Poly1305 authentication failed');
  }
  return u8(out);
}

const ED_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const X_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

const pubCache = new Map<string, nc.KeyObject>();
const PUB_CACHE_MAX = 4096;

function publicKeyObject(prefix: Buffer, raw: Uint8Array): nc.KeyObject {
  const der = Buffer.concat([prefix, raw]);
  const id = der.toString('latin1');
  let k = pubCache.get(id);
  if (k === undefined) {
    k = nc.createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (pubCache.size >= PUB_CACHE_MAX) pubCache.delete(pubCache.keys().next().value as string);
    pubCache.set(id, k);
  }
  return k;
}

function privateKeyObject(prefix: Buffer, raw: Uint8Array): nc.KeyObject {
  return nc.createPrivateKey({ key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8' });
}

interface CachedPrivate {
  readonly copy: Uint8Array;
  readonly key: nc.KeyObject;
}

/**
 * Private KeyObjects cost ~10× a signature to build, so they are cached per secret *array
 * object* (a WeakMap: the entry lives exactly as long as the caller's own array). A hit is used
 * only if the array still holds the bytes it was built from, so mutating a seed in place can
 * never sign with a stale key.
 */
function cachedPrivate(cache: WeakMap<Uint8Array, CachedPrivate>, raw: Uint8Array, build: () => nc.KeyObject): nc.KeyObject {
  const hit = cache.get(raw);
  if (hit !== undefined && hit.copy.length === raw.length) {
    let diff = 0;
    for (let i = 0; i < raw.length; i++) diff |= hit.copy[i]! ^ raw[i]!;
    if (diff === 0) return hit.key;
  }
  const key = build();
  cache.set(raw, { copy: raw.slice(), key });
  return key;
}

const edPrivCache = new WeakMap<Uint8Array, CachedPrivate>();
const p256PrivCache = new WeakMap<Uint8Array, CachedPrivate>();

function rawPublic(k: nc.KeyObject): Uint8Array {
  const der = k.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

function seed32(name: string, b: Uint8Array): void {
  if (b.length !== 32) throw new CustosError('ERR_CRYPTO', `${name} must be 32 bytes, got ${b.length}`);
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  seed32('Ed25519 seed', seed);
  return rawPublic(nc.createPublicKey(privateKeyObject(ED_PKCS8, seed)));
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  seed32('Ed25519 seed', seed);
  return u8(nc.sign(null, message, cachedPrivate(edPrivCache, seed, () => privateKeyObject(ED_PKCS8, seed))));
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  // OpenSSL alone accepts small-order and non-canonical keys; the shared policy rejects them.
  if (!ed25519SignatureShapeAllowed(publicKey, signature)) return false;
  try {
    return nc.verify(null, message, publicKeyObject(ED_SPKI, publicKey), signature);
  } catch {
    return false;
  }
}

export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  seed32('X25519 secret', secret);
  return rawPublic(nc.createPublicKey(privateKeyObject(X_PKCS8, secret)));
}

export function x25519(secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  seed32('X25519 secret', secret);
  seed32('X25519 public key', publicKey);
  let out: Uint8Array;
  try {
    out = u8(
      nc.diffieHellman({ privateKey: privateKeyObject(X_PKCS8, secret), publicKey: publicKeyObject(X_SPKI, publicKey) }),
    );
  } catch (e) {
    // OpenSSL refuses to return an all-zero shared secret (low-order point).
    throw new CustosError('ERR_X25519_LOW_ORDER', 'X25519 produced the all-zero shared secret', { cause: e });
  }
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw new CustosError('ERR_X25519_LOW_ORDER', 'X25519 produced the all-zero shared secret');
  return out;
}

const P256_SPKI_UNCOMPRESSED = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const P256_SPKI_COMPRESSED = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

export function p256PublicKey(secret: Uint8Array): Uint8Array {
  seed32('P-256 private key', secret);
  try {
    const ecdh = nc.createECDH('prime256v1');
    ecdh.setPrivateKey(secret);
    return u8(ecdh.getPublicKey(null, 'uncompressed'));
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'invalid P-256 private key', { cause: e });
  }
}

export function p256Sign(secret: Uint8Array, message: Uint8Array): Uint8Array {
  const key = cachedPrivate(p256PrivCache, secret, () => {
    const pub = p256PublicKey(secret);
    const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    return nc.createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64u(secret), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)) },
      format: 'jwk',
    });
  });
  // OpenSSL returns either form; custos produces low-S only (p256-policy.ts).
  return p256NormalizeLowS(u8(nc.sign('sha256', message, { key, dsaEncoding: 'ieee-p1363' })));
}

/**
 * SEC1 §2.3.3: 0x04 for 65-byte keys, 0x02/0x03 for 33-byte ones. OpenSSL also takes the
 * "hybrid" 0x06/0x07 form, which noble (and COSE/JOSE) do not: refused so both backends agree.
 */
function sec1PrefixOk(publicKey: Uint8Array): boolean {
  const p = publicKey[0];
  return publicKey.length === 65 ? p === 0x04 : p === 0x02 || p === 0x03;
}

export function p256Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  // OpenSSL accepts both (r, s) and (r, n − s); the shared policy refuses the high-S twin.
  if (!p256SignatureLowS(signature)) return false;
  const prefix = publicKey.length === 65 ? P256_SPKI_UNCOMPRESSED : publicKey.length === 33 ? P256_SPKI_COMPRESSED : null;
  if (prefix === null || !sec1PrefixOk(publicKey)) return false;
  try {
    return nc.verify('sha256', message, { key: publicKeyObject(prefix, publicKey), dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

export function scrypt(password: Uint8Array, salt: Uint8Array, logN: number, r: number, p: number, dkLen: number): Uint8Array {
  const N = 2 ** logN;
  try {
    return u8(nc.scryptSync(password, salt, dkLen, { N, r, p, maxmem: 256 * N * r + 64 * 1024 * 1024 }));
  } catch (e) {
    throw new CustosError('ERR_CRYPTO', 'scrypt rejected its parameters', { cause: e });
  }
}

export function randomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new CustosError('ERR_INVALID_ARGUMENT', '"length" expected a non-negative integer');
  return nc.randomFillSync(new Uint8Array(length));
}

export const backend: CryptoBackend = {
  backendName,
  sha256,
  createSha256,
  createHash,
  hmacSha256,
  hkdfSha256,
  chacha20poly1305Seal,
  chacha20poly1305SealParts,
  chacha20poly1305Open,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  x25519PublicKey,
  x25519,
  p256PublicKey,
  p256Sign,
  p256Verify,
  scrypt,
  randomBytes,
  mlkem768x25519PublicKey,
  mlkem768x25519Encapsulate,
  mlkem768x25519Decapsulate,
};
