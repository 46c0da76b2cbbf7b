import { describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { coversPath, formatPath, matchesPath, parsePath } from '../../src/redact/path.js';

const good: [string, string, unknown[]][] = [
  ['subscriber', 'subscriber', [{ kind: 'key', key: 'subscriber' }]],
  ['subscriber.name', 'subscriber.name', [{ kind: 'key', key: 'subscriber' }, { kind: 'key', key: 'name' }]],
  ['sessions[*].ip', 'sessions[*].ip', [{ kind: 'key', key: 'sessions' }, { kind: 'anyIndex' }, { kind: 'key', key: 'ip' }]],
  ['sessions[0]', 'sessions[0]', [{ kind: 'key', key: 'sessions' }, { kind: 'index', index: 0 }]],
  ['sessions[12][3]', 'sessions[12][3]', [{ kind: 'key', key: 'sessions' }, { kind: 'index', index: 12 }, { kind: 'index', index: 3 }]],
  ['subscriber.*', 'subscriber.*', [{ kind: 'key', key: 'subscriber' }, { kind: 'anyKey' }]],
  ['*', '*', [{ kind: 'anyKey' }]],
  ['["e-mail address"]', '["e-mail address"]', [{ kind: 'key', key: 'e-mail address' }]],
  ['meta["a.b"].c', 'meta["a.b"].c', [{ kind: 'key', key: 'meta' }, { kind: 'key', key: 'a.b' }, { kind: 'key', key: 'c' }]],
  ['["plain"]', 'plain', [{ kind: 'key', key: 'plain' }]],
  ['a.0', 'a.0', [{ kind: 'key', key: 'a' }, { kind: 'key', key: '0' }]],
  ['x_y-z$', 'x_y-z$', [{ kind: 'key', key: 'x_y-z$' }]],
  ['["*"]', '["*"]', [{ kind: 'key', key: '*' }]],
  ['["q\\"uote"]', '["q\\"uote"]', [{ kind: 'key', key: 'q"uote' }]],
  ['[3]', '[3]', [{ kind: 'index', index: 3 }]],
];

const bad = [
  '',
  '.a',
  'a.',
  'a..b',
  'a.[0]',
  'a[01]',
  'a[-1]',
  'a[',
  'a[0',
  'a[x]',
  'a[*',
  'a b',
  'a*',
  '*a',
  'a["x]',
  'a["x"',
  'a[99999999999999999999]',
  'a/b',
  'a.b.',
  'ä',
  'a.'.repeat(600) + 'a',
  Array.from({ length: 70 }, () => 'a').join('.'),
];

describe('path language', () => {
  it.each(good)('parses %s', (text, canonical, segments) => {
    const p = parsePath(text);
    expect(p.text).toBe(canonical);
    expect(p.segments).toEqual(segments);
    expect(parsePath(p.text)).toEqual(p); // canonical text round-trips
  });

  it.each(bad.map((b) => [b.length > 40 ? `${b.slice(0, 40)}… (${b.length})` : JSON.stringify(b), b]))('rejects %s', (_n, text) => {
    let err: unknown;
    try {
      parsePath(text);
    } catch (e) {
      err = e;
    }
    expect(isCustosError(err, 'ERR_PATH_SYNTAX')).toBe(true);
  });

  it('rejects non-strings', () => {
    expect(() => parsePath(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_PATH_SYNTAX' }));
  });

  const c = (s: string) => parsePath(s).segments;
  it.each([
    ['sessions[*].ip', 'sessions[3].ip', true, true],
    ['sessions[*].ip', 'sessions[3]', false, false],
    ['sessions[*]', 'sessions[3].ip', false, true],
    ['sessions[1].ip', 'sessions[3].ip', false, false],
    ['subscriber', 'subscriber.name', false, true],
    ['subscriber.*', 'subscriber.name', true, true],
    ['subscriber.*', 'subscriber', false, false],
    ['*', 'anything', true, true],
    ['*', 'list[0]', false, true],
    ['list[*]', 'list.x', false, false],
    ['a.b', 'a.bc', false, false],
    ['a.0', 'a[0]', false, false],
  ])('%s vs %s: matches %s, covers %s', (pat, conc, m, cov) => {
    expect(matchesPath(parsePath(pat), c(conc))).toBe(m);
    expect(coversPath(parsePath(pat), c(conc))).toBe(cov);
  });

  it('formats concrete segments', () => {
    expect(formatPath([{ kind: 'key', key: 'a b' }, { kind: 'index', index: 2 }, { kind: 'key', key: 'ip' }])).toBe('["a b"][2].ip');
    expect(formatPath([])).toBe('');
  });
});
