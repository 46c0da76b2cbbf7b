/**
 * `custos serve log` and `custos serve witness`: the HTTP faces as long-running commands. They
 * print `listening <url>` and serve until SIGINT or SIGTERM. Secrets never come from argv: the
 * PostgreSQL URL is read from CUSTOS_PG_URL, bearer tokens and keys from files.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CustosError } from '../../errors.js';
import { NOTE_TYPE_COSIGNATURE, generateNoteKey, parseSignerKey, parseVerifierKey } from '../../log/notekeys.js';
import { writeFileAtomic } from '../../node/bundle-fs.js';
import { utf8 } from '../../bytes.js';
import { dirTileFetcher } from '../../node/logfs.js';
import { openLog } from '../../node/logstore.js';
import { Publisher, filePublishedStore, serveLog, serveWitness, type PublishedStore } from '../../server/index.js';
import type { Command } from '../command.js';
import { str, strs } from '../command.js';
import { UsageError } from '../io.js';
import { readLogKey } from '../logkey.js';

async function readText(path: string, what: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (e) {
    throw new CustosError('ERR_IO', `cannot read ${what} ${path}`, { cause: e });
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export const serveLogCmd: Command = {
  name: 'serve log',
  summary: 'serve a log over HTTP: C2SP tlog-tiles reads, authenticated appends, witnessed checkpoints',
  synopsis: 'DIR --key FILE [--listen HOST:PORT] [--token-file FILE] [--pg [--schema NAME] [--dedupe]] [--witness URL=VKEY]... [--quorum N]',
  details: [
    'DIR: without --pg, the POSIX log served. --key FILE: the log key (custos log init --key), kept outside DIR;',
    'a log made before keys moved out of DIR is still read from DIR/log.skey, with a warning.',
    '--pg: the log lives in PostgreSQL at $CUSTOS_PG_URL (never on the command line).',
    '--token-file: bearer tokens (one per line) allowed to POST /add; without it the log is read-only.',
    '--witness URL=VKEY (repeatable) and --quorum N: /checkpoint serves only checkpoints N witnesses cosigned.',
  ].join('\n'),
  example: 'custos serve log ./log --key ./keys/log.key --listen 127.0.0.1:8080 --token-file tokens.txt',
  handlesSignals: true,
  options: {
    key: { type: 'string', short: 'k' },
    listen: { type: 'string' },
    'token-file': { type: 'string' },
    pg: { type: 'boolean' },
    schema: { type: 'string' },
    dedupe: { type: 'boolean' },
    witness: { type: 'string', multiple: true },
    quorum: { type: 'string' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const dir = args[0]!;
    const signer = await readLogKey(dir, str(v, 'key'), io);
    const tokenFile = str(v, 'token-file');
    const tokens = tokenFile === undefined ? [] : (await readText(tokenFile, 'the token file')).split('\n').map((t) => t.trim()).filter((t) => t !== '');
    const witnesses = strs(v, 'witness').map((w) => {
      const i = w.indexOf('=');
      if (i < 0) throw new UsageError('--witness expects URL=VKEY');
      parseVerifierKey(w.slice(i + 1));
      return { url: w.slice(0, i), key: w.slice(i + 1) };
    });
    const q = str(v, 'quorum');
    const quorum = q === undefined ? witnesses.length : Number(q);
    if (witnesses.length > 0 && (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > witnesses.length)) throw new UsageError('--quorum must be between 1 and the number of witnesses');
    let log;
    let tiles;
    let published: PublishedStore;
    if (v.pg === true) {
      const url = process.env.CUSTOS_PG_URL;
      if (url === undefined || url === '') throw new UsageError('--pg needs CUSTOS_PG_URL in the environment');
      let pgmod: typeof import('../../pg/index.js');
      try {
        pgmod = await import('../../pg/index.js');
      } catch (e) {
        throw new CustosError('ERR_UNSUPPORTED', 'the PostgreSQL driver is not installed (npm install pg)', { cause: e });
      }
      const schema = str(v, 'schema');
      const pgLog = await pgmod.openPgLog({ connectionString: url, signer, origin: signer.name, dedupe: v.dedupe === true, ...(schema === undefined ? {} : { schema }) });
      log = pgLog;
      tiles = pgLog.tileFetcher();
      published = { load: () => pgLog.published(), save: (n) => pgLog.publish(n) };
    } else {
      log = await openLog(dir, { signer, origin: signer.name, mustExist: true });
      tiles = dirTileFetcher(dir);
      published = filePublishedStore(join(dir, 'published-checkpoint'));
    }
    const store = log;
    const publisher =
      witnesses.length === 0
        ? undefined
        : new Publisher({
            witnesses,
            quorum,
            logKey: store.verifierKey,
            proof: async (a, b) => (await store.proveConsistency(a, b)).proof,
            latest: () => store.checkpoint(),
            store: published,
            onError: (e) => io.info(`publish: ${(e as Error).message}`),
          });
    const server = await serveLog({
      listen: str(v, 'listen') ?? '127.0.0.1:8080',
      tiles,
      ...(tokens.length > 0 ? { log: store, tokens } : {}),
      ...(publisher === undefined ? {} : { publisher }),
    });
    publisher?.schedule();
    const stopped = untilSignal(); // listening before the line that tells a supervisor it may signal
    io.out(`listening ${server.url}`);
    io.result({ ok: true, url: server.url });
    await stopped;
    await server.close();
    await publisher?.idle();
    await store.close();
    return 0;
  },
};

export const serveWitnessCmd: Command = {
  name: 'serve witness',
  summary: 'run a C2SP tlog-witness: cosign checkpoints of the given logs, refuse forks and rollbacks',
  synopsis: '--key FILE [--name NAME] --log VKEY... --state FILE [--listen HOST:PORT]',
  details: [
    '--key: the witness\'s cosignature signer key; with --name NAME and no such file, a new key is created (0600) and its verifier key printed.',
    '--log (repeatable): a log verifier key; its name is the log origin.',
    '--state: the file keeping the last cosigned size and root per log (replaced atomically).',
  ].join('\n'),
  example: 'custos serve witness --key witness.skey --log "log.example.eu/custody+1234abcd+AQ…" --state witness.json',
  options: { key: { type: 'string' }, name: { type: 'string' }, log: { type: 'string', multiple: true }, state: { type: 'string' }, listen: { type: 'string' } },
  handlesSignals: true,
  minArgs: 0,
  maxArgs: 0,
  async run(v, _args, io) {
    const keyFile = str(v, 'key', true);
    const name = str(v, 'name');
    let created: string | undefined;
    if (name !== undefined && !(await access(keyFile).then(() => true, () => false))) {
      const { skey, vkey } = generateNoteKey(name, NOTE_TYPE_COSIGNATURE);
      await writeFileAtomic(keyFile, utf8(`${skey}\n`), 0o600);
      io.out(`witness key ${vkey}`);
      created = vkey;
    }
    const witness = parseSignerKey(await readText(keyFile, 'the witness key'));
    if (witness.type !== 0x04) throw new UsageError('--key must be a cosignature key (type 0x04)');
    const logs = strs(v, 'log').map((k) => ({ origin: parseVerifierKey(k).name, keys: [k] }));
    if (logs.length === 0) throw new UsageError('--log is required');
    const server = await serveWitness({ listen: str(v, 'listen') ?? '127.0.0.1:7380', witness, logs, statePath: str(v, 'state', true) });
    const stopped = untilSignal();
    io.out(`listening ${server.url}`);
    io.result({ ok: true, url: server.url, ...(created !== undefined ? { createdKey: created } : {}) });
    await stopped;
    await server.close();
    return 0;
  },
};
