/**
 * Wycheproof vectors through BOTH crypto backends: valid cases accepted with the expected
 * output (except high-S ECDSA, which custos refuses by policy: see the P-256 case),
 * output, invalid cases rejected (with the documented error code where the API throws).
 * Each case's outcome is also compared across backends, so the two agree on every vector.
 */
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/bytes.js';
import { CustosError } from '../../src/errors.js';
import type { CryptoBackend } from '../../src/crypto/types.js';
import { BACKENDS, hexField, loadWycheproof, type WycheproofGroup, type WycheproofTest } from './wycheproof.js';

const fromHexBE = (x: bigint) => Uint8Array.from(x.toString(16).padStart(64, '0').match(/../g)!, (h) => parseInt(h, 16));

/** Valid cases of the P-256 P1363 file whose s > n/2 (counted from the JSON independently of custos). */
const HIGH_S_VALID = 70;

type Outcome = string; // "ok:<hex>" | "err:<code>" | "true" | "false"

function run(f: () => Uint8Array | boolean): Outcome {
  try {
    const r = f();
    return typeof r === 'boolean' ? String(r) : `ok:${toHex(r)}`;
  } catch (e) {
    return e instanceof CustosError ? `err:${e.code}` : `crash:${String(e)}`;
  }
}

/**
 * Runs `check` on every test of `file` with every backend; returns failures as readable lines
 * and asserts that both backends produced the same outcome for each case.
 */
function sweep(
  name: string,
  exec: (b: CryptoBackend, g: WycheproofGroup, t: WycheproofTest) => Outcome,
  judge: (o: Outcome, g: WycheproofGroup, t: WycheproofTest) => string | null,
): { failures: string[]; counts: Record<string, number> } {
  const file = loadWycheproof(name);
  const failures: string[] = [];
  const counts: Record<string, number> = {};
  for (const g of file.testGroups) {
    for (const t of g.tests) {
      const outcomes = BACKENDS.map(([bn, b]) => [bn, exec(b, g, t)] as const);
      for (const [bn, o] of outcomes) {
        const why = judge(o, g, t);
        if (why !== null) failures.push(`${bn} tc${t.tcId} (${t.result}, ${t.comment}): ${why}; got ${o.slice(0, 80)}`);
      }
      if (outcomes[0]![1] !== outcomes[1]![1]) {
        failures.push(`tc${t.tcId}: backends disagree: node=${outcomes[0]![1].slice(0, 40)} web=${outcomes[1]![1].slice(0, 40)}`);
      }
      counts[t.result] = (counts[t.result] ?? 0) + 1;
    }
  }
  return { failures, counts };
}

describe('Wycheproof through node and web backends', () => {
  it('x25519: valid match, acceptable either way, all-zero shared secret always rejected', () => {
    let zero = 0;
    const { failures, counts } = sweep(
      'x25519',
      (b, _g, t) => run(() => b.x25519(hexField(t, 'private'), hexField(t, 'public'))),
      (o, _g, t) => {
        const shared = t['shared'] as string;
        if (/^(00)+$/.test(shared)) {
          zero++;
          return o === 'err:ERR_X25519_LOW_ORDER' ? null : 'all-zero shared secret not rejected';
        }
        if (o === `ok:${shared}`) return null;
        if (t.result === 'acceptable' && o === 'err:ERR_X25519_LOW_ORDER') return null;
        return 'wrong shared secret';
      },
    );
    expect(failures).toEqual([]);
    expect(counts).toEqual({ valid: 264, acceptable: 254 });
    expect(zero).toBe(2 * 31);
  });

  it('ed25519: valid signatures verify, invalid ones (incl. non-canonical S and R) do not', () => {
    const { failures, counts } = sweep(
      'ed25519',
      (b, g, t) => {
        const pk = hexField(g['publicKey'] as Record<string, unknown>, 'pk');
        return run(() => b.ed25519Verify(pk, hexField(t, 'msg'), hexField(t, 'sig')));
      },
      (o, _g, t) => (o === String(t.result === 'valid') ? null : 'wrong verdict'),
    );
    expect(failures).toEqual([]);
    expect(counts).toEqual({ valid: 88, invalid: 63 });
  });

  // custos policy (src/crypto/p256-policy.ts): only low-S signatures (s ≤ n/2) are accepted, so
  // a signed event has exactly one valid byte string. Wycheproof calls the high-S form of a valid
  // signature "valid" (plain ECDSA accepts it); custos refuses it, and its low-S twin (r, n − s),
  // the same signature in the one form custos accepts, must verify: the arithmetic is unchanged.
  it('ecdsa P-256 SHA-256 r‖s: valid low-S signatures verify, valid high-S ones are refused (custos policy) while their low-S twin verifies, invalid ones do not', () => {
    const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const sOf = (sig: Uint8Array) => BigInt(`0x${toHex(sig.subarray(32)) || '0'}`);
    const twin = (sig: Uint8Array) => {
      const out = sig.slice();
      out.set(fromHexBE(N - sOf(sig)), 32);
      return out;
    };
    let highS = 0;
    const { failures, counts } = sweep(
      'ecdsa_secp256r1_sha256_p1363',
      (b, g, t) => {
        const pk = g['publicKey'] as Record<string, unknown>;
        const full = hexField(pk, 'uncompressed');
        const compressed = new Uint8Array(33);
        compressed[0] = 2 + (full[64]! & 1);
        compressed.set(full.subarray(1, 33), 1);
        const msg = hexField(t, 'msg');
        const sig = hexField(t, 'sig');
        const a = run(() => b.p256Verify(full, msg, sig));
        const c = run(() => b.p256Verify(compressed, msg, sig));
        let out = a === c ? a : `uncompressed=${a} compressed=${c}`;
        if (t.result === 'valid' && sig.length === 64 && sOf(sig) > N / 2n) {
          out += ` twin=${run(() => b.p256Verify(full, msg, twin(sig)))}`;
        }
        return out;
      },
      (o, _g, t) => {
        const sig = hexField(t, 'sig');
        if (t.result !== 'valid') return o === 'false' ? null : 'invalid signature accepted';
        if (sOf(sig) > N / 2n) {
          highS++;
          return o === 'false twin=true' ? null : 'high-S not refused, or its low-S twin not accepted';
        }
        return o === 'true' ? null : 'valid low-S signature refused';
      },
    );
    expect(failures).toEqual([]);
    expect(counts).toEqual({ valid: 173, invalid: 89 });
    // counted once per backend: the vectors' high-S valid cases, each refused by both
    expect(highS / BACKENDS.length).toBe(HIGH_S_VALID);
  });

  it('chacha20-poly1305: valid seal/open round-trips byte for byte, forged tags and bad nonces rejected', () => {
    const { failures, counts } = sweep(
      'chacha20_poly1305',
      (b, _g, t) => {
        const key = hexField(t, 'key');
        const iv = hexField(t, 'iv');
        const aad = hexField(t, 'aad');
        const msg = hexField(t, 'msg');
        const sealed = new Uint8Array([...hexField(t, 'ct'), ...hexField(t, 'tag')]);
        const seal = run(() => b.chacha20poly1305Seal(key, iv, msg, aad));
        const open = run(() => b.chacha20poly1305Open(key, iv, sealed, aad));
        return `seal=${seal} open=${open}`;
      },
      (o, g, t) => {
        const expectSeal = `ok:${(t['ct'] as string) + (t['tag'] as string)}`;
        if (g['ivSize'] !== 96) return o === 'seal=err:ERR_CRYPTO open=err:ERR_CRYPTO' ? null : 'bad nonce size accepted';
        if (t.result === 'valid') return o === `seal=${expectSeal} open=ok:${t['msg'] as string}` ? null : 'valid case failed';
        return o.endsWith(' open=err:ERR_AEAD_AUTH') ? null : 'forgery accepted';
      },
    );
    expect(failures).toEqual([]);
    expect(counts).toEqual({ valid: 256, invalid: 69 });
  });

  it('hkdf-sha256: valid outputs match, oversize outputs rejected with ERR_CRYPTO', () => {
    const { failures, counts } = sweep(
      'hkdf_sha256',
      (b, _g, t) =>
        run(() => b.hkdfSha256(hexField(t, 'ikm'), hexField(t, 'salt'), hexField(t, 'info'), t['size'] as number)),
      (o, _g, t) => {
        if (t.result === 'valid') return o === `ok:${t['okm'] as string}` ? null : 'wrong okm';
        return o === 'err:ERR_CRYPTO' ? null : 'oversize output not rejected';
      },
    );
    expect(failures).toEqual([]);
    expect(counts).toEqual({ valid: 83, invalid: 3 });
  });

  it('hmac-sha256: tags (incl. truncated) match on valid cases and mismatch on invalid ones', () => {
    const { failures, counts } = sweep(
      'hmac_sha256',
      (b, g, t) =>
        run(() => {
          const full = b.hmacSha256(hexField(t, 'key'), hexField(t, 'msg'));
          return equalBytes(full.subarray(0, (g['tagSize'] as number) / 8), hexField(t, 'tag'));
        }),
      (o, _g, t) => (o === String(t.result === 'valid') ? null : 'wrong verdict'),
    );
    expect(failures).toEqual([]);
    expect(counts).toEqual({ valid: 66, invalid: 108 });
  });
});
