/**
 * Encryption entry points: `encrypt` for bytes and Web streams, and the lower-level
 * `createEncryptor` that the seal module drives to encrypt and hash in one streaming pass.
 */
import * as crypto from '#crypto';
import { fail } from '../errors.js';
import { encodeHeader } from './header.js';
import { wrapFileKey, type RecipientRules } from './filekey.js';
import { ByteSink, isReadableStream, sourceOf, type ByteSource } from './io.js';
import { toRecipients } from './keys.js';
import { NONCE_SIZE, StreamEncryptor, payloadKey, payloadSize } from './stream.js';
import type { RecipientInput } from './types.js';
import { FILE_KEY_SIZE } from './wrap.js';

/** Hooks that observe an encryption as it streams, and the recipient rules (see {@link RecipientRules}). */
export interface EncryptOptions extends RecipientRules {
  /** Called with every plaintext chunk, in order, before it is encrypted (e.g. to hash it). */
  onPlaintext?: (chunk: Uint8Array) => void;
  /**
   * Called with every byte of the payload section, in order: the 16-byte nonce first, then each
   * sealed chunk. SHA-256 over these bytes is the payload digest a seal signs; the header is
   * excluded so adding a recipient later keeps the digest valid.
   */
  onPayload?: (bytes: Uint8Array) => void;
}

/**
 * A running age encryption: the header is ready, payload bytes come out of `push`/`finish`.
 *
 * @example
 * ```ts
 * const enc = await createEncryptor(['age1…']);
 * out.write(enc.header);
 * for await (const chunk of input) for (const b of enc.push(chunk)) out.write(b);
 * for (const b of enc.finish()) out.write(b);
 * ```
 */
export interface AgeEncryptor {
  /** The encoded header (MAC line included). The payload section starts right after it. */
  readonly header: Uint8Array;
  /** Byte offset of the payload section in the file (= header.length). */
  readonly payloadOffset: number;
  /** Encrypts plaintext; returns payload bytes ready to write (the first call also returns the nonce). */
  push(plaintext: Uint8Array): Uint8Array[];
  /** Seals the final chunk; returns the last payload bytes. */
  finish(): Uint8Array[];
  /**
   * Like `push`, but hands each payload piece to `emit` as soon as it exists (no intermediate
   * array of pieces). Each piece is a fresh array.
   */
  pushTo(plaintext: Uint8Array, emit: (bytes: Uint8Array) => void): void;
  /** Like `finish`, with `emit` as in `pushTo`. */
  finishTo(emit: (bytes: Uint8Array) => void): void;
}

/**
 * The first steps of every encryption: a fresh file key wrapped for each recipient into a MACed
 * header, a fresh payload nonce, and the payload key derived from both (the file key is wiped).
 * Internal: for drivers (such as the Node file helpers) that seal STREAM chunks themselves.
 */
export async function startEncryption(
  recipients: RecipientInput | readonly RecipientInput[],
  rules: RecipientRules = {},
): Promise<{ header: Uint8Array; nonce: Uint8Array; key: Uint8Array }> {
  const rs = toRecipients(recipients);
  const fileKey = crypto.randomBytes(FILE_KEY_SIZE);
  let stanzas;
  try {
    stanzas = await wrapFileKey(rs, fileKey, rules);
  } catch (e) {
    fileKey.fill(0);
    throw e;
  }
  const header = encodeHeader(stanzas, fileKey).bytes;
  const nonce = crypto.randomBytes(NONCE_SIZE);
  const key = payloadKey(fileKey, nonce);
  fileKey.fill(0);
  return { header, nonce, key };
}

/**
 * Starts an encryption to `recipients` (strings `age1…`/`age1pq1…`, recipients-file text, or
 * {@link Recipient} objects). Wraps a fresh 16-byte file key for each recipient.
 */
export async function createEncryptor(
  recipients: RecipientInput | readonly RecipientInput[],
  options: EncryptOptions = {},
): Promise<AgeEncryptor> {
  const { header, nonce, key } = await startEncryption(recipients, { allowMixedPostQuantum: options.allowMixedPostQuantum === true });
  const enc = new StreamEncryptor(key);
  const { onPlaintext, onPayload } = options;
  let nonceOut = false;
  let done = false;
  const wrap = (emit: (b: Uint8Array) => void) => (b: Uint8Array) => {
    onPayload?.(b);
    emit(b);
  };
  const start = (emit: (b: Uint8Array) => void) => {
    if (done) fail('ERR_INTERNAL', 'encryptor used after finish');
    if (!nonceOut) {
      nonceOut = true;
      emit(nonce);
    }
  };
  const pushTo = (plaintext: Uint8Array, emit: (b: Uint8Array) => void) => {
    const e = wrap(emit);
    start(e);
    if (plaintext.length === 0) return;
    onPlaintext?.(plaintext);
    enc.push(plaintext, e);
  };
  const finishTo = (emit: (b: Uint8Array) => void) => {
    const e = wrap(emit);
    start(e);
    done = true;
    enc.finish(e);
  };
  return {
    header,
    payloadOffset: header.length,
    pushTo,
    finishTo,
    push(plaintext) {
      const out: Uint8Array[] = [];
      pushTo(plaintext, (b) => out.push(b));
      return out;
    },
    finish() {
      const out: Uint8Array[] = [];
      finishTo((b) => out.push(b));
      return out;
    },
  };
}

/**
 * Encrypts to an age v1 file that `age -d` can open.
 *
 * Bytes in → bytes out; a ReadableStream in → a ReadableStream out (constant memory).
 *
 * @example
 * ```ts
 * const { identity, recipient } = generateIdentity({ pq: true });
 * const file = await encrypt(new TextEncoder().encode('evidence'), [recipient]);
 * const plain = await decrypt(file, [identity]);
 * ```
 */
export async function encrypt(data: Uint8Array, recipients: RecipientInput | readonly RecipientInput[], options?: EncryptOptions): Promise<Uint8Array>;
export async function encrypt(
  data: ReadableStream<Uint8Array>,
  recipients: RecipientInput | readonly RecipientInput[],
  options?: EncryptOptions,
): Promise<ReadableStream<Uint8Array>>;
export async function encrypt(
  data: Uint8Array | ReadableStream<Uint8Array>,
  recipients: RecipientInput | readonly RecipientInput[],
  options: EncryptOptions = {},
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  if (data instanceof Uint8Array) return encryptAll(await createEncryptor(recipients, options), data);
  if (!isReadableStream(data)) fail('ERR_INVALID_ARGUMENT', '"data" expected Uint8Array or ReadableStream<Uint8Array>');
  return encryptorStream(await createEncryptor(recipients, options), sourceOf(data));
}

/** The whole age file (header + payload) for a plaintext in memory, in one allocation. */
export function encryptAll(enc: AgeEncryptor, data: Uint8Array): Uint8Array {
  const sink = new ByteSink(enc.header.length + payloadSize(data.length));
  sink.push(enc.header);
  const emit = (b: Uint8Array) => sink.push(b);
  enc.pushTo(data, emit);
  enc.finishTo(emit);
  return sink.bytes();
}

/**
 * The age file `enc` makes of `src`, as a pull stream (the header first, then the payload as the
 * source is read). `hooks.end` runs once the last chunk is enqueued, before the stream closes;
 * `hooks.fail` runs when encryption fails or the consumer cancels.
 */
export function encryptorStream(
  enc: AgeEncryptor,
  src: ByteSource,
  hooks: { readonly end?: () => void; readonly fail?: (reason: unknown) => void } = {},
): ReadableStream<Uint8Array> {
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!headerSent) {
            headerSent = true;
            controller.enqueue(enc.header);
            return;
          }
          for (;;) {
            const chunk = await src.read();
            const out = chunk === null ? enc.finish() : enc.push(chunk);
            for (const b of out) controller.enqueue(b);
            if (chunk === null) {
              hooks.end?.();
              controller.close();
              return;
            }
            if (out.length > 0) return;
          }
        } catch (e) {
          hooks.fail?.(e);
          controller.error(e);
          await src.cancel(e);
        }
      },
      async cancel(reason) {
        hooks.fail?.(reason);
        await src.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
