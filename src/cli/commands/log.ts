/** `custos log init|append|checkpoint|prove|verify`: a transparency log in a directory (C2SP tlog-tiles). */
import { join } from 'node:path';
import { generateNoteKey, formatVerifierKey } from '../../log/notekeys.js';
import { formatTlogProof, verifyTlogProof } from '../../log/tlogproof.js';
import { openLog } from '../../node/logstore.js';
import { writeFileAtomic } from '../../node/bundle-fs.js';
import { utf8 } from '../../bytes.js';
import type { Command } from '../command.js';
import { str } from '../command.js';
import { readInput, UsageError, type Io } from '../io.js';
import { assertKeyOutside, LEGACY_KEY_FILE, readLogKey } from '../logkey.js';
import { loadTrust } from './bundle.js';

/** Opens the log in `dir` for one command; only `log init` (`mustExist` false) may create it. */
async function withLog<T>(dir: string, keyPath: string | undefined, io: Io, f: (log: Awaited<ReturnType<typeof openLog>>) => Promise<T>, mustExist = true): Promise<T> {
  const signer = await readLogKey(dir, keyPath, io);
  const log = await openLog(dir, { signer, origin: signer.name, mustExist });
  try {
    return await f(log);
  } finally {
    await log.close();
  }
}

const KEY_OPTION = { key: { type: 'string', short: 'k' } } as const;
const KEY_HELP = '  -k, --key FILE   the log key (custos log init --key); a log made before keys moved out of DIR\n                   is still read from DIR/log.skey, with a warning';

export const logInit: Command = {
  name: 'log init',
  summary: 'create a transparency log in DIR with a new Ed25519 log key written to FILE (0600), outside DIR',
  synopsis: 'DIR --origin ORIGIN --key FILE',
  details: [
    '  DIR is what `custos serve log` (or any static file server) publishes: the key never goes in it.',
    '  --key FILE   where the new log key goes (0600); refused inside DIR, and never overwritten.',
    '  Prints the verifier key (for custos trust add --log).',
  ].join('\n'),
  example: 'custos log init ./log --origin log.example.eu/custody --key ./keys/log.key > log.vkey',
  options: { origin: { type: 'string' }, ...KEY_OPTION },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const dir = args[0]!;
    const origin = str(v, 'origin', true);
    const keyPath = str(v, 'key', true);
    const { mkdir, access } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await assertKeyOutside(dir, keyPath);
    if (await access(join(dir, LEGACY_KEY_FILE)).then(() => true, () => false)) throw new UsageError(`${dir} already has a log key`);
    if (await access(keyPath).then(() => true, () => false)) throw new UsageError(`${keyPath} exists: a key file is never overwritten`);
    if (await access(join(dir, 'checkpoint')).then(() => true, () => false)) throw new UsageError(`${dir} already holds a log`);
    const { skey, vkey } = generateNoteKey(origin);
    await writeFileAtomic(keyPath, utf8(`${skey}\n`), 0o600, { noReplace: true }); // a log key is never replaced
    await withLog(dir, keyPath, io, async () => undefined, false);
    io.out(vkey);
    io.result({ ok: true, dir, origin, vkey, key: keyPath });
    return 0;
  },
};

export const logAppend: Command = {
  name: 'log append',
  summary: 'append an entry (a file or - for stdin, up to 65,535 bytes); prints its index once durable',
  synopsis: 'DIR FILE|- --key FILE',
  details: KEY_HELP,
  example: 'custos log append ./log custody-event.cose --key ./keys/log.key',
  options: { ...KEY_OPTION },
  minArgs: 2,
  maxArgs: 2,
  async run(v, args, io) {
    const entry = await readInput(args[1]!, 65_535);
    const { index } = await withLog(args[0]!, str(v, 'key'), io, (log) => log.append(entry));
    io.out(String(index));
    io.result({ ok: true, index });
    return 0;
  },
};

export const logCheckpoint: Command = {
  name: 'log checkpoint',
  summary: 'print the latest signed checkpoint (C2SP tlog-checkpoint)',
  synopsis: 'DIR --key FILE',
  details: KEY_HELP,
  example: 'custos log checkpoint ./log --key ./keys/log.key',
  options: { ...KEY_OPTION },
  minArgs: 1,
  maxArgs: 1,
  async run(v, args, io) {
    const cp = await withLog(args[0]!, str(v, 'key'), io, (log) => log.checkpoint());
    if (io.json) io.result({ ok: true, checkpoint: cp });
    else process.stdout.write(cp);
    return 0;
  },
};

export const logProve: Command = {
  name: 'log prove',
  summary: 'print a C2SP tlog-proof (inclusion proof + signed checkpoint) for an entry index',
  synopsis: 'DIR INDEX --key FILE',
  details: KEY_HELP,
  example: 'custos log prove ./log 3 --key ./keys/log.key > event3.tlog-proof',
  options: { ...KEY_OPTION },
  minArgs: 2,
  maxArgs: 2,
  async run(v, args, io) {
    if (!/^\d{1,15}$/.test(args[1]!)) throw new UsageError('INDEX must be a non-negative integer');
    const p = await withLog(args[0]!, str(v, 'key'), io, (log) => log.prove(Number(args[1])));
    const text = formatTlogProof({ index: p.index, proof: p.proof, checkpoint: p.checkpoint });
    if (io.json) io.result({ ok: true, index: p.index, size: p.size, proof: text });
    else process.stdout.write(text);
    return 0;
  },
};

export const logVerify: Command = {
  name: 'log verify',
  summary: 'verify a tlog-proof for an entry against the logs and witnesses of a trust store',
  synopsis: 'PROOF ENTRY|- --trust FILE [--witness-quorum N]',
  example: 'custos log verify event3.tlog-proof custody-event.cose --trust trust.json',
  options: { trust: { type: 'string', short: 't' }, 'witness-quorum': { type: 'string' } },
  minArgs: 2,
  maxArgs: 2,
  async run(v, args, io) {
    const trust = await loadTrust(str(v, 'trust', true));
    const text = new TextDecoder().decode(await readInput(args[0]!, 1024 * 1024));
    const entry = await readInput(args[1]!, 65_535);
    const cp = text.slice(text.indexOf('\n\n') + 2);
    const origin = cp.slice(0, cp.indexOf('\n'));
    const logs = (trust.document.logs ?? []).filter((l) => l.origin === origin).map((l) => l.vkey);
    if (logs.length === 0) {
      io.out(`FAIL: the trust store lists no log with origin ${origin}`);
      io.result({ ok: false, error: { code: 'ERR_NOTE_UNVERIFIED', message: 'unknown log origin' } });
      return 1;
    }
    const witnesses = (trust.document.witnesses ?? []).map((w) => w.vkey);
    const q = str(v, 'witness-quorum');
    const quorum = q !== undefined ? Number(q) : (trust.document.witnessQuorum ?? 0);
    if (!Number.isSafeInteger(quorum) || quorum > witnesses.length) throw new UsageError('witness quorum exceeds the trusted witnesses');
    const rep = verifyTlogProof(text, { entry, keys: { log: logs, witnesses, quorum, origin } });
    for (const c of rep.checks) io.detail(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}${c.ok ? '' : ` [${c.code}] ${c.detail ?? ''}`}`);
    io.out(rep.ok ? `VERIFIED: entry ${rep.index} is in ${origin} at size ${rep.checkpoint?.size}` : 'NOT VERIFIED');
    io.result({ ...rep, checkpoint: rep.checkpoint === undefined ? undefined : { origin: rep.checkpoint.origin, size: rep.checkpoint.size } });
    void formatVerifierKey;
    return rep.ok ? 0 : 1;
  },
};
