/** Command dispatch for the `custos` CLI. Exit codes: 0 ok, 1 verification failed, 2 usage, 3 input/format. */
import { parseArgs } from 'node:util';
import { CustosError } from '../errors.js';
import { EXIT, exitCodeFor, GLOBAL_OPTIONS, type Command, type Values } from './command.js';
import { COMMANDS } from './commands/index.js';
import { escapeTerminal } from './escape.js';
import { makeIo, UsageError } from './io.js';

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
    'global options: --json (one JSON object on stdout), -q/--quiet, -h/--help',
    'exit codes: 0 ok, 1 verification failed, 2 usage error, 3 input or format error',
    'NO_COLOR disables colour; progress bars appear only when stderr is a terminal.',
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

let epipeInstalled = false;
function handleEpipe(): void {
  if (epipeInstalled) return;
  epipeInstalled = true;
  // A closed pipe (`custos inspect … | head`) is the reader's choice, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  handleEpipe();
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process[first === undefined ? 'stderr' : 'stdout'].write(topHelp());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write('custos 0.1.0\n');
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
    process.stderr.write(
      group.length > 0
        ? `custos: "${escapeTerminal(first)}" needs a subcommand: ${group.map((c) => c.name).join(', ')}\n`
        : `custos: unknown command "${escapeTerminal(first)}" (see custos --help)\n`,
    );
    return EXIT.usage;
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
    process.stderr.write(`custos ${command.name}: ${escapeTerminal((e as Error).message)}\n\n${commandHelp(command)}`);
    return EXIT.usage;
  }
  if (values.help === true) {
    process.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const io = makeIo({ json: values.json === true, quiet: values.quiet === true });
  try {
    if (positionals.length < (command.minArgs ?? 0) || positionals.length > (command.maxArgs ?? 0)) {
      throw new UsageError(`expected ${command.synopsis}`);
    }
    return await command.run(values, positionals, io);
  } catch (e) {
    const code = exitCodeFor(e);
    if (e instanceof UsageError) {
      process.stderr.write(`custos ${command.name}: ${escapeTerminal(e.message)}\n\n${commandHelp(command)}`);
    } else {
      const code = e instanceof CustosError ? e.code : 'ERR_IO';
      const message = e instanceof Error ? e.message : String(e);
      io.error(`${command.name}: ${e instanceof CustosError ? `${code}: ` : ''}${message}`);
      // One JSON object on stdout, even on failure (unless the command already printed its result).
      if (io.json && !io.printed) io.result({ ok: false, error: { code, message } });
    }
    return code;
  }
}
