/**
 * Time, strictly, for every module: one RFC 3339 parser that requires a zone, the UTC output
 * form, and one converter for time arguments (Date, epoch milliseconds, or such a string).
 *
 * Every time custos accepts must name its zone: RFC 3339 §5.6 with `Z` or `±hh:mm`. Floating
 * local times (`2024-03-01T10:00`), bare dates, the RFC 3339 §4.3 "unknown local offset"
 * `-00:00`, and dates that do not exist (2026-02-30, 24:00) are rejected with ERR_TIME_INVALID:
 * `Date.parse` accepts all of these and silently rolls impossible dates over, which would move a
 * deadline, a key's validity window or a signature's time without anyone noticing.
 */
import { fail } from './errors.js';

/** A parsed instant: milliseconds since the epoch, and the offset the text carried. */
export interface Instant {
  readonly epochMs: number;
  /** Offset from UTC in minutes as written (`Z` is 0). */
  readonly offsetMinutes: number;
  /** The text said `Z`: UTC is known, the local offset is not (RFC 9557 §2). */
  readonly zulu: boolean;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Date.UTC without its two-digit-year rule (Date.UTC(50, 0) is 1950): years 0–99 stay years 0–99.
 */
export function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo, d);
  t.setUTCHours(h, mi, s, ms);
  return t.getTime();
}

function daysInMonth(y: number, m: number): number {
  return new Date(utcMs(y, m, 0)).getUTCDate();
}

/**
 * Parses an RFC 3339 date-time with an explicit zone; anything else is ERR_TIME_INVALID.
 * Sub-millisecond digits are truncated (deadlines are computed to the millisecond).
 *
 * @example
 * ```ts
 * parseInstant('receivedAt', '2024-03-31T01:30:00+01:00').epochMs; // 1711845000000
 * ```
 */
export function parseInstant(name: string, text: unknown): Instant {
  if (typeof text !== 'string') fail('ERR_TIME_INVALID', `"${name}" expected an RFC 3339 date-time string`);
  const m = RFC3339.exec(text);
  if (m === null) {
    fail('ERR_TIME_INVALID', `"${name}" expected an RFC 3339 date-time with Z or ±hh:mm (no floating local times)`);
  }
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const y = Number(ys), mo = Number(mos), d = Number(ds), h = Number(hs), mi = Number(mis), s = Number(ss);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) {
    fail('ERR_TIME_INVALID', `"${name}" is not a valid calendar date and time`);
  }
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    if (zone === '-00:00') fail('ERR_TIME_INVALID', `"${name}" has the unknown-offset marker -00:00 (RFC 3339 §4.3)`);
    const oh = Number(zone.slice(1, 3)), om = Number(zone.slice(4, 6));
    if (oh > 18 || om > 59 || (oh === 18 && om > 0)) fail('ERR_TIME_INVALID', `"${name}" has an offset outside ±18:00`);
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  const epochMs = utcMs(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000;
  if (!Number.isFinite(epochMs)) fail('ERR_TIME_INVALID', `"${name}" is out of range`);
  return { epochMs, offsetMinutes, zulu: zone === 'Z' };
}

/** True when `text` is an RFC 3339 date-time with an explicit zone. */
export function isInstantText(text: unknown): boolean {
  try {
    parseInstant('time', text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The UTC text form custos outputs: `YYYY-MM-DDTHH:MM:SSZ` (milliseconds only when non-zero).
 *
 * @example
 * ```ts
 * formatUtc(Date.UTC(2026, 3, 6, 22)); // '2026-04-06T22:00:00Z'
 * ```
 */
export function formatUtc(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}


/** Latest time custos accepts: 9999-12-31T23:59:59.999Z. */
export const MAX_TIME_MS = 253402300799999;

/**
 * A time argument as whole milliseconds since the epoch: a Date, epoch milliseconds (a safe
 * integer from 1970 to 9999), or an RFC 3339 string with a zone ({@link parseInstant}).
 * ERR_TIME_INVALID for a string that is not one, ERR_INVALID_ARGUMENT for anything else wrong.
 *
 * @example
 * ```ts
 * timeArg('issuedAt', '2026-04-06T22:00:00+02:00'); // 1775505600000
 * ```
 */
export function timeArg(name: string, t: Date | number | string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : typeof t === 'string' ? parseInstant(name, t).epochMs : NaN;
  if (typeof t !== 'string' && !(t instanceof Date) && typeof t !== 'number') fail('ERR_INVALID_ARGUMENT', `"${name}" expected a Date, epoch milliseconds or an RFC 3339 string`);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_TIME_MS) fail('ERR_INVALID_ARGUMENT', `"${name}" is not a time between 1970 and 9999`);
  return ms;
}
