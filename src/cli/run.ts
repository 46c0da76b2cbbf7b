/** Command dispatch for the `custos` CLI. Exit codes: 0 ok, 1 verification failed, 2 usage, 3 input/format. */
export async function run(argv: string[]): Promise<number> {
  const [cmd] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h') {
    process.stdout.write('usage: custos <command> [options]\n');
    return cmd === undefined ? 2 : 0;
  }
  process.stderr.write(`custos: unknown command "${cmd}"\n`);
  return 2;
}
