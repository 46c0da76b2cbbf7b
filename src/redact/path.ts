/**
 * The path language that names places in a record, for `redactable` lists and for policies.
 *
 * ```
 * path    = first *rest
 * first   = name / bracket
 * rest    = "." name / bracket
 * name    = 1*( ALPHA / DIGIT / "_" / "$" / "-" ) / "*"
 * bracket = "[" ( index / "*" / json-string ) "]"
 * index   = "0" / %x31-39 *DIGIT            ; no leading zeros
 * ```
 *
 * - `subscriber.name`: the `name` entry of the `subscriber` map;
 * - `sessions[0]`, `sessions[*]`: the first / every element of the `sessions` array;
 * - `sessions[*].ip`: the `ip` entry of every element;
 * - `subscriber.*`: every entry of `subscriber`;
 * - `["e-mail address"]`, `meta["a.b"]`: keys that are not plain names, as a JSON string.
 *
 * A name is always a map key (`a.0` is the key `"0"`), a number in brackets is always an array
 * index, so a path never means two things. Array indices count the elements of the original
 * record. Concrete paths (no wildcards) are written back in the same syntax by
 * {@link formatPath}, plain names where possible.
 */
import { fail } from '../errors.js';

/** One step of a path. */
export type PathSegment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'anyKey' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'anyIndex' };

/** A parsed path; `text` is the canonical spelling. */
export interface RecordPath {
  readonly text: string;
  readonly segments: readonly PathSegment[];
}

/** Longest path text accepted, in characters. */
export const MAX_PATH_LENGTH = 1024;
/** Most segments in one path. */
export const MAX_PATH_SEGMENTS = 64;

const NAME = /^[A-Za-z0-9_$-]+$/;
const NAME_CHAR = /[A-Za-z0-9_$-]/;

function syntax(text: string, at: number, what: string): never {
  fail('ERR_PATH_SYNTAX', `path ${JSON.stringify(text.slice(0, 80))}: ${what} at offset ${at}`);
}

/** Reads a JSON string literal starting at `i` (a `"`); returns the value and the end offset. */
function readJsonString(text: string, i: number): { value: string; end: number } {
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === '\\') j += 2;
    else if (c === '"') break;
    else j++;
  }
  if (j >= text.length) syntax(text, i, 'unterminated string');
  let value: unknown;
  try {
    value = JSON.parse(text.slice(i, j + 1));
  } catch {
    syntax(text, i, 'invalid JSON string');
  }
  if (typeof value !== 'string') syntax(text, i, 'invalid JSON string');
  return { value, end: j + 1 };
}

/**
 * Parses a path expression; throws ERR_PATH_SYNTAX on anything the grammar does not allow.
 *
 * @example
 * ```ts
 * parsePath('sessions[*].ip').segments;
 * // [{kind:'key',key:'sessions'}, {kind:'anyIndex'}, {kind:'key',key:'ip'}]
 * ```
 */
export function parsePath(text: string): RecordPath {
  if (typeof text !== 'string') fail('ERR_PATH_SYNTAX', 'a path must be a string');
  if (text.length === 0) fail('ERR_PATH_SYNTAX', 'empty path');
  if (text.length > MAX_PATH_LENGTH) fail('ERR_PATH_SYNTAX', `path longer than ${MAX_PATH_LENGTH} characters`);
  const segments: PathSegment[] = [];
  let i = 0;
  const readName = (): void => {
    const start = i;
    if (text[i] === '*') {
      i++;
      if (i < text.length && NAME_CHAR.test(text[i]!)) syntax(text, start, '"*" must stand alone');
      segments.push({ kind: 'anyKey' });
      return;
    }
    while (i < text.length && NAME_CHAR.test(text[i]!)) i++;
    if (i === start) syntax(text, start, 'expected a name');
    segments.push({ kind: 'key', key: text.slice(start, i) });
  };
  const readBracket = (): void => {
    const start = i;
    i++; // '['
    const c = text[i];
    if (c === '*') {
      i++;
      segments.push({ kind: 'anyIndex' });
    } else if (c === '"') {
      const { value, end } = readJsonString(text, i);
      i = end;
      segments.push({ kind: 'key', key: value });
    } else if (c !== undefined && c >= '0' && c <= '9') {
      const s = i;
      while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
      const digits = text.slice(s, i);
      if (digits.length > 1 && digits[0] === '0') syntax(text, s, 'array index with a leading zero');
      const index = Number(digits);
      if (!Number.isSafeInteger(index)) syntax(text, s, 'array index too large');
      segments.push({ kind: 'index', index });
    } else syntax(text, i, 'expected an index, "*" or a JSON string inside brackets');
    if (text[i] !== ']') syntax(text, start, 'unclosed bracket');
    i++;
  };
  if (text[0] === '[') readBracket();
  else readName();
  while (i < text.length) {
    if (segments.length >= MAX_PATH_SEGMENTS) fail('ERR_PATH_SYNTAX', `path has more than ${MAX_PATH_SEGMENTS} segments`);
    const c = text[i];
    if (c === '.') {
      i++;
      if (i >= text.length) syntax(text, i, 'path ends with "."');
      if (text[i] === '[' || text[i] === '.') syntax(text, i, 'expected a name after "."');
      readName();
    } else if (c === '[') readBracket();
    else syntax(text, i, `unexpected character ${JSON.stringify(c)}`);
  }
  return { text: formatSegments(segments), segments };
}

/** Writes segments in the canonical syntax (plain names where the grammar allows). */
export function formatSegments(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    switch (s.kind) {
      case 'key':
        if (NAME.test(s.key)) out += out.length === 0 ? s.key : `.${s.key}`;
        else out += `[${JSON.stringify(s.key)}]`;
        break;
      case 'anyKey':
        out += out.length === 0 ? '*' : '.*';
        break;
      case 'index':
        out += `[${s.index}]`;
        break;
      case 'anyIndex':
        out += '[*]';
        break;
    }
  }
  return out;
}

/**
 * A concrete path (keys and indices only) as text.
 *
 * @example
 * ```ts
 * formatPath([{ kind: 'key', key: 'sessions' }, { kind: 'index', index: 2 }]); // 'sessions[2]'
 * ```
 */
export function formatPath(segments: readonly PathSegment[]): string {
  return formatSegments(segments);
}

/**
 * True when `pattern` names the map key at the end of `concrete` literally (not by a wildcard),
 * the steps before it matching: the key is a field name the pattern's author wrote down.
 *
 * @example
 * ```ts
 * namesKey(parsePath('sessions[*].ip'), parsePath('sessions').segments); // true
 * namesKey(parsePath('contacts.*.lastSeen'), parsePath('contacts["a@b.example"]').segments); // false
 * ```
 */
export function namesKey(pattern: RecordPath, concrete: readonly PathSegment[]): boolean {
  const n = concrete.length;
  const last = concrete[n - 1];
  const at = pattern.segments[n - 1];
  if (last === undefined || last.kind !== 'key' || at === undefined || at.kind !== 'key' || at.key !== last.key) return false;
  for (let i = 0; i < n - 1; i++) if (!segmentMatches(pattern.segments[i]!, concrete[i]!)) return false;
  return true;
}

function segmentMatches(p: PathSegment, c: PathSegment): boolean {
  switch (p.kind) {
    case 'key':
      return c.kind === 'key' && c.key === p.key;
    case 'anyKey':
      return c.kind === 'key';
    case 'index':
      return c.kind === 'index' && c.index === p.index;
    case 'anyIndex':
      return c.kind === 'index';
  }
}

/**
 * True when `pattern` names exactly the concrete path `concrete`.
 *
 * @example
 * ```ts
 * matchesPath(parsePath('sessions[*].ip'), parsePath('sessions[3].ip').segments); // true
 * ```
 */
export function matchesPath(pattern: RecordPath, concrete: readonly PathSegment[]): boolean {
  if (pattern.segments.length !== concrete.length) return false;
  return pattern.segments.every((p, i) => segmentMatches(p, concrete[i]!));
}

/**
 * True when `pattern` names `concrete` or one of its ancestors (the pattern covers the subtree).
 *
 * @example
 * ```ts
 * coversPath(parsePath('subscriber'), parsePath('subscriber.name').segments); // true
 * ```
 */
export function coversPath(pattern: RecordPath, concrete: readonly PathSegment[]): boolean {
  if (pattern.segments.length > concrete.length) return false;
  return pattern.segments.every((p, i) => segmentMatches(p, concrete[i]!));
}

/** True when `concrete` is a strict ancestor of something `pattern` may name. */
export function isAncestorOfPattern(pattern: RecordPath, concrete: readonly PathSegment[]): boolean {
  if (concrete.length >= pattern.segments.length) return false;
  return concrete.every((c, i) => segmentMatches(pattern.segments[i]!, c));
}
