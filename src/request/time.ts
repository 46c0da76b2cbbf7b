/**
 * Instants and zones for request deadlines.
 *
 * Every time custos accepts here must name its zone: RFC 3339 §5.6 with `Z` or `±hh:mm`.
 * Floating local times (`2024-03-01T10:00`), bare dates and the RFC 3339 §4.3 "unknown local
 * offset" `-00:00` are rejected with ERR_TIME_INVALID, because a deadline computed from a time
 * whose zone was guessed can be wrong by up to a day. Outputs are always UTC (`…Z`).
 *
 * A fixed offset cannot tell where daylight-saving time changes, so calendar computations take an
 * optional IANA zone name (`Europe/Vienna`); the offset written in the input must then be the
 * offset that zone had at that instant, or the input is rejected as inconsistent.
 */
import { fail } from '../errors.js';

/** A parsed instant: milliseconds since the epoch, and the offset the text carried. */
export interface Instant {
  readonly epochMs: number;
  /** Offset from UTC in minutes as written (`Z` is 0). */
  readonly offsetMinutes: number;
  /** The text said `Z`: UTC is known, the local offset is not (RFC 9557 §2). */
  readonly zulu: boolean;
}

/** Where local calendar days and hours are counted: a fixed offset or an IANA zone. */
export type Zone = { readonly offsetMinutes: number } | { readonly timeZone: string };

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

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch (e) {
      fail('ERR_TIME_INVALID', `unknown IANA time zone "${timeZone.slice(0, 64)}"`, e);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Checks an IANA zone name (ERR_TIME_INVALID when the runtime does not know it). */
export function assertTimeZone(timeZone: string): string {
  formatterFor(timeZone);
  return timeZone;
}

/** The zone's offset from UTC, in minutes, at `epochMs`. */
export function offsetAt(zone: Zone, epochMs: number): number {
  if ('offsetMinutes' in zone) return zone.offsetMinutes;
  const parts = formatterFor(zone.timeZone).formatToParts(new Date(epochMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  const wall = utcMs(year, get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const whole = epochMs - (((epochMs % 1000) + 1000) % 1000);
  return Math.round((wall - whole) / 60_000);
}

/** Wall-clock time in the zone, as a millisecond count read in UTC ("local epoch"). */
export function wallTime(zone: Zone, epochMs: number): number {
  return epochMs + offsetAt(zone, epochMs) * 60_000;
}

/**
 * The first instant whose wall-clock time in `zone` is at or after `wall` (a "local epoch").
 * When `wall` falls in a spring-forward gap, that is the moment of the transition; when it is
 * repeated by a fall-back, the earlier occurrence.
 */
export function instantAtWall(zone: Zone, wall: number): number {
  if ('offsetMinutes' in zone) return wall - zone.offsetMinutes * 60_000;
  const day = 86_400_000;
  const offsets = new Set([offsetAt(zone, wall - day), offsetAt(zone, wall), offsetAt(zone, wall + day)]);
  const exact = [...offsets].map((o) => wall - o * 60_000).filter((t) => wallTime(zone, t) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: binary search for the first instant whose wall time reaches `wall`.
  let lo = wall - 2 * day;
  let hi = wall + 2 * day;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallTime(zone, mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Resolves the zone to count in and checks that the written offset agrees with it. */
export function zoneFor(name: string, instant: Instant, timeZone: string | undefined): Zone {
  if (timeZone === undefined) return { offsetMinutes: instant.offsetMinutes };
  const zone = { timeZone: assertTimeZone(timeZone) };
  const actual = offsetAt(zone, instant.epochMs);
  if (!instant.zulu && actual !== instant.offsetMinutes) {
    fail('ERR_TIME_INVALID', `"${name}" carries offset ${instant.offsetMinutes} min but ${timeZone} was at ${actual} min then`);
  }
  return zone;
}
