/**
 * Computing the end of a period: "within 10 days of receipt", "within 8 hours".
 *
 * Why calendar rules and not "N × 24 h": Regulation (EU) 2023/1543 and Directive 2014/41/EU do
 * not define how their periods are counted, so the general EU rule applies: Regulation (EEC,
 * Euratom) No 1182/71 on periods, dates and time limits, Art. 3:
 *
 * - Art. 3(1): the hour (for periods in hours) or the day (for periods in days) during which the
 *   event happens does not count. A period starts at the beginning of the next hour or day.
 * - Art. 3(2)(a)–(b): it ends with the expiry of the last hour, or of the last hour of the last
 *   day. "10 days from receipt on 27 March at 17:00" ends at 24:00 on 6 April, local time.
 * - Art. 3(3): periods include public holidays, Sundays and Saturdays.
 * - Art. 3(4)–(5): a period in days whose last day is a public holiday, Sunday or Saturday ends
 *   with the following working day, and a period of two days or more includes at least two
 *   working days. Public holidays are those of the place where the act is to be done (Art. 2(1)),
 *   which custos cannot know: this rule runs only when the caller passes that state's holidays.
 *
 * Days are local calendar days of the zone where the act is done (the addressee's or executing
 * authority's), so they are 23 or 25 hours long across daylight-saving changes; hours are real
 * elapsed hours. `method: 'elapsed'` instead counts N × 24 h or N h from the very instant
 * (no rounding to the hour or day): use it when a national rule or an agreement says so.
 * For directives (the EIO), the transposing national law governs the count; the default
 * follows 1182/71 as the Union-law baseline, and callers can choose.
 */
import { fail } from '../errors.js';
import { instantAtWall, wallTime, type Zone } from './time.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

export type PeriodUnit = 'hours' | 'days';
export type CountMethod = 'calendar' | 'elapsed';

export interface PeriodRules {
  readonly zone: Zone;
  readonly method: CountMethod;
  /**
   * Local dates (YYYY-MM-DD) of public holidays where the act is to be done. When given (even
   * empty), 1182/71 Art. 3(4)–(5) apply: Saturdays, Sundays and these days roll a period in days
   * over to the next working day.
   */
  readonly holidays?: ReadonlySet<string> | undefined;
}

function dateKey(dayNumber: number): string {
  return new Date(dayNumber * DAY).toISOString().slice(0, 10);
}

function isWorkingDay(dayNumber: number, holidays: ReadonlySet<string>): boolean {
  const weekday = new Date(dayNumber * DAY).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(dateKey(dayNumber));
}

/**
 * Checks a list of YYYY-MM-DD dates and returns it as a set.
 *
 * @example
 * ```ts
 * periodEnd(start, 10, 'days', { zone, method: 'calendar', holidays: holidaySet(['2026-12-25', '2026-12-26']) });
 * ```
 */
export function holidaySet(dates: readonly string[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const d of dates) {
    if (typeof d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(d) || dateKey(Date.parse(`${d}T00:00:00Z`) / DAY) !== d) {
      fail('ERR_TIME_INVALID', `"holidays" expected YYYY-MM-DD dates`);
    }
    out.add(d);
  }
  return out;
}

/**
 * The instant a period of `amount` `unit` that runs from `startMs` expires.
 *
 * @example
 * ```ts
 * // received 27 March 2026 17:00 in Vienna; 10 days end at 24:00 on 6 April (CEST)
 * periodEnd(Date.parse('2026-03-27T16:00:00Z'), 10, 'days', { zone: { timeZone: 'Europe/Vienna' }, method: 'calendar' });
 * // → Date.parse('2026-04-06T22:00:00Z')
 * ```
 */
export function periodEnd(startMs: number, amount: number, unit: PeriodUnit, rules: PeriodRules): number {
  if (!Number.isSafeInteger(amount) || amount < 1) fail('ERR_INVALID_ARGUMENT', '"amount" expected a positive integer');
  if (rules.method === 'elapsed') return startMs + amount * (unit === 'hours' ? HOUR : DAY);
  if (unit === 'hours') {
    // Art. 3(1): the hour in which the event happens does not count; the period starts at the
    // next full hour of the local clock (which differs from UTC's in ±hh:30 and ±hh:45 zones).
    const wall = wallTime(rules.zone, startMs);
    const intoHour = ((wall % HOUR) + HOUR) % HOUR;
    return startMs - intoHour + HOUR + amount * HOUR;
  }
  const startDay = Math.floor(wallTime(rules.zone, startMs) / DAY);
  let lastDay = startDay + amount;
  if (rules.holidays !== undefined) {
    const h = rules.holidays;
    // Art. 3(4): a last day that is not a working day moves to the next working day.
    while (!isWorkingDay(lastDay, h)) lastDay++;
    // Art. 3(5): a period of two days or more includes at least two working days.
    if (amount >= 2) {
      const working = (): number => {
        let n = 0;
        for (let d = startDay + 1; d <= lastDay; d++) if (isWorkingDay(d, h)) n++;
        return n;
      };
      while (working() < 2) lastDay++;
    }
  }
  // The period ends with the expiry of the last hour of the last day: local midnight after it.
  return instantAtWall(rules.zone, (lastDay + 1) * DAY);
}
