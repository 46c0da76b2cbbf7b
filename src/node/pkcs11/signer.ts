/**
 * A signer whose private key stays on a PKCS#11 token (an HSM, a smart card, SoftHSM).
 *
 * On the `pkcs11js` binding (PeculiarVentures): a thin, maintained N-API layer over the C
 * interface, with asynchronous C_Sign on the libuv pool, so signing does not block the event
 * loop. (graphene-pk11 wraps the same binding in an object model we do not need.) It is an
 * optional dependency, loaded only when a token is opened.
 *
 * Ed25519 keys sign with CKM_EDDSA over the message; P-256 keys with CKM_ECDSA over the SHA-256
 * of the message, the r‖s result normalised to low-S. The public key is read from the token's
 * public-key object with the same CKA_ID (or label), and the kid is its RFC 9679 thumbprint, as
 * for every other key; signWith checks every signature against it, so a token answering with
 * another key than the one it named is caught at signing time.
 */
import * as crypto from '#crypto';
import { CustosError, fail } from '../../errors.js';
import { keyId, type AsyncSigner, type SignatureAlg } from '../../keys/signing.js';
import { parsePkcs11Uri, type Pkcs11Uri } from '../../keys/pkcs11-uri.js';
import { p256LowS } from './low-s.js';
import { ckrOf, pkcs11Error } from './errors.js';
import { resolvePin } from './pin.js';
import { acquireModule, loadBinding, markModuleDead, type Binding, type LoadedModule } from './module.js';

// PKCS#11 3.0 values the binding's 2.40 constants lack.
const CKK_EC_EDWARDS = 0x40;
const CKM_EDDSA = 0x1057;
// Session states (PKCS#11 v2.40 §5.6), which the binding does not export.
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;
// DER of the curve OIDs / names in CKA_EC_PARAMS.
const P256_OID = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
const ED25519_OID = Uint8Array.of(0x06, 0x03, 0x2b, 0x65, 0x70);
const ED25519_NAME = Uint8Array.of(0x13, 0x0c, ...new TextEncoder().encode('edwards25519'));

/** Options for {@link openPkcs11Signer}. */
export interface Pkcs11SignerOptions {
  /** Path of the PKCS#11 module (.so); default: the URI's module-path, then CUSTOS_PKCS11_MODULE. */
  readonly module?: string;
  /** The user PIN, for programs that hold it already; otherwise pin-source, CUSTOS_PKCS11_PIN or a prompt. */
  readonly pin?: string;
}

/** A signer on a token; `close()` logs out and closes its session. */
export interface Pkcs11Signer extends AsyncSigner {
  readonly tokenLabel: string;
  /** The key's CKA_LABEL on the token, if it has one. */
  readonly label: string | undefined;
  close(): Promise<void>;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A DER OCTET STRING's content (CKA_EC_POINT is one); the input itself when it is a bare point. */
function unwrapOctets(b: Uint8Array, want: number): Uint8Array {
  if (b.length === want) return b;
  if (b[0] === 0x04) {
    const [len, hdr] = b[1]! < 0x80 ? [b[1]!, 2] : b[1] === 0x81 ? [b[2]!, 3] : [-1, 0];
    if (len === want && hdr + len === b.length) return b.subarray(hdr);
  }
  fail('ERR_PKCS11', `the token's CKA_EC_POINT is not a ${want}-byte point`);
}

function matchesText(want: string | undefined, have: string): boolean {
  return want === undefined || want === have.replace(/[ \0]+$/, '');
}

/** The one token slot the URI names; throws when none or more than one match. */
function findSlot(p: Binding, uri: Pkcs11Uri): { slot: Buffer; label: string; flags: number } {
  const info = p.C_GetInfo();
  if (!matchesText(uri.libraryManufacturer, info.manufacturerID) || !matchesText(uri.libraryDescription, info.libraryDescription)) {
    fail('ERR_PKCS11_TOKEN_NOT_FOUND', 'the module does not match the URI\'s library attributes');
  }
  if (uri.libraryVersion !== undefined && (info.libraryVersion.major !== uri.libraryVersion.major || info.libraryVersion.minor !== uri.libraryVersion.minor)) {
    fail('ERR_PKCS11_TOKEN_NOT_FOUND', 'the module\'s library-version does not match the URI');
  }
  const found: { slot: Buffer; label: string; flags: number }[] = [];
  for (const slot of p.C_GetSlotList(true)) {
    if (uri.slotId !== undefined && slot.readUIntLE(0, Math.min(slot.length, 6)) !== uri.slotId) continue;
    const s = p.C_GetSlotInfo(slot);
    if (!matchesText(uri.slotDescription, s.slotDescription) || !matchesText(uri.slotManufacturer, s.manufacturerID)) continue;
    const t = p.C_GetTokenInfo(slot);
    if (!matchesText(uri.token, t.label) || !matchesText(uri.manufacturer, t.manufacturerID)) continue;
    if (!matchesText(uri.model, t.model) || !matchesText(uri.serial, t.serialNumber)) continue;
    found.push({ slot, label: t.label.replace(/[ \0]+$/, ''), flags: t.flags });
  }
  if (found.length === 0) fail('ERR_PKCS11_TOKEN_NOT_FOUND', `no token matches the URI${uri.token === undefined ? '' : ` (token "${uri.token}")`}`);
  if (found.length > 1) fail('ERR_PKCS11_TOKEN_NOT_FOUND', `${found.length} tokens match the URI: name one with token=…`);
  return found[0]!;
}

function findOne(p: Binding, session: Buffer, cls: number, uri: Pkcs11Uri): Buffer | undefined {
  const K = loadBinding();
  const template: { type: number; value: number | string | Buffer }[] = [{ type: K.CKA_CLASS, value: cls }];
  if (uri.object !== undefined) template.push({ type: K.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: K.CKA_ID, value: Buffer.from(uri.id) });
  p.C_FindObjectsInit(session, template);
  let handles: Buffer[];
  try {
    handles = p.C_FindObjects(session, 2);
  } finally {
    p.C_FindObjectsFinal(session);
  }
  if (handles.length > 1) fail('ERR_PKCS11_KEY_NOT_FOUND', 'more than one key on the token matches the URI: add object=… or id=…');
  return handles[0];
}

function attr(p: Binding, session: Buffer, obj: Buffer, type: number): Buffer {
  const [a] = p.C_GetAttributeValue(session, obj, [{ type }]);
  if (!(a?.value instanceof Buffer)) fail('ERR_PKCS11', 'the token did not return a key attribute');
  return a.value;
}

function keyAlg(p: Binding, session: Buffer, key: Buffer): SignatureAlg {
  const K = loadBinding();
  const type = attr(p, session, key, K.CKA_KEY_TYPE).readUIntLE(0, 4);
  const params = new Uint8Array(attr(p, session, key, K.CKA_EC_PARAMS));
  if (type === CKK_EC_EDWARDS && (eq(params, ED25519_OID) || eq(params, ED25519_NAME))) return 'EdDSA';
  if (type === K.CKK_EC && eq(params, P256_OID)) return 'ES256';
  fail('ERR_PKCS11_MECHANISM', 'the token key is neither Ed25519 nor P-256: custos signs with EdDSA (Ed25519) or ES256 only');
}

/**
 * Opens a signer for the key an RFC 7512 URI names: finds the token by its label (and any other
 * token attributes given), logs in, finds the private key by `object` (CKA_LABEL) and/or `id`
 * (CKA_ID) and reads its public key. Close it when done.
 *
 * Errors: ERR_PKCS11_URI (malformed URI, pin-value), ERR_PKCS11_UNAVAILABLE (no binding or
 * module), ERR_PKCS11_TOKEN_NOT_FOUND, ERR_PKCS11_PIN (wrong or missing PIN; never shown),
 * ERR_PKCS11_LOCKED, ERR_PKCS11_KEY_NOT_FOUND, ERR_PKCS11_MECHANISM, ERR_PKCS11_TOKEN_REMOVED.
 *
 * @example
 * ```ts
 * const signer = await openPkcs11Signer('pkcs11:token=Court%20HSM;object=exec-2026?module-path=/usr/lib/softhsm/libsofthsm2.so');
 * const chain = (await appendEvent(createChain('item-1'), event, signer)).chain;
 * await signer.close();
 * ```
 */
export async function openPkcs11Signer(uriText: string, opts: Pkcs11SignerOptions = {}): Promise<Pkcs11Signer> {
  const uri = parsePkcs11Uri(uriText);
  if (uri.type !== undefined && uri.type !== 'private') fail('ERR_PKCS11_URI', 'a signer needs a private key: type must be private or absent');
  if (uri.object === undefined && uri.id === undefined) fail('ERR_PKCS11_URI', 'name the key with object=… (its label) or id=…');
  if (uri.pinValue !== undefined) await resolvePin({ pinValue: uri.pinValue, tokenLabel: '' }); // refuses
  const path = opts.module ?? uri.modulePath ?? process.env['CUSTOS_PKCS11_MODULE'];
  if (path === undefined || path === '') {
    fail('ERR_PKCS11_UNAVAILABLE', uri.moduleName !== undefined ? 'module-name is not resolved by custos: give module-path=… or CUSTOS_PKCS11_MODULE' : 'no PKCS#11 module: give module-path=… in the URI or set CUSTOS_PKCS11_MODULE');
  }
  const mod = acquireModule(path);
  const K = loadBinding();
  let session: Buffer | undefined;
  try {
    const p = mod.p;
    const { slot, label, flags } = call('C_GetSlotList', () => findSlot(p, uri));
    if ((flags & K.CKF_USER_PIN_LOCKED) !== 0) fail('ERR_PKCS11_LOCKED', `the user PIN of token "${label}" is locked; the security officer must unlock it`);
    const mechs = call('C_GetMechanismList', () => p.C_GetMechanismList(slot));
    session = call('C_OpenSession', () => p.C_OpenSession(slot, K.CKF_SERIAL_SESSION));
    const s = session;
    // Login state is per application and token (PKCS#11 v2.40 §5.6): when another signer of this
    // process is logged in already, this session shares it, and no PIN is asked for or tried.
    const state = call('C_GetSessionInfo', () => p.C_GetSessionInfo(s).state);
    const loggedIn = state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
    if ((flags & K.CKF_LOGIN_REQUIRED) !== 0 && !loggedIn) {
      const pin = await resolvePin({ ...(opts.pin !== undefined ? { pin: opts.pin } : {}), ...(uri.pinSource !== undefined ? { pinSource: uri.pinSource } : {}), tokenLabel: label });
      try {
        p.C_Login(s, K.CKU_USER, pin);
      } catch (e) {
        if ((e as { code?: unknown }).code !== K.CKR_USER_ALREADY_LOGGED_IN) throw pkcs11Error('C_Login', e);
      }
    }
    const key = call('C_FindObjects', () => findOne(p, s, K.CKO_PRIVATE_KEY, uri));
    if (key === undefined) fail('ERR_PKCS11_KEY_NOT_FOUND', `no private key on token "${label}" matches the URI`);
    const alg = call('C_GetAttributeValue', () => keyAlg(p, s, key));
    // The public half: the public-key object with the same id (or label) as the private key.
    const keyIdAttr = call('C_GetAttributeValue', () => p.C_GetAttributeValue(s, key, [{ type: K.CKA_ID }])[0]?.value);
    // By CKA_ID alone when the key has one (tools often label the two halves differently), else by the URI.
    const pubUri: Pkcs11Uri = keyIdAttr instanceof Buffer && keyIdAttr.length > 0 ? { id: new Uint8Array(keyIdAttr) } : uri;
    const pub = call('C_FindObjects', () => findOne(p, s, K.CKO_PUBLIC_KEY, pubUri));
    if (pub === undefined) fail('ERR_PKCS11_KEY_NOT_FOUND', `token "${label}" has no public-key object for this key, so its public key cannot be read`);
    const point = new Uint8Array(call('C_GetAttributeValue', () => attr(p, s, pub, K.CKA_EC_POINT)));
    const publicKey = unwrapOctets(point, alg === 'EdDSA' ? 32 : 65).slice();
    const mechanism = alg === 'EdDSA' ? CKM_EDDSA : K.CKM_ECDSA;
    if (!mechs.includes(mechanism)) fail('ERR_PKCS11_MECHANISM', `token "${label}" does not offer ${alg === 'EdDSA' ? 'CKM_EDDSA' : 'CKM_ECDSA'}`);
    const labelAttr = call('C_GetAttributeValue', () => p.C_GetAttributeValue(s, key, [{ type: K.CKA_LABEL }])[0]?.value);
    return makeSigner(mod, s, key, alg, publicKey, label, labelAttr instanceof Buffer ? labelAttr.toString('utf8') : undefined, mechanism);
  } catch (e) {
    if (session !== undefined) {
      try {
        mod.p.C_CloseSession(session);
      } catch {
        // already gone: nothing to close
      }
    }
    mod.release();
    throw e instanceof CustosError ? e : pkcs11Error('open', e);
  }
}

function call<T>(fn: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw pkcs11Error(fn, e);
  }
}

function makeSigner(mod: LoadedModule, session: Buffer, key: Buffer, alg: SignatureAlg, publicKey: Uint8Array, tokenLabel: string, label: string | undefined, mechanism: number): Pkcs11Signer {
  const K = loadBinding();
  const p = mod.p;
  let closed = false;
  // One operation at a time on a session (PKCS#11 v2.40 §5.2): signatures queue up.
  let queue: Promise<unknown> = Promise.resolve();
  const signOnce = async (message: Uint8Array): Promise<Uint8Array> => {
    if (closed) fail('ERR_PKCS11_TOKEN_REMOVED', 'the PKCS#11 signer was closed');
    if (mod.dead) fail('ERR_PKCS11_TOKEN_REMOVED', 'the PKCS#11 module was finalized');
    const input = Buffer.from(alg === 'EdDSA' ? message : crypto.sha256(message));
    const lost = (fn: string, e: unknown) => {
      // Finalized from under us: the next open must load the module afresh.
      if (ckrOf(e) === K.CKR_CRYPTOKI_NOT_INITIALIZED) markModuleDead(mod.path);
      return pkcs11Error(fn, e);
    };
    let sig: Buffer;
    try {
      p.C_SignInit(session, { mechanism }, key);
    } catch (e) {
      throw lost('C_SignInit', e);
    }
    try {
      sig = await p.C_SignAsync(session, input, Buffer.alloc(alg === 'EdDSA' ? 64 : 72));
    } catch (e) {
      throw lost('C_Sign', e);
    }
    const raw = new Uint8Array(sig);
    return alg === 'ES256' ? p256LowS(raw) : raw;
  };
  const signer: Pkcs11Signer = {
    alg,
    publicKey,
    kid: keyId(alg, publicKey),
    tokenLabel,
    label,
    sign(message: Uint8Array): Promise<Uint8Array> {
      if (!(message instanceof Uint8Array)) return Promise.reject(new CustosError('ERR_INVALID_ARGUMENT', '"message" expected a Uint8Array'));
      const run = queue.then(() => signOnce(message));
      queue = run.catch(() => undefined);
      return run;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue;
      if (!mod.dead) {
        try {
          p.C_CloseSession(session);
        } catch {
          // the session is gone already (token removed, sessions closed): nothing to close
        }
      }
      mod.release();
    },
  };
  return Object.freeze(signer);
}
