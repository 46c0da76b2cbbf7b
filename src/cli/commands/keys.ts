/** `custos keygen` and `custos pubkey`. */
import { basename } from 'node:path';
import type { Command } from '../command.js';
import { noReplace, refuseExisting, str, strs } from '../command.js';
import { UsageError } from '../io.js';
import { generateAuthorityKeys, readKeyFile, trustDocumentFor, writeKeyFile } from '../keyfile.js';
import { TrustStore, trustedKeyEntry, type TrustStoreDocument } from '../../keys/trust.js';
import { isPkcs11Uri } from '../../keys/pkcs11-uri.js';
import { openPkcs11Signer } from '../../node/pkcs11/signer.js';

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
    await refuseExisting(v, out);
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
    await writeKeyFile(out, doc, { noReplace: noReplace(v) });
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
  synopsis: '[KEYFILE…] [--signer pkcs11:URI --authority ID [--name N] [--jurisdiction CC] [--role R]…] [--witness-quorum N]',
  details: [
    '  The output is a complete trust store; give several key files to trust several authorities.',
    '  --signer pkcs11:URI adds the token key\'s entry (public key read from the token, valid from now)',
    '  for --authority ID; the token asks for its PIN as for signing (CUSTOS_PKCS11_PIN or a prompt).',
  ].join('\n'),
  example: 'custos pubkey requester.key --signer "pkcs11:token=Garda%20HSM;object=exec-2026" --authority IE-GARDA --jurisdiction IE > trust.json',
  options: {
    'witness-quorum': { type: 'string' },
    signer: { type: 'string' },
    authority: { type: 'string' },
    name: { type: 'string' },
    jurisdiction: { type: 'string' },
    role: { type: 'string', multiple: true },
  },
  minArgs: 0,
  maxArgs: 100,
  async run(v, args, io) {
    const given = str(v, 'signer');
    if (args.length === 0 && given === undefined) throw new UsageError('give key files, or --signer pkcs11:…');
    const keys = await Promise.all([...args, ...(given !== undefined && !isPkcs11Uri(given) ? [given] : [])].map((a) => readKeyFile(a)));
    const q = str(v, 'witness-quorum');
    if (q !== undefined && !/^\d{1,3}$/.test(q)) throw new UsageError('--witness-quorum expects a small integer');
    const doc: TrustStoreDocument = trustDocumentFor(keys, q !== undefined ? { witnessQuorum: Number(q) } : {});
    if (given !== undefined && isPkcs11Uri(given)) {
      const id = str(v, 'authority');
      if (id === undefined) throw new UsageError('--signer pkcs11:… needs --authority ID');
      const signer = await openPkcs11Signer(given);
      try {
        const roles = strs(v, 'role');
        doc.authorities.push({
          id,
          name: str(v, 'name') ?? id,
          jurisdiction: str(v, 'jurisdiction') ?? 'EU',
          roles: roles.length > 0 ? roles : ['custodian'],
          keys: [trustedKeyEntry(signer.alg, signer.publicKey, new Date())],
        });
      } finally {
        await signer.close();
      }
      TrustStore.parse(doc); // a malformed --jurisdiction or role is refused here, not by the verifier later
    }
    // The trust store is the result; with --json it is the `trust` member of the result object.
    if (io.json) io.result({ ok: true, trust: doc });
    else process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  },
};
