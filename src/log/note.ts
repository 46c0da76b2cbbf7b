/**
 * C2SP signed-note (c2sp.org/signed-note): text ending in a newline, a blank line, then one or
 * more signature lines `— <name> base64(keyID(4) ‖ signature)`. The text is split from the
 * signatures at the *last* blank line. Signatures from unknown keys (name and key ID not both
 * matching a configured verifier) are ignored; a known key with a bad signature rejects the
 * whole note; a note with no verified known signature is rejected.
 *
 * custos additionally rejects two signature lines with the same key name and key ID (a
 * duplicate can only be an error or an attempt to confuse counting), and bounds the note at
 * {@link NOTE_MAX_BYTES} and {@link NOTE_MAX_SIGNATURES} (the spec requires at least 16).
 */
import { fromBase64, fromUtf8, toBase64, utf8 } from '../bytes.js';
import { fail } from '../errors.js';
import { andThen, inSequence, signWith, type Signed } from '../keys/signed.js';
import { Checks, type LogReport } from './report.js';

/** Largest note custos parses (room for 16 post-quantum signatures and long extension lines). */
export const NOTE_MAX_BYTES = 256 * 1024;
/** Most signature lines custos accepts in one note. */
export const NOTE_MAX_SIGNATURES = 100;

const EM_DASH = '\u2014';

/** One signature line of a note. */
export interface NoteSignature {
  readonly name: string;
  /** The 32-bit key ID (big-endian in the line). */
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
  /** The whole line without its newline, as it appeared. */
  readonly line: string;
}

export interface ParsedNote {
  /** The signed text, including its final newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Verifies note signatures of one key (an Ed25519 log key, a witness cosigner, …). */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** The signature type byte of signed-note (0x01 Ed25519, 0x04 timestamped cosignature). */
  readonly type: number;
  readonly publicKey: Uint8Array;
  /** True when `signature` (without the key ID) is valid over `text` (the note text bytes). */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Signs note text for one key. */
export interface SyncNoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** Returns the signature bytes (without the key ID) over `text`. */
  sign(text: Uint8Array): Uint8Array;
}

/** A note signer whose key answers later (a token, a KMS): {@link signNote} then returns a Promise. */
export interface AsyncNoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** Resolves to the signature bytes (without the key ID) over `text`. */
  sign(text: Uint8Array): Promise<Uint8Array>;
}

/** A signed-note signer, synchronous ({@link SyncNoteSigner}) or asynchronous ({@link AsyncNoteSigner}). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(text: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Key names: non-empty, no Unicode spaces, no '+' (signed-note "Format"). */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !/[\s+\u0085\u200b]/u.test(name) && !/[\x00-\x1f\x7f]/.test(name);
}

function malformed(detail: string): never {
  fail('ERR_NOTE_MALFORMED', detail);
}

/** Note text must be UTF-8 without control characters other than newline. */
function checkChars(s: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x09\x0b-\x1f\x7f]/.test(s)) malformed('note contains a control character other than newline');
}

/**
 * Parses a signed note without verifying it. Throws ERR_NOTE_MALFORMED (or ERR_ENCODING for
 * invalid UTF-8) when the note is not well-formed.
 */
export function parseNote(note: string | Uint8Array, maxBytes = NOTE_MAX_BYTES): ParsedNote {
  let s: string;
  if (note instanceof Uint8Array) {
    if (note.length > maxBytes) fail('ERR_LIMIT', `note larger than ${maxBytes} bytes`);
    s = fromUtf8(note);
  } else if (typeof note === 'string') {
    s = note;
    if (s.length > maxBytes || utf8(s).length > maxBytes) fail('ERR_LIMIT', `note larger than ${maxBytes} bytes`);
    if (/[\ud800-\udfff]/u.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) fail('ERR_ENCODING', 'note has a lone surrogate');
  } else fail('ERR_INVALID_ARGUMENT', '"note" expected a string or Uint8Array');
  checkChars(s);
  const split = s.lastIndexOf('\n\n');
  if (split < 0) malformed('note has no blank line before its signatures');
  const text = s.slice(0, split + 1);
  const sigPart = s.slice(split + 2);
  if (sigPart.length === 0 || !sigPart.endsWith('\n')) malformed('signature block must be non-empty and end with a newline');
  const lines = sigPart.slice(0, -1).split('\n');
  if (lines.length > NOTE_MAX_SIGNATURES) fail('ERR_LIMIT', `note has more than ${NOTE_MAX_SIGNATURES} signatures`);
  const seen = new Set<string>();
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(EM_DASH + ' ')) malformed('signature line does not start with an em dash and a space');
    const rest = line.slice(2);
    const sp = rest.indexOf(' ');
    if (sp <= 0) malformed('signature line has no key name');
    const name = rest.slice(0, sp);
    const b64 = rest.slice(sp + 1);
    if (!isValidKeyName(name)) malformed('signature key name is invalid');
    let raw: Uint8Array;
    try {
      raw = fromBase64(b64);
    } catch {
      malformed('signature is not valid base64');
    }
    if (raw.length < 5) malformed('signature is shorter than a key ID and one byte');
    const keyId = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0;
    const id = `${name} ${keyId}`;
    if (seen.has(id)) malformed('two signatures with the same key name and key ID');
    seen.add(id);
    signatures.push({ name, keyId, signature: raw.slice(4), line });
  }
  return { text, signatures };
}

/** The result of {@link verifyNote}. */
export interface NoteReport extends LogReport {
  /** The note text; only meaningful when `ok`. */
  readonly text?: string;
  /** The verifiers whose signatures verified. */
  readonly verifiedBy: readonly NoteVerifier[];
  /** Signature lines from unknown keys (ignored). */
  readonly unknown: readonly NoteSignature[];
}

/**
 * Verifies a signed note against trusted verifiers.
 *
 * @example
 * ```ts
 * const r = verifyNote(noteText, [parseVerifierKey(vkey)]);
 * if (r.ok) use(r.text);
 * ```
 */
export function verifyNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): NoteReport {
  if (!Array.isArray(verifiers)) fail('ERR_INVALID_ARGUMENT', '"verifiers" expected an array');
  const checks = new Checks();
  let parsed: ParsedNote;
  try {
    parsed = parseNote(note);
  } catch (e) {
    const code = (e as { code?: string }).code;
    checks.failed('note.format', code === 'ERR_LIMIT' || code === 'ERR_ENCODING' ? code : 'ERR_NOTE_MALFORMED', (e as Error).message);
    return { ...checks.report(), verifiedBy: [], unknown: [] };
  }
  checks.pass('note.format');
  const textBytes = utf8(parsed.text);
  const verifiedBy: NoteVerifier[] = [];
  const unknown: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const v = verifiers.find((x) => x.name === sig.name && x.keyId === sig.keyId);
    if (v === undefined) {
      unknown.push(sig);
      continue;
    }
    if (v.verify(textBytes, sig.signature)) {
      verifiedBy.push(v);
      checks.pass('note.signature', `${sig.name}+${hex8(sig.keyId)}`);
    } else {
      checks.failed('note.signature', 'ERR_NOTE_SIGNATURE', `signature by known key ${sig.name}+${hex8(sig.keyId)} does not verify`);
    }
  }
  if (verifiedBy.length === 0) checks.failed('note.verified', 'ERR_NOTE_UNVERIFIED', 'no trusted key signed the note');
  const r = checks.report();
  return r.ok ? { ...r, text: parsed.text, verifiedBy, unknown } : { ...r, verifiedBy, unknown };
}

/**
 * Signs `text` (which must end with a newline) with each signer and returns the signed note
 * (a Promise of it when a signer is asynchronous; signers sign one after the other).
 * Existing signature lines can be kept by passing them in `keep`.
 */
export function signNote<S extends NoteSigner>(text: string, signers: readonly S[], keep: readonly string[] = []): Signed<S, string> {
  if (typeof text !== 'string' || !text.endsWith('\n')) fail('ERR_INVALID_ARGUMENT', '"text" must be a string ending in a newline');
  checkChars(text);
  if (signers.length + keep.length === 0) fail('ERR_INVALID_ARGUMENT', 'at least one signer is required');
  const bytes = utf8(text);
  for (const s of signers) if (!isValidKeyName(s.name)) fail('ERR_INVALID_ARGUMENT', 'signer has an invalid key name');
  const lines = inSequence<NoteSigner, string[]>(signers, [...keep], (acc, s) =>
    signWith(s, bytes, (sig) => {
      const raw = new Uint8Array(4 + sig.length);
      new DataView(raw.buffer).setUint32(0, s.keyId >>> 0);
      raw.set(sig, 4);
      acc.push(`${EM_DASH} ${s.name} ${toBase64(raw)}`);
      return acc;
    }),
  );
  return andThen(lines, (all) => {
    const out = `${text}\n${all.join('\n')}\n`;
    parseNote(out); // refuses duplicates and malformed lines before anything leaves this function
    return out;
  }) as Signed<S, string>;
}

/** 8 lowercase hex digits of a key ID. */
export function hex8(keyId: number): string {
  return (keyId >>> 0).toString(16).padStart(8, '0');
}
