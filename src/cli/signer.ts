/**
 * The signing key of a CLI command: a key file (`-k FILE`, or `--signer FILE`) or a key on a
 * PKCS#11 token (`--signer pkcs11:token=…;object=…`, RFC 7512). With a token, the authority id
 * comes from `--authority`; the module from the URI's module-path or CUSTOS_PKCS11_MODULE; the
 * PIN from CUSTOS_PKCS11_PIN, the URI's pin-source or a prompt, never from an argument.
 */
import type { Signer } from '../keys/signing.js';
import { isPkcs11Uri } from '../keys/pkcs11-uri.js';
import { openPkcs11Signer } from '../node/pkcs11/signer.js';
import { str, type Options, type Values } from './command.js';
import { UsageError } from './io.js';
import { readKeyFile } from './keyfile.js';

/** The options every signing command takes besides `-k`. */
export const SIGNER_OPTIONS: Options = {
  signer: { type: 'string' },
  authority: { type: 'string' },
};

/** Help text for the signer options. */
export const SIGNER_HELP = [
  '  --signer pkcs11:URI   sign with a key on a PKCS#11 token instead of the key file (RFC 7512 URI:',
  '                        token=LABEL;object=KEYLABEL or id=%01; module from ?module-path=… or',
  '                        CUSTOS_PKCS11_MODULE; PIN from CUSTOS_PKCS11_PIN, pin-source or a prompt)',
  '  --authority ID        the authority id the token key belongs to (with --signer pkcs11:…)',
].join('\n');

/** A command's signing key, its authority id, and how to let go of it. */
export interface CliSigner {
  readonly signer: Signer;
  readonly authority: string;
  close(): Promise<void>;
}

/** Opens the signing key a command was given (`-k FILE`, `--signer FILE` or `--signer pkcs11:…`). */
export async function openCliSigner(v: Values): Promise<CliSigner> {
  const given = str(v, 'signer');
  const keyFile = str(v, 'key');
  if (given !== undefined && keyFile !== undefined) throw new UsageError('give either -k KEYFILE or --signer, not both');
  if (given !== undefined && isPkcs11Uri(given)) {
    const authority = str(v, 'authority');
    if (authority === undefined) throw new UsageError('--signer pkcs11:… needs --authority ID (the authority the token key belongs to)');
    const signer = await openPkcs11Signer(given);
    return { signer, authority, close: () => signer.close() };
  }
  const path = given ?? keyFile;
  if (path === undefined) throw new UsageError('a signing key is required: -k KEYFILE or --signer pkcs11:…');
  const keys = await readKeyFile(path);
  const authority = str(v, 'authority');
  if (authority !== undefined && authority !== keys.doc.authority.id) throw new UsageError(`--authority ${authority} differs from the key file's ${keys.doc.authority.id}`);
  return { signer: keys.signer, authority: keys.doc.authority.id, close: async () => undefined };
}

/** Runs `f` with the command's signer and closes it afterwards, whatever happens. */
export async function withCliSigner<T>(v: Values, f: (s: CliSigner) => Promise<T>): Promise<T> {
  const s = await openCliSigner(v);
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}
