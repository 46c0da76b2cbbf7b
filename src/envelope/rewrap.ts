/**
 * Re-wrapping: unwrap the file key with an identity, build a new header with recipients added
 * and/or removed, and keep the payload bytes exactly as they were (C2SP age: the payload MUST
 * NOT be modified without re-encrypting; here it is not modified at all). A seal over the
 * payload digest stays valid.
 */
import { fail } from '../errors.js';
import { ArmorEncoder, armor } from './armor.js';
import { encodeHeader } from './header.js';
import type { Stanza } from './header.js';
import { checkPostQuantumNotMixed, checkScryptAlone, unwrapFileKey, wrapFileKey } from './filekey.js';
import { readHeaderFrom, remainderStream } from './decrypt.js';
import type { DecryptOptions } from './decrypt.js';
import { ByteSink, dearmoringSource, isReadableStream, sourceOf } from './io.js';
import { toIdentities, toRecipients } from './keys.js';
import type { Identity, IdentityInput, RecipientInput } from './types.js';

/** What to change in the header. */
export interface RewrapChanges {
  /** Recipients to add (strings or Recipient objects). */
  add?: RecipientInput | readonly RecipientInput[];
  /**
   * Stanzas to drop: `'all'` (then `add` must name the new recipients), identities (a stanza
   * goes when that identity alone can unwrap it), or predicates over stanzas.
   */
  remove?: 'all' | ReadonlyArray<IdentityInput | ((stanza: Stanza) => boolean)>;
  /**
   * Allow the result to mix post-quantum and classic stanzas (default: ERR_PQ_MIXED, as for
   * `encrypt`). A seal does not cover the header, so rewrapping can change whether an item is
   * quantum-resistant: this is where that is refused.
   */
  allowMixedPostQuantum?: boolean;
}

async function newStanzas(old: readonly Stanza[], fileKey: Uint8Array, changes: RewrapChanges): Promise<Stanza[]> {
  let kept: Stanza[] = [...old];
  const { remove } = changes;
  if (remove === 'all') kept = [];
  else if (remove !== undefined) {
    if (!Array.isArray(remove)) fail('ERR_INVALID_ARGUMENT', '"remove" expected "all" or an array');
    const preds: Array<(s: Stanza) => boolean> = [];
    const ids: Identity[] = [];
    for (const r of remove) {
      if (typeof r === 'function') preds.push(r as (s: Stanza) => boolean);
      else ids.push(...toIdentities(r as IdentityInput));
    }
    const out: Stanza[] = [];
    for (const s of kept) {
      let drop = preds.some((p) => p(s));
      for (const id of ids) {
        if (drop) break;
        const k = await id.unwrapFileKey([s]);
        drop = k !== null && k !== undefined;
      }
      if (!drop) out.push(s);
    }
    kept = out;
  }
  // the rules apply to the header that results, checked below
  const added = changes.add === undefined ? [] : await wrapFileKey(toRecipients(changes.add), fileKey, { allowMixedPostQuantum: true });
  const all = [...kept, ...added];
  if (all.length === 0) fail('ERR_INVALID_ARGUMENT', 'rewrap would leave the file without any recipient');
  checkScryptAlone(all);
  checkPostQuantumNotMixed(all, { allowMixedPostQuantum: changes.allowMixedPostQuantum === true });
  return all;
}

/**
 * Adds and/or removes recipients by rewriting the header only. Takes a whole age file or a
 * detached header, as bytes or a ReadableStream, and returns the same kind; the bytes after the
 * header (the payload) are passed through untouched. The result has the input's form: an
 * ASCII-armored file gives an armored file (the same payload bytes inside the armor), a binary
 * file a binary one.
 *
 * @example
 * ```ts
 * const updated = await rewrap(file, ['AGE-SECRET-KEY-1…'], { add: ['age1pq1…'] });
 * // readHeader(updated).payload equals readHeader(file).payload, byte for byte
 * ```
 */
export async function rewrap(
  file: Uint8Array,
  identities: IdentityInput | readonly IdentityInput[],
  changes: RewrapChanges,
  options?: DecryptOptions,
): Promise<Uint8Array>;
export async function rewrap(
  file: ReadableStream<Uint8Array>,
  identities: IdentityInput | readonly IdentityInput[],
  changes: RewrapChanges,
  options?: DecryptOptions,
): Promise<ReadableStream<Uint8Array>>;
export async function rewrap(
  file: Uint8Array | ReadableStream<Uint8Array>,
  identities: IdentityInput | readonly IdentityInput[],
  changes: RewrapChanges,
  options: DecryptOptions = {},
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  if (!(file instanceof Uint8Array) && !isReadableStream(file)) fail('ERR_INVALID_ARGUMENT', '"file" expected Uint8Array or ReadableStream<Uint8Array>');
  if (typeof changes !== 'object' || changes === null) fail('ERR_INVALID_ARGUMENT', '"changes" expected an object');
  const ids = toIdentities(identities);
  const src = dearmoringSource(sourceOf(file), options.armor);
  try {
    const { header, rest } = await readHeaderFrom(src, options.maxHeaderBytes, options.maxStanzas);
    const fileKey = await unwrapFileKey(header, ids);
    const next = encodeHeader(await newStanzas(header.stanzas, fileKey, changes), fileKey).bytes;
    fileKey.fill(0);
    // The header was read, so the source knows by now whether the input is armored.
    const armored = src.armored() === true;
    if (file instanceof Uint8Array) {
      const sink = new ByteSink(next.length + rest.length);
      sink.push(next);
      sink.push(rest);
      for (let c = await src.read(); c !== null; c = await src.read()) sink.push(c);
      return armored ? new TextEncoder().encode(armor(sink.bytes())) : sink.bytes();
    }
    const payload = remainderStream(src, rest);
    let sentHeader = false;
    const reader = payload.getReader();
    const enc = armored ? new ArmorEncoder() : undefined;
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          let sent = false;
          const emit = (b: Uint8Array) => {
            if (b.length === 0) return;
            controller.enqueue(b);
            sent = true;
          };
          if (!sentHeader) {
            sentHeader = true;
            if (enc === undefined) emit(next);
            else enc.push(next, emit);
            return;
          }
          try {
            // an armor encoder may hold a whole read back (it emits 48 KiB at a time): keep reading
            // until something was enqueued or the input ended
            for (;;) {
              const r = await reader.read();
              if (r.done) {
                enc?.finish(emit);
                controller.close();
                return;
              }
              if (enc === undefined) return emit(r.value);
              enc.push(r.value, emit);
              if (sent) return;
            }
          } catch (e) {
            controller.error(e);
          }
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
  } catch (e) {
    await src.cancel(e);
    throw e;
  }
}
