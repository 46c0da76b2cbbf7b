/**
 * A throwaway SoftHSM2 token for the PKCS#11 tests: its own token directory and SOFTHSM2_CONF
 * in a temp folder (removed by `dispose`), a token initialised with softhsm2-util, and keys
 * generated on it through the binding: non-extractable and sensitive, as an HSM keeps them.
 *
 * When the softhsm2 module is not installed the tests skip with a message, except in CI
 * (CI=true), where a missing module is a failure: CI installs it (.ci/run).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p));
export const IN_CI = process.env['CI'] === 'true';

/** Why the PKCS#11 tests cannot run here, or undefined when they can (never a reason in CI). */
export function skipReason(): string | undefined {
  if (SOFTHSM_MODULE !== undefined) return undefined;
  if (IN_CI) return undefined; // the tests run and fail: CI must have SoftHSM2
  return 'SoftHSM2 is not installed (apt-get install softhsm2): PKCS#11 tests skipped; in CI they fail instead';
}

/** The module path, or a failure saying CI lacks it. */
export function modulePath(): string {
  if (SOFTHSM_MODULE === undefined) throw new Error('SoftHSM2 module not found: CI must install softhsm2 (.ci/run)');
  return SOFTHSM_MODULE;
}

export const SO_PIN = '87654321';
export const USER_PIN = '12345678';

// PKCS#11 3.0 values the binding lacks.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const P256_OID = Buffer.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);
const ED25519_NAME = Buffer.from([0x13, 0x0c, ...Buffer.from('edwards25519')]);

type Js = typeof import('pkcs11js');
const js = (): Js => createRequire(import.meta.url)('pkcs11js') as Js;

export interface TestToken {
  readonly dir: string;
  readonly label: string;
  readonly module: string;
  /** Adds a key pair on the token (private: sensitive, not extractable). */
  generate(alg: 'EdDSA' | 'ES256', label: string, id: Uint8Array): void;
  /** Opens the module from the test's side (another instance), for inspection or sabotage. */
  raw<T>(f: (p: import('pkcs11js').PKCS11, slot: Buffer, session: Buffer, k: Js) => T): T;
  dispose(): void;
}

/** Creates a token in a fresh SOFTHSM2_CONF directory and points this process at it. */
export function createTestToken(label = 'custos-test'): TestToken {
  const module = modulePath();
  const dir = mkdtempSync(join(tmpdir(), 'custos-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  execFileSync('mkdir', ['-p', join(dir, 'tokens')]);
  const prevConf = process.env['SOFTHSM2_CONF'];
  process.env['SOFTHSM2_CONF'] = conf;
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', SO_PIN, '--pin', USER_PIN], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });

  const raw = <T>(f: (p: import('pkcs11js').PKCS11, slot: Buffer, session: Buffer, k: Js) => T): T => {
    const k = js();
    const p = new k.PKCS11();
    p.load(module);
    let own = true;
    try {
      p.C_Initialize({ flags: k.CKF_OS_LOCKING_OK });
    } catch (e) {
      if ((e as { code?: number }).code !== k.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
      own = false; // the signer under test holds the module: do not finalize it under it
    }
    try {
      const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trim() === label);
      if (slot === undefined) throw new Error(`token ${label} not found`);
      const session = p.C_OpenSession(slot, k.CKF_SERIAL_SESSION | k.CKF_RW_SESSION);
      try {
        try {
          p.C_Login(session, k.CKU_USER, USER_PIN);
        } catch (e) {
          if ((e as { code?: number }).code !== k.CKR_USER_ALREADY_LOGGED_IN) throw e;
        }
        return f(p, slot, session, k);
      } finally {
        try {
          p.C_CloseSession(session);
        } catch {
          // closed by f (sabotage tests)
        }
      }
    } finally {
      if (own) p.C_Finalize();
    }
  };

  return {
    dir,
    label,
    module,
    raw,
    generate(alg, keyLabel, id) {
      raw((p, _slot, session, k) => {
        const common = [
          { type: k.CKA_TOKEN, value: true },
          { type: k.CKA_LABEL, value: keyLabel },
          { type: k.CKA_ID, value: Buffer.from(id) },
        ];
        const mech = alg === 'EdDSA' ? { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN } : { mechanism: k.CKM_EC_KEY_PAIR_GEN };
        p.C_GenerateKeyPair(
          session,
          mech,
          [...common, { type: k.CKA_VERIFY, value: true }, { type: k.CKA_EC_PARAMS, value: alg === 'EdDSA' ? ED25519_NAME : P256_OID }],
          [
            ...common,
            { type: k.CKA_PRIVATE, value: true },
            { type: k.CKA_SIGN, value: true },
            { type: k.CKA_SENSITIVE, value: true },
            { type: k.CKA_EXTRACTABLE, value: false },
            { type: k.CKA_KEY_TYPE, value: alg === 'EdDSA' ? CKK_EC_EDWARDS : k.CKK_EC },
          ],
        );
      });
    },
    dispose() {
      if (prevConf === undefined) delete process.env['SOFTHSM2_CONF'];
      else process.env['SOFTHSM2_CONF'] = prevConf;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A token URI for this test token. */
export function tokenUri(t: TestToken, attrs: string, query = `module-path=${t.module}`): string {
  return `pkcs11:token=${encodeURIComponent(t.label)};${attrs}${query === '' ? '' : `?${query}`}`;
}
