/** `custos keygen` and `custos pubkey`. */
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from '../command.js';
import { str, strs } from '../command.js';
import { UsageError } from '../io.js';
import { generateAuthorityKeys, readKeyFile, trustDocumentFor, writeKeyFile } from '../keyfile.js';

export const keygen: Command = {
  name: 'keygen',
  summary: 'create an authority key file (signing key + age identities), mode 0600',
  synopsis: '-o FILE [--id ID] [--name NAME] [--jurisdiction CC] [--role ROLE]… [--pq] [--force]',
  details: [
    '  -o, --output FILE     where to write the key file (never overwritten without --force)',
    '  --id ID               the authority id verifiers will see in their trust store',
    '                        (default: the file name without its extension)',
    '  --pq                  add a post-quantum hybrid age identity (mlkem768x25519, age1pq1…)',
    '                        next to the X25519 one (which the age CLI 1.1 can use)',
  ].join('\n'),
  example: 'custos keygen --pq --id FR-PARQUET --name "Parquet de Paris" --jurisdiction FR -o requester.key',
  options: {
    output: { type: 'string', short: 'o' },
    id: { type: 'string' },
    name: { type: 'string' },
    jurisdiction: { type: 'string' },
    role: { type: 'string', multiple: true },
    pq: { type: 'boolean' },
    force: { type: 'boolean' },
  },
  async run(v, _args, io) {
    const out = str(v, 'output', true);
    if (out === '-') throw new UsageError('a secret key file is never written to stdout; give a path');
    if (v.force !== true && (await access(out).then(() => true, () => false))) throw new UsageError(`${out} exists (use --force to replace it)`);
    const jurisdiction = str(v, 'jurisdiction');
    if (jurisdiction !== undefined && !/^[A-Z]{2}$/.test(jurisdiction)) throw new UsageError('--jurisdiction expects an ISO 3166 alpha-2 code such as FR');
    const name = str(v, 'name');
    const roles = strs(v, 'role');
    const doc = generateAuthorityKeys({
      id: str(v, 'id') ?? (basename(out).replace(/\.[^.]*$/, '') || 'authority'),
      ...(name !== undefined ? { name } : {}),
      ...(jurisdiction !== undefined ? { jurisdiction } : {}),
      ...(roles.length > 0 ? { roles } : {}),
      pq: v.pq === true,
    });
    await writeKeyFile(out, doc);
    const recipients = doc.age.map((a) => a.recipient);
    io.info(`wrote ${out} (0600) for ${doc.authority.id}`);
    for (const r of recipients) io.out(r.length > 80 ? `${r.slice(0, 40)}…${r.slice(-20)}` : r);
    io.result({ ok: true, file: out, authority: doc.authority.id, signingPublicKey: doc.signing.publicKey, recipients });
    return 0;
  },
};

export const pubkey: Command = {
  name: 'pubkey',
  summary: 'print the public part of key files as a trust-store JSON document',
  synopsis: 'KEYFILE… [--witness-quorum N]',
  details: '  The output is a complete trust store; give several key files to trust several authorities.',
  example: 'custos pubkey requester.key executor.key > trust.json',
  options: { 'witness-quorum': { type: 'string' } },
  minArgs: 1,
  maxArgs: 100,
  async run(v, args, io) {
    const keys = await Promise.all(args.map((a) => readKeyFile(a)));
    const q = str(v, 'witness-quorum');
    if (q !== undefined && !/^\d{1,3}$/.test(q)) throw new UsageError('--witness-quorum expects a small integer');
    const doc = trustDocumentFor(keys, q !== undefined ? { witnessQuorum: Number(q) } : {});
    // The trust store is the result: the same JSON with or without --json.
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    void io;
    return 0;
  },
};
