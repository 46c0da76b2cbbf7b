/**
 * Where a token PIN comes from: never from a command-line argument (argv is visible to every
 * user of the machine and lands in shell history). In order: the caller's `pin` option, the URI's
 * `pin-source` (RFC 7512 §2.3: a `file:` URI or an absolute path; the first line is the PIN),
 * the CUSTOS_PKCS11_PIN environment variable, and last an interactive prompt on the terminal,
 * without echo. A URI's `pin-value` is refused for the same reason as an argument.
 */
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isAbsolute } from 'node:path';
import { CustosError, fail } from '../../errors.js';

/** Longest PIN read from a file, the environment or the terminal. */
const MAX_PIN = 256;

async function fromSource(source: string): Promise<string> {
  let path: string;
  if (source.startsWith('file:')) {
    try {
      path = fileURLToPath(source.startsWith('file://') ? source : `file://${source.slice(5)}`);
    } catch (e) {
      throw new CustosError('ERR_PKCS11_URI', 'pin-source is not a usable file: URI', { cause: e });
    }
  } else if (source.startsWith('|')) {
    fail('ERR_PKCS11_URI', 'pin-source "|command" is not supported: give a file (0600) or CUSTOS_PKCS11_PIN');
  } else if (isAbsolute(source)) {
    path = source;
  } else {
    fail('ERR_PKCS11_URI', 'pin-source must be a file: URI or an absolute path');
  }
  let text: string;
  try {
    const st = await fs.stat(path);
    // A PIN file anyone on the machine can read protects nothing.
    if ((st.mode & 0o004) !== 0) fail('ERR_PKCS11_PIN', 'the pin-source file is readable by every user: chmod 600 it');
    if (st.size > MAX_PIN + 2) fail('ERR_PKCS11_PIN', 'the pin-source file is too large to hold a PIN');
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CustosError) throw e;
    throw new CustosError('ERR_IO', 'cannot read the pin-source file', { cause: e });
  }
  return text.replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echo (stdin must be a TTY). */
export async function promptPin(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) fail('ERR_PKCS11_PIN', 'no PIN: set CUSTOS_PKCS11_PIN, give pin-source in the URI, or run on a terminal to be asked');
  return new Promise<string>((resolve, reject) => {
    let pin = '';
    const wasRaw = stdin.isRaw;
    // Echo off before the prompt shows: a PIN typed the moment the prompt appears is never echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: CustosError) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(pin);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new CustosError('ERR_PKCS11_PIN', 'PIN entry cancelled'));
        if (ch === '\u007f' || ch === '\b') pin = pin.slice(0, -1);
        else if (pin.length >= MAX_PIN) return done(new CustosError('ERR_PKCS11_PIN', 'PIN too long'));
        else pin += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The PIN for a token, from the first source that has one (see the module comment). */
export async function resolvePin(opts: { pin?: string; pinSource?: string; pinValue?: string; tokenLabel: string }): Promise<string> {
  if (opts.pinValue !== undefined) {
    fail('ERR_PKCS11_URI', 'pin-value in a URI is refused: a PIN on a command line is visible to every user; use CUSTOS_PKCS11_PIN, pin-source or the prompt');
  }
  let pin: string | undefined = opts.pin;
  if (pin === undefined && opts.pinSource !== undefined) pin = await fromSource(opts.pinSource);
  if (pin === undefined) {
    const env = process.env['CUSTOS_PKCS11_PIN'];
    if (env !== undefined && env !== '') pin = env;
  }
  if (pin === undefined) pin = await promptPin(`PIN for token "${opts.tokenLabel}": `);
  if (typeof pin !== 'string' || pin.length === 0 || pin.length > MAX_PIN) fail('ERR_PKCS11_PIN', 'the PIN is empty or too long');
  return pin;
}
