/**
 * CLI plumbing shared by every command: the output context (stdout for results, stderr for
 * diagnostics, `--json` printing exactly one object), `-` as stdin/stdout, colour only when
 * allowed (NO_COLOR, https://no-color.org), and a progress bar only on an interactive stderr.
 *
 * Every human line is escaped here ({@link escapeTerminal}): commands embed strings from
 * bundles, chains, trust stores and requests in their lines, and none of them may reach the
 * terminal as a control sequence. Colour is therefore not a string a command can splice in:
 * `style()` returns a {@link Styled} part, and only `out()` turns it into an SGR sequence.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { joinBytes, toU8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { escapeTerminal } from './escape.js';

/** A usage error: wrong flags or arguments (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type StyleKind = 'ok' | 'fail' | 'dim' | 'bold';

/**
 * A piece of a human line shown in a style (colour or weight). Its text is escaped like every
 * other part; as a plain string (a template literal) it is the bare text, without colour.
 */
export class Styled {
  constructor(
    readonly kind: StyleKind,
    readonly text: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

/** One part of a human line: text (escaped when printed) or a styled part. */
export type LinePart = string | Styled;

/** Everything a command may print to, set up once from the global flags. */
export interface Io {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  /** A human line on stdout from its parts, each escaped (suppressed with --json). */
  out(...parts: LinePart[]): void;
  /** A diagnostic line on stderr (suppressed with --quiet, except errors). */
  info(line: string): void;
  error(line: string): void;
  /** Prints the command's one JSON result object (only with --json). */
  result(obj: unknown): void;
  /** True once a JSON result was printed. */
  readonly printed: boolean;
  /**
   * A progress reporter for `total` bytes (`undefined`: size unknown, e.g. stdin: bytes and rate
   * only); a no-op unless stderr is a TTY and output is human.
   */
  progress(label: string, total: number | undefined): Progress;
  style(kind: StyleKind, s: string): Styled;
}

const SGR: { readonly [K in StyleKind]: string } = { ok: '32', fail: '31', dim: '2', bold: '1' };

/**
 * A human line from its parts: each part escaped, styled parts wrapped in their SGR sequence
 * when `color` is on. The only place an escape sequence enters human output.
 */
export function renderLine(parts: readonly LinePart[], color: boolean): string {
  let line = '';
  for (const p of parts) {
    if (p instanceof Styled) line += color ? `\x1b[${SGR[p.kind]}m${escapeTerminal(p.text)}\x1b[0m` : escapeTerminal(p.text);
    else line += escapeTerminal(p);
  }
  return line;
}

export interface Progress {
  add(n: number): void;
  done(): void;
}

const NO_PROGRESS: Progress = { add() {}, done() {} };

export function makeIo(opts: { json: boolean; quiet: boolean }): Io {
  const color = !opts.json && process.env.NO_COLOR === undefined && process.stdout.isTTY === true && process.env.TERM !== 'dumb';
  let printed = false;
  return {
    json: opts.json,
    quiet: opts.quiet,
    color,
    out(...parts) {
      if (!opts.json) process.stdout.write(`${renderLine(parts, color)}\n`);
    },
    info(line) {
      if (!opts.quiet) process.stderr.write(`${escapeTerminal(line)}\n`);
    },
    error(line) {
      process.stderr.write(`custos: ${escapeTerminal(line)}\n`);
    },
    get printed() {
      return printed;
    },
    result(obj) {
      if (!opts.json) return;
      if (printed) throw new Error('a command printed two JSON results');
      printed = true;
      process.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
    },
    progress(label, total) {
      if (opts.json || opts.quiet || process.stderr.isTTY !== true || (total !== undefined && total < 8 * 1024 * 1024)) return NO_PROGRESS;
      return progressBar(escapeTerminal(label), total);
    },
    style(kind, s) {
      return new Styled(kind, s);
    },
  };
}

function progressBar(label: string, total: number | undefined): Progress {
  let done = 0;
  let last = 0;
  const start = Date.now();
  const draw = (): void => {
    if (total === undefined) {
      // size unknown (a pipe): bytes so far and the rate, no bar and no ETA
      const mbs = done / 1e6 / Math.max(0.001, (Date.now() - start) / 1000);
      process.stderr.write(`\r${label} ${(done / 1e6).toFixed(0)} MB ${mbs.toFixed(0)} MB/s\x1b[K`);
      return;
    }
    const width = Math.max(10, Math.min(40, (process.stderr.columns ?? 80) - label.length - 30));
    const frac = total === 0 ? 1 : Math.min(1, done / total);
    const fill = Math.round(frac * width);
    const mbs = done / 1e6 / Math.max(0.001, (Date.now() - start) / 1000);
    process.stderr.write(`\r${label} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mbs.toFixed(0)} MB/s`);
  };
  return {
    add(n) {
      done += n;
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        draw();
      }
    },
    done() {
      draw();
      process.stderr.write('\n');
    },
  };
}

/** Reads a whole input (a path or `-` for stdin), refusing more than `maxBytes` (ERR_LIMIT). */
export async function readInput(path: string, maxBytes: number): Promise<Uint8Array> {
  if (path === '-') {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of process.stdin as AsyncIterable<Uint8Array>) {
      n += c.length;
      if (n > maxBytes) fail('ERR_LIMIT', `stdin is larger than ${maxBytes} bytes`);
      parts.push(toU8(c));
    }
    return joinBytes(parts);
  }
  try {
    const b = await readFile(path);
    if (b.length > maxBytes) fail('ERR_LIMIT', `${path} is larger than ${maxBytes} bytes`);
    return toU8(b);
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('ERR_IO', `cannot read ${path}`, { cause: e });
  }
}

/** A chunked reader for a path or `-` (stdin). */
export function inputStream(path: string): AsyncIterable<Uint8Array> {
  return (path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1024 * 1024 })) as AsyncIterable<Uint8Array>;
}

/** Writes chunks to stdout, honouring back-pressure. */
export async function writeStdout(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  for await (const c of source) {
    if (!process.stdout.write(c)) await new Promise<void>((res) => process.stdout.once('drain', res));
  }
}

