/**
 * C2SP tlog-checkpoint note bodies: origin line, tree size (ASCII decimal, no leading zeroes),
 * base64 root hash, then optional non-empty extension lines; every line ends with a newline.
 */
import { fromBase64, toBase64 } from '../bytes.js';
import { fail } from '../errors.js';
import { HASH_SIZE } from './merkle.js';

export interface Checkpoint {
  readonly origin: string;
  /** Tree size. custos handles sizes up to 2^53 − 1 (larger ones are refused, never rounded). */
  readonly size: number;
  readonly root: Uint8Array;
  readonly extensions: readonly string[];
}

function malformed(detail: string): never {
  fail('ERR_CHECKPOINT_MALFORMED', detail);
}

/**
 * Parses a checkpoint body (the note text, without signatures).
 *
 * @example
 * ```ts
 * const cp = parseCheckpoint('example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n');
 * ```
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') fail('ERR_INVALID_ARGUMENT', '"text" expected a string');
  if (!text.endsWith('\n')) malformed('checkpoint body must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) malformed('checkpoint body needs origin, size and root lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) malformed('empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) malformed('tree size is not a decimal without leading zeroes');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) fail('ERR_LIMIT', 'tree size above 2^53 − 1');
  let root: Uint8Array;
  try {
    root = fromBase64(rootLine);
  } catch {
    malformed('root hash is not base64');
  }
  if (root.length !== HASH_SIZE) malformed('root hash is not 32 bytes');
  for (const e of extensions) if (e.length === 0) malformed('empty extension line');
  return Object.freeze({ origin, size, root, extensions: Object.freeze(extensions) });
}

/** Formats a checkpoint body (ends with a newline). */
export function formatCheckpoint(cp: { origin: string; size: number; root: Uint8Array; extensions?: readonly string[] }): string {
  if (typeof cp.origin !== 'string' || cp.origin.length === 0 || cp.origin.includes('\n')) fail('ERR_INVALID_ARGUMENT', '"origin" must be a non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) fail('ERR_INVALID_ARGUMENT', '"size" must be a non-negative integer');
  if (!(cp.root instanceof Uint8Array) || cp.root.length !== HASH_SIZE) fail('ERR_INVALID_ARGUMENT', '"root" must be 32 bytes');
  const ext = cp.extensions ?? [];
  for (const e of ext) if (typeof e !== 'string' || e.length === 0 || e.includes('\n')) fail('ERR_INVALID_ARGUMENT', 'extension lines must be non-empty lines');
  const text = [cp.origin, String(cp.size), toBase64(cp.root), ...ext].join('\n') + '\n';
  parseCheckpoint(text);
  return text;
}
