/**
 * C2SP tlog-cosignature v1, Ed25519 flavour: a witness signs
 * `cosignature/v1\ntime <T>\n` ‖ checkpoint body, and the note signature is
 * `timestamp (u64 big-endian) ‖ Ed25519 signature (64 bytes)`, under a key ID computed with
 * signature type 0x04 (see {@link noteKeyId}).
 */
import { concatBytes, fromUtf8, utf8 } from '../bytes.js';
import { fail } from '../errors.js';
import { parseCheckpoint } from './checkpoint.js';
import { parseNote, signNote, type NoteSigner } from './note.js';
import { signWith, type Signed } from '../keys/signed.js';

/** Largest timestamp the spec allows (2^63 − 1), as a bigint. */
const MAX_TS = (1n << 63n) - 1n;

/** The exact message an Ed25519 cosigner signs (tlog-cosignature "Ed25519 signed message"). */
export function cosignatureMessage(body: Uint8Array, timestamp: number): Uint8Array {
  return concatBytes(utf8(`cosignature/v1\ntime ${timestamp}\n`), body);
}

/** Splits a cosignature into its timestamp and Ed25519 signature; null when malformed. */
export function splitTimestampedSignature(sig: Uint8Array): { timestamp: number; signature: Uint8Array } | null {
  if (sig.length !== 72) return null;
  const ts = new DataView(sig.buffer, sig.byteOffset, 8).getBigUint64(0);
  // Timestamps beyond 2^53 cannot be real POSIX seconds; refusing them keeps `number` exact.
  if (ts > MAX_TS || ts > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { timestamp: Number(ts), signature: sig.subarray(8) };
}

/** A cosigner: a note signer of type 0x04 (see `noteSigner(name, key, NOTE_TYPE_COSIGNATURE)`). */
export type Cosigner = NoteSigner & { readonly type: number };

/**
 * Adds a witness cosignature to a signed checkpoint and returns the new note text.
 * The witness must already have checked the log's signature and the consistency of this
 * checkpoint with the largest one it has seen for the log (tlog-cosignature semantics): this
 * function only signs.
 *
 * @example
 * ```ts
 * const witness = noteSigner('witness.example/w1', SigningKey.generate(), NOTE_TYPE_COSIGNATURE);
 * const cosigned = cosign(checkpointText, witness);
 * ```
 */
export function cosign<W extends Cosigner>(checkpoint: string, witness: W, opts: { readonly time?: number } = {}): Signed<W, string> {
  if (witness.type !== 0x04) fail('ERR_INVALID_ARGUMENT', 'a cosigner must use signature type 0x04');
  const note = parseNote(checkpoint);
  parseCheckpoint(note.text);
  const time = opts.time ?? Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(time) || time < 0) fail('ERR_INVALID_ARGUMENT', '"time" must be a non-negative integer of seconds');
  const stamp = (sig: Uint8Array): Uint8Array => {
    const out = new Uint8Array(8 + sig.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(time));
    out.set(sig, 8);
    return out;
  };
  // The witness signs the cosignature message; the note line carries timestamp ‖ signature.
  const message = cosignatureMessage(utf8(note.text), time);
  return signWith(witness as Cosigner, message, (sig) => {
    const stamped: NoteSigner = { name: witness.name, keyId: witness.keyId, sign: () => stamp(sig) };
    return signNote(note.text, [stamped], note.signatures.map((s) => s.line)) as string;
  }) as Signed<W, string>;
}

/** The cosignature timestamp in a signature line's bytes, for reports. */
export function cosignatureTime(sig: Uint8Array): number | undefined {
  return splitTimestampedSignature(sig)?.timestamp;
}

// Re-exported for callers that want the message as text (e.g. to show what a witness signs).
export function cosignatureMessageText(body: string, timestamp: number): string {
  return fromUtf8(cosignatureMessage(utf8(body), timestamp));
}
