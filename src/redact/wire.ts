/**
 * Small shared helpers for the redaction wire formats: payload maps and times.
 */
import { decode, encode } from '../cbor.js';
import { CustosError, fail } from '../errors.js';
import { timeArg } from '../time.js';

/** Largest committed record or presentation payload accepted, in bytes. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** Encodes a payload map (deterministic CBOR; tag 60 allowed for redacted elements). */
export function encodePayload(m: Map<string, unknown>): Uint8Array {
  return encode(m, { allowedTags: [60] });
}

/** Decodes a payload that must be a map with text keys; ERR_RECORD_INVALID otherwise. */
export function decodePayloadMap(bytes: Uint8Array, what: string, allowedTags: readonly number[] = []): Map<string, unknown> {
  let p: unknown;
  try {
    p = decode(bytes, { allowedTags, maxBytes: MAX_PAYLOAD_BYTES, maxDepth: 80 });
  } catch (e) {
    throw new CustosError('ERR_RECORD_INVALID', `the ${what} payload is not valid deterministic CBOR`, { cause: e });
  }
  if (!(p instanceof Map)) fail('ERR_RECORD_INVALID', `the ${what} payload must be a map`);
  for (const k of p.keys()) if (typeof k !== 'string') fail('ERR_RECORD_INVALID', `the ${what} payload has a non-text key`);
  return p as Map<string, unknown>;
}

/**
 * A time argument as whole milliseconds since the epoch; default now. Milliseconds, not CWT's
 * seconds: key validity windows (notBefore, revokedAt) are instants to the millisecond, and a
 * signature made just after a revocation must not round down to before it.
 */
export function toMillis(name: string, at: Date | number | string | undefined): number {
  // the base's strict parser: Date.parse would accept '2026-02-30' (rolled over) or a floating local time
  if (at === undefined) return Date.now();
  if (typeof at === 'number' && Number.isFinite(at) && at >= 0 && !Number.isInteger(at)) return timeArg(name, Math.floor(at));
  return timeArg(name, at);
}
