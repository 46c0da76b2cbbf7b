/**
 * Small shared helpers for the redaction wire formats: payload maps and times.
 */
import { decode, encode } from '../cbor.js';
import { CustosError, fail } from '../errors.js';

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
  const ms = at === undefined ? Date.now() : at instanceof Date ? at.getTime() : typeof at === 'string' ? Date.parse(at) : at;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) fail('ERR_INVALID_ARGUMENT', `"${name}" is not a valid time`);
  return Math.floor(ms);
}
