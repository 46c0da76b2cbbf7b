/**
 * From user input to Recipient/Identity objects: age key strings, identity files (age's text
 * format: one key a line, `#` comments and blank lines ignored) and recipients files.
 */
import { assertString } from '../bytes.js';
import { fail } from '../errors.js';
import { parseAgeIdentity, parseAgeRecipient } from '../keys/age.js';
import { MlKem768X25519Identity, MlKem768X25519Recipient } from './mlkem.js';
import type { Identity, IdentityInput, Recipient, RecipientInput } from './types.js';
import { X25519Identity, X25519Recipient } from './x25519.js';

/**
 * A Recipient for an `age1…` (X25519) or `age1pq1…` (MLKEM768-X25519) string.
 *
 * @example
 * ```ts
 * const r = recipientFromString('age1pq1…');
 * ```
 */
export function recipientFromString(s: string): Recipient {
  const k = parseAgeRecipient(s);
  return k.kind === 'x25519' ? new X25519Recipient(k.publicKey) : new MlKem768X25519Recipient(k.publicKey);
}

/**
 * An Identity for an `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` string.
 *
 * @example
 * ```ts
 * const id = identityFromString('AGE-SECRET-KEY-PQ-1…');
 * ```
 */
export function identityFromString(s: string): Identity {
  const k = parseAgeIdentity(s);
  return k.kind === 'x25519' ? new X25519Identity(k.secret) : new MlKem768X25519Identity(k.secret);
}

function keyLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    out.push(t);
  }
  return out;
}

/**
 * Parses an identity file (as written by `age-keygen`): every non-comment line is an identity.
 * Throws ERR_KEY_FORMAT naming the line number of the first bad line (never its content).
 *
 * @example
 * ```ts
 * const ids = parseIdentityFile('# created: …\n# public key: age1…\nAGE-SECRET-KEY-1…\n');
 * ```
 */
export function parseIdentityFile(text: string): Identity[] {
  assertString('identity file', text, 16 * 1024 * 1024);
  const lines = keyLines(text);
  if (lines.length === 0) fail('ERR_KEY_FORMAT', 'identity file contains no identity');
  return lines.map((l, i) => {
    try {
      return identityFromString(l);
    } catch {
      return fail('ERR_KEY_FORMAT', `identity ${i + 1} in the identity file is malformed or of an unsupported type`);
    }
  });
}

/**
 * Parses a recipients file (`age -R`): one recipient a line, comments and blank lines allowed.
 *
 * @example
 * ```ts
 * const rs = parseRecipientsFile('# agency A\nage1…\nage1pq1…\n');
 * ```
 */
export function parseRecipientsFile(text: string): Recipient[] {
  assertString('recipients file', text, 16 * 1024 * 1024);
  const lines = keyLines(text);
  if (lines.length === 0) fail('ERR_KEY_FORMAT', 'recipients file contains no recipient');
  return lines.map((l) => recipientFromString(l));
}

/** Normalises `encrypt`'s recipients argument. */
export function toRecipients(input: RecipientInput | readonly RecipientInput[]): Recipient[] {
  const list = Array.isArray(input) ? (input as readonly RecipientInput[]) : [input as RecipientInput];
  if (list.length === 0) fail('ERR_INVALID_ARGUMENT', '"recipients" must not be empty');
  // Array.from visits every index: map would skip a hole, and a missing recipient must not
  // silently leave an authority unable to decrypt
  return Array.from(list, (r, i) => {
    if (typeof r === 'string') return r.includes('\n') ? parseRecipientsFile(r) : [recipientFromString(r)];
    if (typeof r === 'object' && r !== null && typeof r.wrapFileKey === 'function') return [r];
    return fail('ERR_INVALID_ARGUMENT', `"recipients[${i}]" expected a recipient string or a Recipient`);
  }).flat();
}

/** Normalises `decrypt`'s identities argument (strings may be whole identity files). */
export function toIdentities(input: IdentityInput | readonly IdentityInput[]): Identity[] {
  const list = Array.isArray(input) ? (input as readonly IdentityInput[]) : [input as IdentityInput];
  if (list.length === 0) fail('ERR_INVALID_ARGUMENT', '"identities" must not be empty');
  return Array.from(list, (x, i) => {
    if (typeof x === 'string') return parseIdentityFile(x);
    if (typeof x === 'object' && x !== null && typeof x.unwrapFileKey === 'function') return [x];
    return fail('ERR_INVALID_ARGUMENT', `"identities[${i}]" expected an identity string or an Identity`);
  }).flat();
}
