/**
 * Every command's `--json` output against its shipped JSON Schema (schemas/*.schema.json,
 * draft 2020-12, checked with a real validator, ajv): success, verification failure, input
 * error and usage error, each run for real through the built CLI. Exactly one JSON value on
 * stdout for every exit code; its `schema` names the schema it validates against.
 *
 * Attacks on this harness (each guarded): a command without a schema file or without a case
 * (fails the coverage test), a schema that accepts anything (the negative controls below), a
 * second object or trailing text on stdout (JSON.parse of the whole stdout), output printed
 * under another command's schema name (the `schema` value is compared with the command).
 *
 * Adding a command: add its schema file and one line to CASES.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/run.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { runDemo, type DemoResult } from '../../src/cli/demo/run.js';
import { buildChain, loadRequest, parties } from '../request/helpers.js';
import { buildCli, cleanupCli, repoRoot, runCli } from './build.js';

const SCHEMAS = join(repoRoot, 'schemas');
const fileName = (command: string): string => `${command.split(' ').join('-')}.schema.json`;

let cli: string;
let dir: string;
let demo: DemoResult;
const validators = new Map<string, ValidateFunction>();
const p = (name: string): string => join(dir, name);

/** Validates stdout: one JSON value, named `custos/<command>/1` (or the error/help schema), valid. */
function check(command: string, stdout: string, exit: number): Record<string, unknown> {
  const obj = JSON.parse(stdout) as Record<string, unknown>; // throws on a second object or trailing text
  const expected = exit === 2 || obj.schema === 'custos/error/1' ? 'custos/error/1' : `custos/${command.split(' ').join('-')}/1`;
  expect(obj.schema, stdout).toBe(expected);
  const v = validators.get(String(obj.schema));
  expect(v, `no schema ${String(obj.schema)}`).toBeDefined();
  const valid = (v as (x: unknown) => boolean)(obj);
  if (!valid) throw new Error(`${command}: output does not match ${String(obj.schema)}: ${JSON.stringify(v!.errors, null, 2)}\n${stdout}`);
  if (obj.schema === 'custos/error/1') expect(obj.exit).toBe(exit);
  return obj;
}

/** Runs the CLI's run() in this process, capturing stdout and stderr. */
async function inProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    return { code: await run(argv), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

interface Case {
  readonly command: string;
  readonly what: string;
  readonly args: () => string[];
  readonly exit: number;
  readonly stdin?: () => string;
}

const c = (command: string, what: string, exit: number, args: () => string[], stdin?: () => string): Case => ({ command, what, exit, args, ...(stdin ? { stdin } : {}) });
const T = (): string => demo.trust;
const RQ = (): string => demo.requesterKey;
const EX = (): string => p('demo/executor.key');
const unsealed = (): string[] => (demo.omitted.some((o) => o.startsWith('seals')) ? ['--allow-unsealed'] : []);
const ctx = ['--request', 'AT-WKSTA-2026-000417', '--purpose', 'investigation'];
const sealArgs = (out: string): string[] => ['seal', p('plain.bin'), '-k', EX(), '--to', RQ(), '--id', 'plain', '--case', 'C-1', '--purpose', 'investigation', '--legal-basis', 'test', '-o', out];

/** One line a case; they run in order (later ones use the files earlier ones made). */
const CASES: readonly Case[] = [
  c('keygen', 'writes a key file', 0, () => ['keygen', '--id', 'XX-NEW', '-o', p('new.key')]),
  c('keygen', 'refuses an existing file', 3, () => ['keygen', '--id', 'XX-NEW', '-o', p('new.key')]),
  c('pubkey', 'prints the trust store', 0, () => ['pubkey', RQ(), EX()]),
  c('pubkey', 'a missing key file', 3, () => ['pubkey', p('nope.key')]),
  c('trust init', 'creates a store', 0, () => ['trust', 'init', '-o', p('t.json')]),
  c('trust init', 'refuses an existing file', 3, () => ['trust', 'init', '-o', p('t.json')]),
  c('trust add', 'adds an authority', 0, () => ['trust', 'add', p('t.json'), '--authority', p('new.key')]),
  c('trust add', 'a missing store', 3, () => ['trust', 'add', p('none.json'), '--authority', p('new.key')]),
  c('trust revoke', 'revokes', 0, () => ['trust', 'revoke', p('t.json'), '--authority', 'XX-NEW', '--at', '2026-01-01T00:00:00Z']),
  c('trust revoke', 'a missing store', 3, () => ['trust', 'revoke', p('none.json'), '--authority', 'XX-NEW', '--at', '2026-01-01T00:00:00Z']),
  c('trust list', 'lists', 0, () => ['trust', 'list', p('t.json')]),
  c('trust list', 'not a trust store', 3, () => ['trust', 'list', p('plain.bin')]),
  c('seal', 'seals', 0, () => sealArgs(p('plain.age'))),
  c('seal', 'refuses an existing output', 3, () => sealArgs(p('plain.age'))),
  c('bundle create', 'bundles', 0, () => ['bundle', 'create', '-k', EX(), '-o', p('b.tar'), '--item', `plain=${p('plain.age')}`, '--seal', `plain=${p('plain.age.cose')}`, '--case', 'C-1']),
  c('bundle create', 'refuses an existing output', 3, () => ['bundle', 'create', '-k', EX(), '-o', p('b.tar'), '--item', `plain=${p('plain.age')}`]),
  c('verify', 'the demo bundle verifies', 0, () => ['verify', demo.bundle, '--trust', T(), ...unsealed()]),
  c('verify', 'a bundle without custody fails', 1, () => ['verify', p('b.tar'), '--trust', T()]),
  c('verify', 'not a bundle', 3, () => ['verify', p('plain.bin'), '--trust', T()]),
  c('inspect', 'describes', 0, () => ['inspect', demo.bundle]),
  c('inspect', 'not a bundle', 3, () => ['inspect', p('plain.bin')]),
  c('open', 'opens to a file', 0, () => ['open', demo.bundle, 'disk', '-k', RQ(), '--trust', T(), ...ctx, '-o', p('disk.img'), ...unsealed()]),
  c('open', 'refuses an existing output', 3, () => ['open', demo.bundle, 'disk', '-k', RQ(), '--trust', T(), ...ctx, '-o', p('disk.img'), ...unsealed()]),
  c('open', 'another request: refused', 1, () => ['open', demo.bundle, 'disk', '-k', RQ(), '--trust', T(), '--request', 'OTHER', '--purpose', 'investigation', '-o', p('other.img'), ...unsealed()]),
  c('rewrap', 'adds a recipient', 0, () => ['rewrap', p('plain.age'), '-k', RQ(), '--add', JSON.parse(readFileSync(p('new.key'), 'utf8')).age[0].recipient, '--allow-mixed-pq', '-o', p('re.age')]),
  c('rewrap', 'refuses an existing output', 3, () => ['rewrap', p('plain.age'), '-k', RQ(), '--add', JSON.parse(readFileSync(p('new.key'), 'utf8')).age[0].recipient, '--allow-mixed-pq', '-o', p('re.age')]),
  c('redact', 'presents', 0, () => ['redact', p('rec.json'), '--policy', p('pol.json'), '--purpose', 'investigation', '--category', 'subscriber', '--request', 'R1', '--audience', 'AT-X', '--nonce', 'n1', '--redactable', 'subscriber.name', '--redactable', 'subscriber.phone', '-k', EX(), '-o', p('pres.cbor')]),
  c('redact', 'denied by the policy', 3, () => ['redact', p('rec.json'), '--policy', p('pol.json'), '--purpose', 'investigation', '--category', 'content', '--request', 'R1', '--audience', 'AT-X', '--nonce', 'n1', '--redactable', 'subscriber.name', '-k', EX(), '-o', p('pres2.cbor')]),
  c('log init', 'creates a log', 0, () => ['log', 'init', p('log'), '--origin', 'test.example/log', '--key', p('log.key')]),
  c('log init', 'refuses an existing log key', 2, () => ['log', 'init', p('log'), '--origin', 'test.example/log', '--key', p('log.key')]),
  c('log init', 'refuses a key inside the published directory', 3, () => ['log', 'init', p('log2'), '--origin', 'test.example/log', '--key', p('log2/log.key')]),
  c('log append', 'appends', 0, () => ['log', 'append', p('log'), p('plain.bin'), '--key', p('log.key')]),
  c('log append', 'an entry too large', 3, () => ['log', 'append', p('log'), p('big.bin'), '--key', p('log.key')]),
  c('log checkpoint', 'prints the checkpoint', 0, () => ['log', 'checkpoint', p('log'), '--key', p('log.key')]),
  c('log checkpoint', 'no log', 3, () => ['log', 'checkpoint', p('nolog'), '--key', p('log.key')]),
  c('log prove', 'proves', 0, () => ['log', 'prove', p('log'), '0', '--key', p('log.key')]),
  c('log prove', 'an index past the end', 3, () => ['log', 'prove', p('log'), '7', '--key', p('log.key')]),
  c('log verify', 'verifies', 0, () => ['log', 'verify', p('proof'), p('plain.bin'), '--trust', p('log-trust.json')]),
  c('log verify', 'another entry fails', 1, () => ['log', 'verify', p('proof'), p('rec.json'), '--trust', p('log-trust.json')]),
  c('log verify', 'a log the trust store does not list', 1, () => ['log', 'verify', p('proof'), p('plain.bin'), '--trust', T()]),
  c('custody init', 'creates a chain', 0, () => ['custody', 'init', p('c.chain'), '--request', 'R1', '--item', 'plain']),
  c('custody init', 'refuses an existing chain', 3, () => ['custody', 'init', p('c.chain'), '--request', 'R1', '--item', 'plain']),
  c('custody append', 'appends acquired', 0, () => ['custody', 'append', p('c.chain'), 'acquired', '-k', EX(), '--trust', T(), '--role', 'collector', '--digest', `sha-256=${'ab'.repeat(32)}`]),
  c('custody append', "another authority claimed as actor: refused", 2, () => ['custody', 'append', p('c.chain'), 'accessed', '-k', RQ(), '--actor', 'IE-MAILSVC', '--trust', T(), '--role', 'custodian']),
  c('custody verify', 'verifies', 0, () => ['custody', 'verify', p('c.chain'), '--trust', T(), '--request', 'R1', '--item', 'plain']),
  c('custody verify', 'another item: fails', 1, () => ['custody', 'verify', p('c.chain'), '--trust', T(), '--request', 'R1', '--item', 'other']),
  c('custody show', 'shows', 0, () => ['custody', 'show', p('c.chain')]),
  c('custody show', 'not a chain', 3, () => ['custody', 'show', p('plain.bin')]),
  c('custody export', 'exports CASE', 0, () => ['custody', 'export', p('c.chain'), '--format', 'case', '--trust', T(), '-o', p('c.jsonld')]),
  c('custody export', 'not a chain', 3, () => ['custody', 'export', p('plain.bin'), '--format', 'case', '--trust', T(), '-o', p('d.jsonld')]),
  c('custody init', 'a chain whose events are logged', 0, () => ['custody', 'init', p('c2.chain'), '--request', 'R1', '--item', 'logged']),
  c('custody append', 'appends to the log with receipts', 0, () => ['custody', 'append', p('c2.chain'), 'acquired', '-k', EX(), '--trust', p('cl-trust.json'), '--role', 'collector', '--digest', `sha-256=${'cd'.repeat(32)}`, '--log', p('log'), '--log-key', p('log.key')]),
  c('custody append', 'a log directory that holds no log', 3, () => ['custody', 'append', p('c2.chain'), 'sealed', '-k', EX(), '--trust', p('cl-trust.json'), '--role', 'custodian', '--log', p('nolog'), '--log-key', p('log.key')]),
  c('custody handover', 'hands over', 0, () => ['custody', 'handover', p('c2.chain'), '--trust', p('cl-trust.json'), '--log', p('log'), '--log-key', p('log.key'), '-o', p('ho')]),
  c('custody handover', 'no log given', 2, () => ['custody', 'handover', p('c2.chain'), '--trust', p('cl-trust.json'), '-o', p('ho2')]),
  c('serve log', 'a directory without a log key', 3, () => ['serve', 'log', p('nolog'), '--listen', '127.0.0.1:0']),
  c('serve witness', 'a missing key', 3, () => ['serve', 'witness', '--key', p('nokey'), '--log', 'x', '--state', p('w.json'), '--listen', '127.0.0.1:0']),
  c('request validate', 'valid', 0, () => ['request', 'validate', join(repoRoot, 'examples/requests/epoc-traffic.json')]),
  c('request validate', 'every issue', 3, () => ['request', 'validate', '-'], () => '{"instrument":"EPOC"}'),
  c('request deadlines', 'due times', 0, () => ['request', 'deadlines', join(repoRoot, 'examples/requests/epoc-traffic.json'), '--received', '2026-03-28T09:00:00+01:00']),
  c('request deadlines', 'a missing request', 3, () => ['request', 'deadlines', p('none.json'), '--received', '2026-03-28T09:00:00+01:00']),
  c('request status', 'status', 0, () => ['request', 'status', p('req.json'), '--chain', p('status.cbor'), '--trust', p('req-trust.json'), '--now', '2026-04-10T12:00:00Z']),
  c('request status', 'a chain that does not verify (unknown signers)', 1, () => ['request', 'status', p('req.json'), '--chain', p('status.cbor'), '--trust', T()]),
  c('request stats', 'statistics', 0, () => ['request', 'stats', '--from', '2026-01-01T00:00:00Z', '--to', '2027-01-01T00:00:00Z', '--trust', p('req-trust.json'), `${p('req.json')}=${p('status.cbor')}`]),
  c('request stats', 'a missing trust store', 3, () => ['request', 'stats', '--from', '2026-01-01T00:00:00Z', '--to', '2027-01-01T00:00:00Z', '--trust', p('none.json'), `${p('req.json')}=${p('status.cbor')}`]),
  c('demo', 'runs the exchange', 0, () => ['demo', '--dir', p('demo2'), '--image-size', '70k']),
  c('demo', 'refuses a directory that is not empty', 3, () => ['demo', '--dir', p('demo2'), '--image-size', '70k']),
];

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-json-'));
  demo = await runDemo({ dir: p('demo'), imageSize: 100_000, print: () => undefined });
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const f of readdirSync(SCHEMAS).filter((n) => n.endsWith('.schema.json'))) {
    const s = JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as { $id: string };
    validators.set(s.$id, ajv.compile(s));
  }
  writeFileSync(p('plain.bin'), 'evidence bytes\n');
  writeFileSync(p('big.bin'), new Uint8Array(70_000));
  writeFileSync(p('rec.json'), JSON.stringify({ account: 'a@x.example', subscriber: { name: 'N', phone: '+1' } }));
  writeFileSync(p('pol.json'), JSON.stringify({ version: 1, id: 'p1', public: ['account'], purposes: { investigation: { categories: { subscriber: ['subscriber.name'] } } } }));
  const P = parties();
  const req = loadRequest('epoc-traffic.json');
  writeFileSync(p('req.json'), JSON.stringify(req));
  writeFileSync(p('req-trust.json'), JSON.stringify(P.trust.document));
  const chain = buildChain(req, [
    { kind: 'issued', at: '2026-03-27T16:45:00+01:00', actor: 'issuer' },
    { kind: 'received', at: '2026-03-27T17:00:00+01:00', actor: 'provider' },
  ], P.keys);
  writeFileSync(p('status.cbor'), Buffer.concat(chain));
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('every command has a schema and cases', () => {
  it('a schema file for every command in src/cli/commands/index.ts, each a closed draft 2020-12 object with its name', () => {
    for (const cmd of COMMANDS) {
      const s = JSON.parse(readFileSync(join(SCHEMAS, fileName(cmd.name)), 'utf8')) as Record<string, unknown>;
      const id = `custos/${cmd.name.split(' ').join('-')}/1`;
      expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(s.$id).toBe(id);
      for (const alt of (s.oneOf as Record<string, unknown>[] | undefined) ?? [s]) {
        expect(alt.additionalProperties, cmd.name).toBe(false);
        expect((alt.properties as Record<string, unknown>).schema).toEqual({ const: id });
      }
    }
    for (const shared of ['error', 'help', 'version']) expect(validators.has(`custos/${shared}/1`)).toBe(true);
  });

  it('every command has a success case and a failure case (serve: its success is the spawn test)', () => {
    for (const cmd of COMMANDS) {
      const mine = CASES.filter((x) => x.command === cmd.name);
      if (!cmd.name.startsWith('serve ')) expect(mine.some((x) => x.exit === 0), `${cmd.name}: no success case`).toBe(true);
      expect(mine.some((x) => x.exit !== 0), `${cmd.name}: no failure case`).toBe(true);
    }
  });

  it('the schemas are not vacuous: wrong shapes are rejected', () => {
    const err = validators.get('custos/error/1')!;
    expect(err({ schema: 'custos/error/1', ok: false, error: { code: 'ERR_IO', message: 'm' }, exit: 3 })).toBe(true);
    expect(err({ schema: 'custos/error/1', ok: true, error: { code: 'ERR_IO', message: 'm' }, exit: 3 })).toBe(false);
    expect(err({ schema: 'custos/error/1', ok: false, error: { code: 'ERR_IO', message: 'm' }, exit: 0 })).toBe(false);
    const open = validators.get('custos/open/1')!;
    expect(open({ schema: 'custos/open/1', ok: false, item: 'd', output: 'o', size: 1, sha256: null, checks: 1, contextChecked: true, waived: [] })).toBe(false);
    expect(open({ schema: 'custos/open/1', ok: true, item: 'd', output: 'o', size: 1, sha256: null, checks: 1, contextChecked: true, waived: [], extra: 1 })).toBe(false);
    expect(validators.get('custos/verify/1')!({ schema: 'custos/verify/1', ok: true })).toBe(false);
  });
});

describe('--json output validates against the shipped schema', () => {
  for (const k of CASES) {
    it(`${k.command}: ${k.what} (exit ${k.exit})`, () => {
      const r = runCli(cli, [...k.args(), '--json'], k.stdin?.());
      expect(r.code, r.stderr + r.stdout).toBe(k.exit);
      const obj = check(k.command, r.stdout, k.exit);
      if (k.exit === 0) expect(obj.ok ?? true).toBe(true);
      else expect(obj.ok).toBe(false);
      if (k.command === 'log prove' && k.exit === 0) {
        writeFileSync(p('proof'), String(obj.proof));
      }
      if (k.command === 'log init' && k.exit === 0) {
        writeFileSync(p('log-trust.json'), JSON.stringify({ version: 1, authorities: [], logs: [{ origin: 'test.example/log', vkey: obj.vkey }] }));
        // the demo's authorities with this log and no witnesses: what custody append --log checks receipts against
        const { witnesses: _w, witnessQuorum: _q, ...doc } = JSON.parse(readFileSync(T(), 'utf8')) as Record<string, unknown>;
        writeFileSync(p('cl-trust.json'), JSON.stringify({ ...doc, logs: [{ origin: 'test.example/log', vkey: obj.vkey }] }));
      }
    });
  }

  it('a usage error of every command prints the error object (exit 2), and --help --json the help object', async () => {
    // in-process (the same run() the binary calls; both fail before any command body runs):
    // 2 × every command as child processes would take ~10 s on a loaded 2-core machine
    for (const cmd of COMMANDS) {
      const r = await inProcess([...cmd.name.split(' '), '--no-such-option', '--json']);
      expect(r.code).toBe(2);
      expect(check(cmd.name, r.stdout, 2)).toMatchObject({ error: { code: 'ERR_USAGE' } });
      const h = await inProcess([...cmd.name.split(' '), '--help', '--json']);
      expect(h.code).toBe(0);
      const obj = JSON.parse(h.stdout) as Record<string, unknown>;
      expect(validators.get('custos/help/1')!(obj)).toBe(true);
      expect(obj.command).toBe(cmd.name);
    }
  });

  it('an unknown command, a missing subcommand, --version and --help: one object each', () => {
    for (const [args, exit, schema] of [
      [['frobnicate', '--json'], 2, 'custos/error/1'],
      [['log', '--json'], 2, 'custos/error/1'],
      [['--version', '--json'], 0, 'custos/version/1'],
      [['--help', '--json'], 0, 'custos/help/1'],
    ] as const) {
      const r = runCli(cli, [...args]);
      expect(r.code).toBe(exit);
      const obj = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(obj.schema).toBe(schema);
      expect(validators.get(schema)!(obj)).toBe(true);
    }
  });

  it('serve log and serve witness print one object once listening, and stop on SIGTERM', async () => {
    const init = runCli(cli, ['log', 'init', p('srvlog'), '--origin', 'srv.example/log', '--key', p('srv.key')]);
    expect(init.code).toBe(0);
    const vkey = init.stdout.trim();
    for (const [command, args] of [
      ['serve log', ['serve', 'log', p('srvlog'), '--key', p('srv.key'), '--listen', '127.0.0.1:0']],
      ['serve witness', ['serve', 'witness', '--key', p('w.skey'), '--name', 'w.example.org', '--log', vkey, '--state', p('w.json'), '--listen', '127.0.0.1:0']],
    ] as const) {
      const child = spawn(process.execPath, [cli, ...args, '--json'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const obj = await new Promise<Record<string, unknown>>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          try {
            resolve(JSON.parse(out) as Record<string, unknown>);
          } catch {
            // not complete yet
          }
        });
        child.once('exit', (code) => reject(new Error(`${command} exited ${code}: ${out}`)));
      });
      const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out.trim()).toBe(JSON.stringify(obj, null, 2)); // nothing after the one object
      check(command, out, 0);
      expect(String(obj.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
  });
});
