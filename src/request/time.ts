/**
 * Zones for request deadlines (the instants themselves: src/time.ts).
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

// The strict instant parser and the UTC formatter are the base's (src/time.ts), shared by every module.
export { formatUtc, isInstantText, parseInstant, utcMs } from '../time.js';
export type { Instant } from '../time.js';
import { utcMs, type Instant } from '../time.js';

/** Where local calendar days and hours are counted: a fixed offset or an IANA zone. */
export type Zone = { readonly offsetMinutes: number } | { readonly timeZone: string };

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
