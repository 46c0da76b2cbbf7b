/**
 * The PKCS#11 signer against a real SoftHSM2 token (a throwaway token directory per run).
 * Skips with a message only when SoftHSM2 is not installed and CI is not set; in CI a missing
 * module fails.
 *
 * Attacks and failures, each tested below:
 * - the private key leaving the token → it is sensitive and not extractable; CKA_VALUE cannot be read
 * - a token returning high-S ECDSA signatures → every ES256 signature is low-S
 * - a token public-key object that does not belong to the private key → ERR_SIGNER at signing
 * - wrong PIN → ERR_PKCS11_PIN, the PIN never in the message; pin-value in a URI → refused
 * - locked PIN → ERR_PKCS11_LOCKED (SoftHSM2 never locks: the CKR mapping is tested directly)
 * - key or token not found, an ambiguous match → ERR_PKCS11_KEY_NOT_FOUND / _TOKEN_NOT_FOUND
 * - a key the token may not sign with, or of a curve custos does not use → ERR_PKCS11_MECHANISM
 * - the session closed or the module finalized from under the signer → ERR_PKCS11_TOKEN_REMOVED
 * - a world-readable pin-source file → refused
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSign1, keyId, signSign1, verifySign1, isCustosError } from '../../../src/index.js';
import { openPkcs11Signer, type Pkcs11Signer } from '../../../src/node/index.js';
import { isP256LowS } from '../../../src/node/pkcs11/low-s.js';
import { pkcs11Error } from '../../../src/node/pkcs11/errors.js';
import { createTestToken, skipReason, tokenUri, USER_PIN, type TestToken } from './softhsm.js';
import { runExchange } from './exchange.js';

const reason = skipReason();
if (reason !== undefined) console.warn(`[pkcs11] ${reason}`);

async function code(p: () => Promise<unknown>): Promise<string> {
  try {
    await p();
    return 'ok';
  } catch (e) {
    return isCustosError(e) ? e.code : `not a CustosError: ${String(e)}`;
  }
}

describe.skipIf(reason !== undefined)('PKCS#11 signer on SoftHSM2', () => {
  let t: TestToken;
  const open: Pkcs11Signer[] = [];
  const openSigner = async (attrs: string, o: { pin?: string } = { pin: USER_PIN }) => {
    const s = await openPkcs11Signer(tokenUri(t, attrs), o);
    open.push(s);
    return s;
  };

  beforeAll(() => {
    t = createTestToken('custos-exec');
    t.generate('EdDSA', 'exec-ed25519', Uint8Array.of(1));
    t.generate('ES256', 'exec-p256', Uint8Array.of(2));
  });
  afterAll(async () => {
    for (const s of open) await s.close();
    t?.dispose();
  });

  it('keeps the private keys on the token: sensitive, not extractable, CKA_VALUE unreadable', () => {
    t.raw((p, _slot, session, k) => {
      p.C_FindObjectsInit(session, [{ type: k.CKA_CLASS, value: k.CKO_PRIVATE_KEY }]);
      const keys = p.C_FindObjects(session, 10);
      p.C_FindObjectsFinal(session);
      expect(keys.length).toBe(2);
      for (const key of keys) {
        const [ext, sens, never] = p.C_GetAttributeValue(session, key, [{ type: k.CKA_EXTRACTABLE }, { type: k.CKA_SENSITIVE }, { type: k.CKA_NEVER_EXTRACTABLE }]);
        expect(ext?.value).toEqual(Buffer.from([0]));
        expect(sens?.value).toEqual(Buffer.from([1]));
        expect(never?.value).toEqual(Buffer.from([1]));
        let err: unknown;
        try {
          p.C_GetAttributeValue(session, key, [{ type: k.CKA_VALUE }]);
        } catch (e) {
          err = e;
        }
        expect((err as { code?: number } | undefined)?.code).toBe(k.CKR_ATTRIBUTE_SENSITIVE);
      }
    });
  });

  it('signs Ed25519 (CKM_EDDSA) and ES256 (CKM_ECDSA, low-S) with public key and kid from the token', async () => {
    const ed = await openSigner('object=exec-ed25519');
    const ec = await openSigner('id=%02');
    expect(ed.alg).toBe('EdDSA');
    expect(ec.alg).toBe('ES256');
    expect(ec.label).toBe('exec-p256');
    expect(ed.kid).toEqual(keyId('EdDSA', ed.publicKey));
    expect(ec.kid).toEqual(keyId('ES256', ec.publicKey));
    for (const s of [ed, ec]) {
      const msg = await signSign1(new TextEncoder().encode('evidence'), s);
      expect(verifySign1(decodeSign1(msg), s)).toBe(true);
    }
    // ECDSA is randomised: about half of raw signatures would be high-S; all must come out low.
    for (let i = 0; i < 24; i++) expect(isP256LowS(await ec.sign(Uint8Array.of(i)))).toBe(true);
  });

  it('queues concurrent signatures on its one session', async () => {
    const ed = await openSigner('object=exec-ed25519');
    const sigs = await Promise.all(Array.from({ length: 16 }, (_, i) => signSign1(Uint8Array.of(i), ed)));
    for (const m of sigs) expect(verifySign1(decodeSign1(m), ed)).toBe(true);
  });

  it('runs the exchange with the executing authority key and the log key on the token; the ordinary verifier accepts the bundle', async () => {
    const exec = await openSigner('object=exec-p256');
    const logKey = await openSigner('object=exec-ed25519');
    const r = await runExchange(exec, { logSigner: logKey });
    expect(r.failed).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.checks).toEqual(expect.arrayContaining(['manifest.signature', 'seal', 'custody', 'receipt', 'witness.quorum']));
    expect(r.plaintextMatches).toBe(true);
  });

  it('wrong PIN: ERR_PKCS11_PIN, and the PIN is not in the message', async () => {
    // Login is shared by the sessions of one process: with no signer open, the token asks.
    while (open.length > 0) await open.pop()!.close();
    const pin = 'wrong-4711-pin';
    try {
      await openPkcs11Signer(tokenUri(t, 'object=exec-ed25519'), { pin });
      expect.unreachable();
    } catch (e) {
      expect(isCustosError(e, 'ERR_PKCS11_PIN')).toBe(true);
      expect(String((e as Error).message)).not.toContain(pin);
      expect(JSON.stringify(e)).not.toContain(pin);
    }
  });

  it('takes the PIN from CUSTOS_PKCS11_PIN and from a 0600 pin-source file; refuses pin-value and a world-readable file', async () => {
    const prev = process.env['CUSTOS_PKCS11_PIN'];
    process.env['CUSTOS_PKCS11_PIN'] = USER_PIN;
    try {
      const s = await openPkcs11Signer(tokenUri(t, 'object=exec-ed25519'));
      await s.close();
    } finally {
      if (prev === undefined) delete process.env['CUSTOS_PKCS11_PIN'];
      else process.env['CUSTOS_PKCS11_PIN'] = prev;
    }
    const pinFile = join(t.dir, 'pin');
    writeFileSync(pinFile, `${USER_PIN}\n`, { mode: 0o600 });
    const s = await openPkcs11Signer(tokenUri(t, 'object=exec-ed25519', `module-path=${t.module}&pin-source=file:${pinFile}`));
    await s.close();
    chmodSync(pinFile, 0o644);
    expect(await code(() => openPkcs11Signer(tokenUri(t, 'object=exec-ed25519', `module-path=${t.module}&pin-source=file:${pinFile}`)))).toBe('ERR_PKCS11_PIN');
    expect(await code(() => openPkcs11Signer(tokenUri(t, 'object=exec-ed25519', `module-path=${t.module}&pin-value=${USER_PIN}`)))).toBe('ERR_PKCS11_URI');
  });

  it('not found, ambiguous, unavailable: clear codes', async () => {
    expect(await code(() => openPkcs11Signer(tokenUri(t, 'object=nope'), { pin: USER_PIN }))).toBe('ERR_PKCS11_KEY_NOT_FOUND');
    expect(await code(() => openPkcs11Signer(tokenUri(t, 'id=%09'), { pin: USER_PIN }))).toBe('ERR_PKCS11_KEY_NOT_FOUND');
    expect(await code(() => openPkcs11Signer(`pkcs11:token=other;object=exec-ed25519?module-path=${t.module}`, { pin: USER_PIN }))).toBe('ERR_PKCS11_TOKEN_NOT_FOUND');
    expect(await code(() => openPkcs11Signer(`pkcs11:token=custos-exec?module-path=${t.module}`, { pin: USER_PIN }))).toBe('ERR_PKCS11_URI');
    expect(await code(() => openPkcs11Signer(`pkcs11:token=custos-exec;object=exec-ed25519;type=public?module-path=${t.module}`, { pin: USER_PIN }))).toBe('ERR_PKCS11_URI');
    expect(await code(() => openPkcs11Signer('pkcs11:token=custos-exec;object=exec-ed25519?module-path=/nonexistent/lib.so', { pin: USER_PIN }))).toBe('ERR_PKCS11_UNAVAILABLE');
    const prev = process.env['CUSTOS_PKCS11_MODULE'];
    delete process.env['CUSTOS_PKCS11_MODULE'];
    try {
      expect(await code(() => openPkcs11Signer('pkcs11:token=custos-exec;object=exec-ed25519', { pin: USER_PIN }))).toBe('ERR_PKCS11_UNAVAILABLE');
      process.env['CUSTOS_PKCS11_MODULE'] = t.module;
      const s = await openPkcs11Signer('pkcs11:token=custos-exec;object=exec-ed25519', { pin: USER_PIN });
      await s.close();
    } finally {
      if (prev === undefined) delete process.env['CUSTOS_PKCS11_MODULE'];
      else process.env['CUSTOS_PKCS11_MODULE'] = prev;
    }
  });

  it('mechanism not supported: a key without CKA_SIGN, and a P-384 key', async () => {
    t.raw((p, _slot, session, k) => {
      const pub = [
        { type: k.CKA_TOKEN, value: true },
        { type: k.CKA_LABEL, value: 'no-sign' },
        { type: k.CKA_ID, value: Buffer.from([7]) },
        { type: k.CKA_EC_PARAMS, value: Buffer.from([0x13, 0x0c, ...Buffer.from('edwards25519')]) },
      ];
      const priv = [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'no-sign' }, { type: k.CKA_ID, value: Buffer.from([7]) }, { type: k.CKA_PRIVATE, value: true }, { type: k.CKA_SIGN, value: false }, { type: k.CKA_SENSITIVE, value: true }, { type: k.CKA_EXTRACTABLE, value: false }];
      p.C_GenerateKeyPair(session, { mechanism: 0x1055 }, pub, priv);
      const p384 = Buffer.from([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]);
      p.C_GenerateKeyPair(
        session,
        { mechanism: k.CKM_EC_KEY_PAIR_GEN },
        [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'p384' }, { type: k.CKA_ID, value: Buffer.from([8]) }, { type: k.CKA_EC_PARAMS, value: p384 }],
        [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'p384' }, { type: k.CKA_ID, value: Buffer.from([8]) }, { type: k.CKA_PRIVATE, value: true }, { type: k.CKA_SIGN, value: true }, { type: k.CKA_SENSITIVE, value: true }],
      );
    });
    const noSign = await openSigner('object=no-sign');
    expect(await code(() => noSign.sign(Uint8Array.of(1)))).toBe('ERR_PKCS11_MECHANISM');
    expect(await code(() => openPkcs11Signer(tokenUri(t, 'object=p384'), { pin: USER_PIN }))).toBe('ERR_PKCS11_MECHANISM');
  });

  it('a public-key object that is not the private key\'s: every signature is refused (ERR_SIGNER)', async () => {
    // A second public object under the id of the Ed25519 key's label but holding another point.
    t.raw((p, _slot, session, k) => {
      p.C_GenerateKeyPair(
        session,
        { mechanism: 0x1055 },
        [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'mismatch' }, { type: k.CKA_ID, value: Buffer.from([9, 9]) }, { type: k.CKA_EC_PARAMS, value: Buffer.from([0x13, 0x0c, ...Buffer.from('edwards25519')]) }],
        [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'mismatch-other' }, { type: k.CKA_ID, value: Buffer.from([9, 8]) }, { type: k.CKA_PRIVATE, value: true }, { type: k.CKA_SIGN, value: true }, { type: k.CKA_SENSITIVE, value: true }],
      );
      // The private key 'mismatch' signs with id 9,9 but its public object is another key's.
      p.C_GenerateKeyPair(
        session,
        { mechanism: 0x1055 },
        [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'mismatch-pub-unused' }, { type: k.CKA_ID, value: Buffer.from([9, 7]) }, { type: k.CKA_EC_PARAMS, value: Buffer.from([0x13, 0x0c, ...Buffer.from('edwards25519')]) }],
        [{ type: k.CKA_TOKEN, value: true }, { type: k.CKA_LABEL, value: 'mismatch' }, { type: k.CKA_ID, value: Buffer.from([9, 9]) }, { type: k.CKA_PRIVATE, value: true }, { type: k.CKA_SIGN, value: true }, { type: k.CKA_SENSITIVE, value: true }],
      );
    });
    const s = await openSigner('object=mismatch');
    expect(await code(() => signSign1(Uint8Array.of(1), s))).toBe('ERR_SIGNER');
  });

  it('token removed mid-operation: sessions closed, then the module finalized from under the signer', async () => {
    const s = await openPkcs11Signer(tokenUri(t, 'object=exec-ed25519'), { pin: USER_PIN });
    expect(await code(() => s.sign(Uint8Array.of(1)))).toBe('ok');
    const pending = Array.from({ length: 8 }, (_, i) => s.sign(Uint8Array.of(i)).then(() => 'ok', (e: unknown) => (isCustosError(e) ? e.code : String(e))));
    t.raw((p, slot) => p.C_CloseAllSessions(slot));
    const outcomes = await Promise.all(pending);
    // Whatever had not reached the token yet fails with the removal code; nothing else.
    for (const o of outcomes) expect(['ok', 'ERR_PKCS11_TOKEN_REMOVED']).toContain(o);
    expect(await code(() => s.sign(Uint8Array.of(1)))).toBe('ERR_PKCS11_TOKEN_REMOVED');
    await s.close();

    const s2 = await openPkcs11Signer(tokenUri(t, 'object=exec-ed25519'), { pin: USER_PIN });
    // Another instance of the same library finalizes it: the signer's module is gone.
    t.raw((p) => {
      p.C_Finalize();
    });
    expect(await code(() => s2.sign(Uint8Array.of(1)))).toBe('ERR_PKCS11_TOKEN_REMOVED');
    await s2.close();
    // The next open loads the module afresh.
    const s3 = await openPkcs11Signer(tokenUri(t, 'object=exec-ed25519'), { pin: USER_PIN });
    expect(verifySign1(decodeSign1(await signSign1(Uint8Array.of(2), s3)), s3)).toBe(true);
    await s3.close();
  });

  it('X25519 age identities cannot live on SoftHSM2 2.6: no Curve25519 key generation or derive', () => {
    t.raw((p, slot) => {
      const mechs = p.C_GetMechanismList(slot);
      expect(mechs).toContain(0x1057); // CKM_EDDSA
      expect(mechs).not.toContain(0x1056); // CKM_EC_MONTGOMERY_KEY_PAIR_GEN
    });
  });
});

describe('PKCS#11 error mapping (for what SoftHSM2 cannot produce)', () => {
  it('CKR_PIN_LOCKED is ERR_PKCS11_LOCKED; CKR codes name the function, never a PIN', () => {
    const e = pkcs11Error('C_Login', Object.assign(new Error('C_Login:CKR_PIN_LOCKED:164'), { code: 0xa4 }));
    expect(e.code).toBe('ERR_PKCS11_LOCKED');
    expect(e.message).toContain('C_Login');
    expect(pkcs11Error('C_Sign', { code: 0x32 }).code).toBe('ERR_PKCS11_TOKEN_REMOVED');
    expect(pkcs11Error('C_SignInit', { code: 0x70 }).code).toBe('ERR_PKCS11_MECHANISM');
    expect(pkcs11Error('C_Sign', new Error('x')).code).toBe('ERR_PKCS11');
  });
});
