/**
 * Every named bound custos enforces on hostile input, in one place.
 *
 * The constants live in the module that enforces them (so the check and its bound cannot
 * drift apart); this module re-exports them and lists them in {@link LIMITS}, the table the
 * README's "Limits on hostile input" section and the adversarial tests are written from. Each
 * bound is tested at its value (accepted) and one past it (refused with the listed code).
 *
 * @example
 * ```ts
 * import { limits } from 'custos';
 * for (const l of limits.LIMITS) console.log(l.name, l.value, l.code);
 * ```
 */
import { CBOR_MAX_BYTES, CBOR_MAX_DEPTH, CBOR_MAX_ITEMS } from './cbor.js';
import { TAR_MAX_ENTRIES, TAR_MAX_ENTRY_SIZE, TAR_MAX_NAME, TAR_MAX_PAX_SIZE } from './bundle/tar.js';
import type { ErrorCode } from './errors.js';
import { MANIFEST_MAX_BYTES } from './bundle/manifest.js';
import { MAX_CHAIN_EVENTS, MAX_CHAIN_FILE_BYTES, MAX_EVENT_BYTES } from './custody/chain.js';
import { AGE_MAX_STANZAS, DEFAULT_MAX_HEADER_BYTES } from './envelope/header.js';
import { DEFAULT_MAX_SCRYPT_LOG_N } from './envelope/scrypt.js';
import { NOTE_MAX_BYTES, NOTE_MAX_SIGNATURES } from './log/note.js';
import { MAX_ENTRY_BYTES } from './log/tiles.js';
import { MAX_RECORD_DEPTH } from './redact/disclosure.js';
import { MAX_PATH_LENGTH, MAX_PATH_SEGMENTS } from './redact/path.js';
import { MAX_STATUS_EVENTS, STATUS_MAX_BYTES } from './request/events.js';

export {
  AGE_MAX_STANZAS,
  CBOR_MAX_BYTES,
  CBOR_MAX_DEPTH,
  CBOR_MAX_ITEMS,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_SCRYPT_LOG_N,
  MANIFEST_MAX_BYTES,
  MAX_CHAIN_EVENTS,
  MAX_CHAIN_FILE_BYTES,
  MAX_ENTRY_BYTES,
  MAX_EVENT_BYTES,
  MAX_PATH_LENGTH,
  MAX_PATH_SEGMENTS,
  MAX_RECORD_DEPTH,
  NOTE_MAX_BYTES,
  NOTE_MAX_SIGNATURES,
  STATUS_MAX_BYTES,
  MAX_STATUS_EVENTS,
  TAR_MAX_ENTRIES,
  TAR_MAX_ENTRY_SIZE,
  TAR_MAX_NAME,
  TAR_MAX_PAX_SIZE,
};

/** One enforced bound. */
export interface Limit {
  /** The exported constant's name. */
  readonly name: string;
  readonly value: number;
  readonly unit: 'bytes' | 'levels' | 'items' | 'log2';
  /** The module that enforces it. */
  readonly module: string;
  /** The code raised one past the bound. */
  readonly code: ErrorCode;
  readonly what: string;
}

/** Every bound on hostile input (see the README section "Limits on hostile input"). */
export const LIMITS: readonly Limit[] = Object.freeze([
  { name: 'CBOR_MAX_BYTES', value: CBOR_MAX_BYTES, unit: 'bytes', module: 'cbor', code: 'ERR_CBOR_SIZE', what: 'default size of one CBOR item given to decode (callers may lower it)' },
  { name: 'CBOR_MAX_DEPTH', value: CBOR_MAX_DEPTH, unit: 'levels', module: 'cbor', code: 'ERR_CBOR_DEPTH', what: 'nesting depth of CBOR arrays, maps and tags' },
  { name: 'CBOR_MAX_ITEMS', value: CBOR_MAX_ITEMS, unit: 'items', module: 'cbor', code: 'ERR_CBOR_SIZE', what: 'data items built by one decode (or one sequence): 16 MiB of empty maps cannot become 16 million objects' },
  { name: 'DEFAULT_MAX_HEADER_BYTES', value: DEFAULT_MAX_HEADER_BYTES, unit: 'bytes', module: 'envelope/header', code: 'ERR_AGE_HEADER', what: 'default size of an age header (callers may lower it)' },
  { name: 'AGE_MAX_STANZAS', value: AGE_MAX_STANZAS, unit: 'items', module: 'envelope/header', code: 'ERR_LIMIT', what: 'default number of recipient stanzas in an age header, checked while parsing, before any unwrap (decrypt option maxStanzas)' },
  { name: 'DEFAULT_MAX_SCRYPT_LOG_N', value: DEFAULT_MAX_SCRYPT_LOG_N, unit: 'log2', module: 'envelope/scrypt', code: 'ERR_SCRYPT_WORK_FACTOR', what: 'default largest scrypt work factor (log2 N) accepted on decrypt' },
  { name: 'MAX_CHAIN_EVENTS', value: MAX_CHAIN_EVENTS, unit: 'items', module: 'custody/chain', code: 'ERR_LIMIT', what: 'events in one custody chain (split, verify, append)' },
  { name: 'MAX_CHAIN_FILE_BYTES', value: MAX_CHAIN_FILE_BYTES, unit: 'bytes', module: 'node/custody-file', code: 'ERR_LIMIT', what: 'size of a chain file, checked before reading it' },
  { name: 'MAX_EVENT_BYTES', value: MAX_EVENT_BYTES, unit: 'bytes', module: 'custody/chain', code: 'ERR_EVENT_INVALID', what: 'size of one signed custody event' },
  { name: 'MAX_ENTRY_BYTES', value: MAX_ENTRY_BYTES, unit: 'bytes', module: 'log/tiles', code: 'ERR_LIMIT', what: 'size of one transparency-log entry (tlog-tiles uint16 length prefix)' },
  { name: 'MAX_PATH_LENGTH', value: MAX_PATH_LENGTH, unit: 'bytes', module: 'redact/path', code: 'ERR_PATH_SYNTAX', what: 'length of a record path expression (policies, redactable paths)' },
  { name: 'MAX_PATH_SEGMENTS', value: MAX_PATH_SEGMENTS, unit: 'items', module: 'redact/path', code: 'ERR_PATH_SYNTAX', what: 'segments in a record path expression' },
  { name: 'MAX_RECORD_DEPTH', value: MAX_RECORD_DEPTH, unit: 'levels', module: 'redact/disclosure', code: 'ERR_RECORD_INVALID', what: 'nesting of a redactable record' },
  { name: 'MANIFEST_MAX_BYTES', value: MANIFEST_MAX_BYTES, unit: 'bytes', module: 'bundle/manifest', code: 'ERR_CBOR_SIZE', what: 'size of a bundle manifest (manifest.cose)' },
  { name: 'STATUS_MAX_BYTES', value: STATUS_MAX_BYTES, unit: 'bytes', module: 'request/events', code: 'ERR_CBOR_SIZE', what: 'size of a signed request status event (decode, and sign: refused before signing)' },
  { name: 'MAX_STATUS_EVENTS', value: MAX_STATUS_EVENTS, unit: 'items', module: 'request/events', code: 'ERR_LIMIT', what: 'events in one request status chain (verify, sign)' },
  { name: 'NOTE_MAX_BYTES', value: NOTE_MAX_BYTES, unit: 'bytes', module: 'log/note', code: 'ERR_LIMIT', what: 'size of a signed note (checkpoint with its signatures)' },
  { name: 'NOTE_MAX_SIGNATURES', value: NOTE_MAX_SIGNATURES, unit: 'items', module: 'log/note', code: 'ERR_LIMIT', what: 'signature lines in one signed note' },
  { name: 'TAR_MAX_ENTRY_SIZE', value: TAR_MAX_ENTRY_SIZE, unit: 'bytes', module: 'bundle/tar', code: 'ERR_LIMIT', what: 'size of one file inside a bundle' },
  { name: 'TAR_MAX_PAX_SIZE', value: TAR_MAX_PAX_SIZE, unit: 'bytes', module: 'bundle/tar', code: 'ERR_TAR', what: 'size of one pax extended header' },
  { name: 'TAR_MAX_NAME', value: TAR_MAX_NAME, unit: 'bytes', module: 'bundle/tar', code: 'ERR_TAR', what: 'UTF-8 length of an entry name' },
  { name: 'TAR_MAX_ENTRIES', value: TAR_MAX_ENTRIES, unit: 'items', module: 'bundle/tar', code: 'ERR_LIMIT', what: 'entries in one bundle archive' },
] satisfies Limit[]);
