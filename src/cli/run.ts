/**
 * Command dispatch for the `custos` CLI. Exit codes: 0 ok, 1 verification failed, 2 usage,
 * 3 input/format, 130/143 interrupted. With --json exactly one object goes to stdout: the
 * command's result with `schema: custos/<command words joined by ->/1` added here, or on any
 * failure `{ schema: 'custos/error/1', ok: false, error: { code, message }, exit }`.
 */
import { parseArgs } from 'node:util';
import { CustosError } from '../errors.js';
import { EXIT, exitCodeFor, GLOBAL_OPTIONS, type Command, type Values } from './command.js';
import { COMMANDS } from './commands/index.js';
import { escapeTerminal } from './escape.js';
import { errorObject, makeIo, UsageError } from './io.js';
import { onInterrupt } from './interrupt.js';

const VERSION = '0.1.0';

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'custos: seal, exchange and verify digital evidence',
    '',
    'usage: custos <command> [options]      custos <command> --help',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'global options: --json (exactly one JSON object on stdout, with its "schema", whatever the exit code;',
    '                the shapes are JSON Schemas in the package: schemas/<command>.schema.json),',
    '                -q/--quiet (the verdict or primary result only), -h/--help',
    'outputs are never replaced without --force (ERR_EXISTS, exit 3)',
    'exit codes: 0 ok, 1 verification failed, 2 usage error, 3 input or format error,',
    '            130/143 interrupted by SIGINT/SIGTERM (the partial output is removed),',
    '            141 stdout closed by its reader before the command finished (e.g. open -o - | head)',
    'NO_COLOR disables colour; progress (rate, ETA) appears only when stderr is a terminal.',
    '',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [
    `custos ${c.name}: ${c.summary}`,
    '',
    `usage: custos ${c.name} ${c.synopsis}`,
    ...(c.details !== undefined ? ['', c.details] : []),
    '',
    'example:',
    `  ${c.example}`,
    '',
  ].join('\n');
}

function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  // longest match first: `log init` before a hypothetical `log`
  const sorted = [...COMMANDS].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const c of sorted) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command: c, rest: argv.slice(words.length) };
  }
  return undefined;
}

/** The exit code when the reader closes stdout while a command still runs (128 + SIGPIPE). */
const EXIT_PIPE_CLOSED = 141;

let epipeInstalled = false;
function handleEpipe(): void {
  if (epipeInstalled) return;
  epipeInstalled = true;
  // A closed pipe (`custos inspect … | head`) is the reader's choice: custos ends quietly. While a
  // command still runs its checks are not finished (`open -o - | head` stops before the final
  // digest check), so the exit is 141 (128 + SIGPIPE, what a shell reports for a writer the pipe
  // closed on), never 0; once the command has returned, its own exit code stands.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_PIPE_CLOSED);
    throw e;
  });
}

/** True when `--json` is among the arguments (before a `--` terminator): failures print JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

function printJson(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
}

/** A usage error before a command runs: the message (and help) on stderr, with --json the error object. */
function usage(json: boolean, message: string, help = ''): number {
  process.stderr.write(`${escapeTerminal(message)}\n${help === '' ? '' : `\n${help}`}`);
  if (json) printJson(errorObject('ERR_USAGE', message, EXIT.usage));
  return EXIT.usage;
}

/** Help text on stdout; with --json one `custos/help/1` object carrying it. */
function help(json: boolean, command: string | null, text: string): number {
  if (json) printJson({ schema: 'custos/help/1', ok: true, command, help: text });
  else process.stdout.write(text);
  return EXIT.ok;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  handleEpipe();
  const json = wantsJson(argv);
  const first = argv[0];
  if (first === undefined) {
    process.stderr.write(topHelp());
    return EXIT.usage;
  }
  if (first === '--help' || first === '-h' || first === 'help') return help(json, null, topHelp());
  if (first === '--version' || first === '-V') {
    if (json) printJson({ schema: 'custos/version/1', ok: true, version: VERSION });
    else process.stdout.write(`custos ${VERSION}\n`);
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
    return usage(
      json,
      group.length > 0
        ? `custos: "${first}" needs a subcommand: ${group.map((c) => c.name).join(', ')}`
        : `custos: unknown command "${first}" (see custos --help)`,
    );
  }
  const { command, rest } = found;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    // parseArgs quotes the offending argument: escaped like every human line (see escape.ts)
    return usage(json, `custos ${command.name}: ${(e as Error).message}`, commandHelp(command));
  }
  if (values.help === true) return help(json, command.name, commandHelp(command));
  const io = makeIo({ json: values.json === true, quiet: values.quiet === true, command: command.name });
  const off = command.handlesSignals === true ? () => undefined : onInterrupt({ json: io.json, printed: () => io.printed });
  try {
    if (positionals.length < (command.minArgs ?? 0) || positionals.length > (command.maxArgs ?? 0)) {
      throw new UsageError(`expected ${command.synopsis}`);
    }
    return await command.run(values, positionals, io);
  } catch (e) {
    const exit = exitCodeFor(e);
    const message = e instanceof Error ? e.message : String(e);
    if (exit === EXIT.usage) {
      process.stderr.write(`custos ${command.name}: ${escapeTerminal(message)}\n\n${commandHelp(command)}`);
      if (io.json && !io.printed) printJson(errorObject('ERR_USAGE', message, exit));
    } else {
      const code = e instanceof CustosError ? e.code : 'ERR_IO';
      io.error(`${command.name}: ${e instanceof CustosError ? `${code}: ` : ''}${message}`);
      // One JSON object on stdout, even on failure (unless the command already printed its result).
      if (io.json && !io.printed) printJson(errorObject(code, message, exit));
    }
    return exit;
  } finally {
    off();
  }
}
