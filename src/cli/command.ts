/** The shape of a CLI command, and the mapping from errors to exit codes. */
import { resolve as resolvePath } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { CustosError, type ErrorCode } from '../errors.js';
import { UsageError, type Io } from './io.js';

/** Exit codes (stable, scripts depend on them). */
export const EXIT = { ok: 0, failed: 1, usage: 2, input: 3 } as const;

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  /** `keygen`, or `log init` for a subcommand. */
  readonly name: string;
  readonly summary: string;
  /** Synopsis after `custos <name>`, e.g. `BUNDLE --trust FILE [--json]`. */
  readonly synopsis: string;
  /** Longer help: option descriptions. */
  readonly details?: string;
  readonly example: string;
  readonly options: Options;
  readonly minArgs?: number;
  readonly maxArgs?: number;
  /**
   * The command stops on SIGINT/SIGTERM itself (the servers: a signal is their normal end);
   * otherwise the CLI's handler removes temp outputs and exits 130/143 (src/cli/interrupt.ts).
   */
  readonly handlesSignals?: boolean;
  run(values: Values, args: string[], io: Io): Promise<number>;
}

/** Codes that mean "the evidence did not verify" (exit 1) rather than "bad input" (exit 3). */
const VERIFICATION_CODES = new Set<ErrorCode>([
  'ERR_VERIFICATION_FAILED',
  'ERR_SIGNATURE_INVALID',
  'ERR_DIGEST_MISMATCH',
  'ERR_CONTEXT_MISMATCH',
  'ERR_HEADER_MAC',
  'ERR_CHUNK_AUTH',
  'ERR_AEAD_AUTH',
  'ERR_TRUNCATED',
  'ERR_TRAILING_DATA',
  'ERR_CHAIN_BROKEN',
  'ERR_CHAIN_SEQ',
  'ERR_CHAIN_ID',
  'ERR_CHAIN_FORK',
  'ERR_PROOF_INVALID',
  'ERR_RECEIPT_INVALID',
  'ERR_NOTE_SIGNATURE',
  'ERR_NOTE_UNVERIFIED',
  'ERR_COSIGNATURE_INVALID',
  'ERR_WITNESS_QUORUM',
  'ERR_CONSISTENCY',
  'ERR_KEY_UNKNOWN',
  'ERR_KEY_NOT_VALID',
  'ERR_BINDING_MISMATCH',
]);

/** The exit code for an error thrown by a command. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return EXIT.usage;
  if (e instanceof CustosError) return VERIFICATION_CODES.has(e.code) ? EXIT.failed : EXIT.input;
  const nodeCode = (e as { code?: unknown } | null)?.code;
  if (e instanceof TypeError && typeof nodeCode === 'string' && nodeCode.startsWith('ERR_PARSE_ARGS')) return EXIT.usage;
  return EXIT.input;
}

export const GLOBAL_OPTIONS: Options = {
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

/** A string option's value, or throws a usage error when it is required and missing. */
export function str(values: Values, name: string): string | undefined;
export function str(values: Values, name: string, required: true): string;
export function str(values: Values, name: string, required = false): string | undefined {
  const v = values[name];
  if (v === undefined) {
    if (required) throw new UsageError(`--${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new UsageError(`--${name} expects a value`);
  return v;
}

/** All values of a repeatable string option. */
export function strs(values: Values, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** `--force`: replace existing outputs (without it, an existing output is ERR_EXISTS, exit 3). */
export const FORCE_OPTION: Options = { force: { type: 'boolean' } };

/** True unless `--force` was given: the writers then commit with no-replace (link, EEXIST → ERR_EXISTS). */
export function noReplace(values: Values): boolean {
  return values.force !== true;
}

/**
 * Refuses (usage error, before anything is read or written) two of the named files that are one
 * path: an output written over another output or over the input would replace it, with --force
 * even silently (e.g. `seal -o x.age --seal-out x.age` left only the seal). `-` and unset are skipped.
 *
 * @example
 * ```ts
 * distinctFiles([['-o', out], ['--seal-out', sealOut]]); // UsageError when out === sealOut
 * ```
 */
export function distinctFiles(files: readonly (readonly [flag: string, path: string | undefined])[]): void {
  const seen = new Map<string, string>();
  for (const [flag, p] of files) {
    if (p === undefined || p === '-') continue;
    const key = resolvePath(p);
    const other = seen.get(key);
    if (other !== undefined) throw new UsageError(`${flag} and ${other} name the same file (${JSON.stringify(p)}): one would replace the other`);
    seen.set(key, flag);
  }
}

/**
 * Fails with ERR_EXISTS before any work when one of `paths` exists (a dangling symlink counts)
 * and `--force` is absent, so a 1 TB seal does not run only to be refused at its commit. It is
 * only the early answer: the writers' no-replace commit is what makes the refusal atomic.
 */
export async function refuseExisting(values: Values, ...paths: string[]): Promise<void> {
  if (!noReplace(values)) return;
  const { lstat } = await import('node:fs/promises');
  for (const p of paths) {
    if (p === '-') continue;
    if (await lstat(p).then(() => true, () => false)) throw new CustosError('ERR_EXISTS', `${p} exists (use --force to replace it)`);
  }
}
