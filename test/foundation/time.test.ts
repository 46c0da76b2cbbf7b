/** src/time.ts: the one strict time parser (issue 16). Attacks: impossible dates rolled over by Date.parse, floating local times, the unknown-offset marker, out-of-range numbers. */
import { describe, expect, it } from 'vitest';
import { formatUtc, isInstantText, parseInstant, timeArg } from '../../src/time.js';
import { toMillis } from '../../src/redact/wire.js';
import { eventTime } from '../../src/custody/event.js';
import { isCustosError } from '../../src/errors.js';

const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return isCustosError(e) ? e.code : String(e);
  }
};

describe('the base time parser', () => {
  it('accepts RFC 3339 with a zone, to the millisecond', () => {
    expect(parseInstant('t', '2024-03-31T01:30:00+01:00').epochMs).toBe(Date.UTC(2024, 2, 31, 0, 30));
    expect(timeArg('t', '2026-04-06T22:00:00.123456Z')).toBe(Date.UTC(2026, 3, 6, 22, 0, 0, 123));
    expect(formatUtc(Date.UTC(2026, 3, 6, 22))).toBe('2026-04-06T22:00:00Z');
  });

  it('refuses what Date.parse would accept or roll over, in every module that takes a time', () => {
    for (const bad of ['2026-02-30T00:00:00Z', '2026-03-01T24:00:00Z', '2026-03-01T10:00:00', '2026-03-01', '2026-03-01T10:00:00-00:00', 'March 1, 2026']) {
      expect(Number.isNaN(Date.parse(bad)) && bad !== '2026-02-30T00:00:00Z' && bad !== '2026-03-01T24:00:00Z' ? 'lenient-rejects' : 'lenient', bad).toBeDefined();
      expect(isInstantText(bad), bad).toBe(false);
      expect(code(() => timeArg('t', bad)), bad).toBe('ERR_TIME_INVALID');
      expect(code(() => eventTime('time', bad)), bad).toBe('ERR_TIME_INVALID');
      expect(code(() => toMillis('issuedAt', bad)), bad).toBe('ERR_TIME_INVALID'); // redact used Date.parse
    }
  });

  it('numbers and Dates: whole milliseconds from 1970 to 9999', () => {
    expect(timeArg('t', 0)).toBe(0);
    expect(timeArg('t', new Date(5))).toBe(5);
    for (const bad of [-1, 1.5, Number.NaN, 253402300800000]) expect(code(() => timeArg('t', bad)), String(bad)).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => timeArg('t', new Date(Number.NaN)))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => timeArg('t', {} as never))).toBe('ERR_INVALID_ARGUMENT');
  });
});
