/**
 * PKCS#11 return values (CKR_*) as CustosErrors a user can act on. The PKCS#11 function and the
 * CKR_ name go into the message; a PIN never does (the binding's own messages name the
 * function and the code only, and we build our own message from those).
 */
import { CustosError, type ErrorCode } from '../../errors.js';

// PKCS#11 v2.40 §3 (pkcs11t.h) return values, by number: the binding names them in its messages.
const CKR: Record<number, [string, ErrorCode]> = {
  0x30: ['CKR_DEVICE_ERROR', 'ERR_PKCS11_TOKEN_REMOVED'],
  0x32: ['CKR_DEVICE_REMOVED', 'ERR_PKCS11_TOKEN_REMOVED'],
  0xe0: ['CKR_TOKEN_NOT_PRESENT', 'ERR_PKCS11_TOKEN_REMOVED'],
  0xb0: ['CKR_SESSION_CLOSED', 'ERR_PKCS11_TOKEN_REMOVED'],
  0xb3: ['CKR_SESSION_HANDLE_INVALID', 'ERR_PKCS11_TOKEN_REMOVED'],
  0x190: ['CKR_CRYPTOKI_NOT_INITIALIZED', 'ERR_PKCS11_TOKEN_REMOVED'],
  0x82: ['CKR_OBJECT_HANDLE_INVALID', 'ERR_PKCS11_TOKEN_REMOVED'],
  0x60: ['CKR_KEY_HANDLE_INVALID', 'ERR_PKCS11_TOKEN_REMOVED'],
  0xa0: ['CKR_PIN_INCORRECT', 'ERR_PKCS11_PIN'],
  0xa1: ['CKR_PIN_INVALID', 'ERR_PKCS11_PIN'],
  0xa2: ['CKR_PIN_LEN_RANGE', 'ERR_PKCS11_PIN'],
  0xa3: ['CKR_PIN_EXPIRED', 'ERR_PKCS11_PIN'],
  0x101: ['CKR_USER_NOT_LOGGED_IN', 'ERR_PKCS11_PIN'],
  0x102: ['CKR_USER_PIN_NOT_INITIALIZED', 'ERR_PKCS11_PIN'],
  0xa4: ['CKR_PIN_LOCKED', 'ERR_PKCS11_LOCKED'],
  0x70: ['CKR_MECHANISM_INVALID', 'ERR_PKCS11_MECHANISM'],
  0x71: ['CKR_MECHANISM_PARAM_INVALID', 'ERR_PKCS11_MECHANISM'],
  0x63: ['CKR_KEY_TYPE_INCONSISTENT', 'ERR_PKCS11_MECHANISM'],
  0x68: ['CKR_KEY_FUNCTION_NOT_PERMITTED', 'ERR_PKCS11_MECHANISM'],
};

/** The CKR_ value of a binding error, if it carries one. */
export function ckrOf(e: unknown): number | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  if (typeof c === 'number') return c;
  const m = /CKR_[A-Z_]+:(\d+)/.exec(String((e as { message?: unknown } | null)?.message ?? ''));
  return m === null ? undefined : Number(m[1]);
}

/** A CustosError for a failed PKCS#11 call (`fn` names it: C_Login, C_Sign, …). */
export function pkcs11Error(fn: string, e: unknown): CustosError {
  if (e instanceof CustosError) return e;
  const ckr = ckrOf(e);
  const known = ckr === undefined ? undefined : CKR[ckr];
  const name = known?.[0] ?? (ckr === undefined ? 'no CKR code' : `CKR 0x${ckr.toString(16)}`);
  const code: ErrorCode = known?.[1] ?? 'ERR_PKCS11';
  const hint =
    code === 'ERR_PKCS11_PIN'
      ? ': the token refused the PIN'
      : code === 'ERR_PKCS11_LOCKED'
        ? ': the user PIN is locked (too many wrong PINs); the security officer must unlock it'
        : code === 'ERR_PKCS11_TOKEN_REMOVED'
          ? ': the token, its session or the module went away'
          : code === 'ERR_PKCS11_MECHANISM'
            ? ': the token cannot sign with this key and mechanism'
            : '';
  // The cause is the binding's error, whose message holds only the function and CKR name.
  return new CustosError(code, `PKCS#11 ${fn} failed (${name})${hint}`, { cause: e });
}
