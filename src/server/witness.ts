/**
 * A C2SP tlog-witness server: `POST <prefix>add-checkpoint` with `old <size>`, up to 63
 * consistency proof lines, an empty line and a signed checkpoint. The witness keeps, durably,
 * the last size and root it cosigned per log origin (a JSON file replaced atomically before it
 * answers), and checks and updates it atomically (one request at a time). Status codes, as
 * the spec names them: 400 malformed request or old size above the checkpoint size; 403 no
 * trusted log signature; 404 unknown origin; 409 old size not the last cosigned one (body: that
 * size, `text/x.tlog.size`) or same size with another root (a fork); 422 the consistency proof
 * does not verify. 200: the cosignature line(s).
 */
import { readFile } from 'node:fs/promises';
import { fromBase64, fromUtf8, toBase64, utf8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { cosign, type Cosigner } from '../log/cosignature.js';
import { verifyConsistency } from '../log/merkle.js';
import { NOTE_MAX_BYTES, parseNote } from '../log/note.js';
import { parseVerifierKey } from '../log/notekeys.js';
import { verifyCheckpoint } from '../log/witness.js';
import { writeFileAtomic } from '../node/logfs.js';
import { HttpError, listen, readBody, send, subPath, type Listening, type ServerLimits } from './http.js';

export interface WitnessServerOptions extends ServerLimits {
  readonly listen: string;
  /** The witness key (a type 0x04 cosigner, e.g. `parseSignerKey` of a cosignature skey). */
  readonly witness: Cosigner;
  /** The logs this witness follows: verifier keys (vkey strings) by origin. */
  readonly logs: readonly { readonly origin: string; readonly keys: readonly string[] }[];
  /** The state file (created if absent). */
  readonly statePath: string;
  readonly prefix?: string;
}

type State = Record<string, { size: number; root: string }>;

async function loadState(path: string): Promise<State> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CustosError('ERR_IO', 'cannot read the witness state', { cause: e });
  }
  let st: unknown;
  try {
    st = JSON.parse(text);
  } catch (e) {
    throw new CustosError('ERR_IO', 'the witness state file is not JSON', { cause: e });
  }
  if (typeof st !== 'object' || st === null || Array.isArray(st)) throw new CustosError('ERR_IO', 'the witness state file is malformed');
  for (const v of Object.values(st)) {
    const e = v as { size?: unknown; root?: unknown };
    if (!Number.isSafeInteger(e.size) || (e.size as number) < 0 || typeof e.root !== 'string' || fromBase64(e.root).length !== 32) throw new CustosError('ERR_IO', 'the witness state file is malformed');
  }
  return st as State;
}

/** Parses an add-checkpoint body (tlog-witness "add-checkpoint"); HttpError 400 when malformed. */
export function parseAddCheckpoint(body: Uint8Array): { old: number; proof: Uint8Array[]; checkpoint: string } {
  let text: string;
  try {
    text = fromUtf8(body);
  } catch {
    throw new HttpError(400, 'body is not UTF-8');
  }
  const first = text.indexOf('\n');
  const m = first < 0 ? null : /^old (0|[1-9][0-9]{0,15})$/.exec(text.slice(0, first));
  if (m === null || !Number.isSafeInteger(Number(m[1]))) throw new HttpError(400, 'missing or malformed old size line');
  const proof: Uint8Array[] = [];
  let o = first + 1;
  for (;;) {
    const nl = text.indexOf('\n', o);
    if (nl < 0) throw new HttpError(400, 'missing empty line before the checkpoint');
    const line = text.slice(o, nl);
    o = nl + 1;
    if (line === '') break;
    if (proof.length === 63) throw new HttpError(400, 'more than 63 proof lines');
    if (!/^[A-Za-z0-9+/]{43}=$/.test(line)) throw new HttpError(400, 'malformed proof line');
    proof.push(fromBase64(line));
  }
  return { old: Number(m[1]), proof, checkpoint: text.slice(o) };
}

/**
 * Starts a witness.
 *
 * @example
 * ```ts
 * const w = await serveWitness({ listen: '127.0.0.1:7380', witness, logs: [{ origin, keys: [vkey] }], statePath: '/var/lib/custos/witness.json' });
 * ```
 */
export async function serveWitness(opts: WitnessServerOptions): Promise<Listening & { state(): Promise<State> }> {
  if (opts.witness?.type !== 0x04) fail('ERR_INVALID_ARGUMENT', 'the witness key must be a cosigner (type 0x04)');
  const logs = new Map<string, ReturnType<typeof parseVerifierKey>[]>();
  for (const l of opts.logs) logs.set(l.origin, l.keys.map(parseVerifierKey));
  let state = await loadState(opts.statePath);
  const prefix = opts.prefix ?? '/';
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = chain.then(f, f);
    chain = run.catch(() => undefined);
    return run;
  };
  const add = async (body: Uint8Array): Promise<string> => {
    const req = parseAddCheckpoint(body);
    let cpOrigin: string;
    let note;
    try {
      note = parseNote(req.checkpoint);
      cpOrigin = parseCheckpoint(note.text).origin;
    } catch {
      throw new HttpError(400, 'malformed checkpoint');
    }
    const keys = logs.get(cpOrigin);
    if (keys === undefined) throw new HttpError(404, 'unknown log origin');
    const v = verifyCheckpoint(req.checkpoint, { log: keys, origin: cpOrigin });
    if (!v.ok || v.checkpoint === undefined) throw new HttpError(403, 'no trusted log signature verifies');
    const cp = v.checkpoint;
    if (req.old > cp.size) throw new HttpError(400, 'old size is larger than the checkpoint size');
    return exclusive(async () => {
      const prev = state[cpOrigin];
      const prevSize = prev?.size ?? 0;
      if (req.old !== prevSize) throw new HttpError(409, `${prevSize}`, { 'Content-Type': 'text/x.tlog.size' });
      if (prev !== undefined) {
        const prevRoot = fromBase64(prev.root);
        if (req.old === cp.size) {
          if (req.proof.length !== 0) throw new HttpError(422, 'a proof between equal sizes must be empty');
          if (toBase64(cp.root) !== prev.root) throw new HttpError(409, `${prevSize}`, { 'Content-Type': 'text/x.tlog.size' });
        } else if (req.old > 0 && !verifyConsistency(req.old, cp.size, prevRoot, cp.root, req.proof).ok) {
          throw new HttpError(422, 'the consistency proof does not verify');
        }
      }
      if (req.old === 0 && req.proof.length !== 0) throw new HttpError(400, 'the proof must be empty when the old size is 0');
      const cosigned = parseNote(await cosign(req.checkpoint, opts.witness));
      const mine = cosigned.signatures.filter((s) => s.name === opts.witness.name && s.keyId === opts.witness.keyId).at(-1);
      if (mine === undefined) throw new CustosError('ERR_INTERNAL', 'cosignature missing');
      const next = { ...state, [cpOrigin]: { size: cp.size, root: toBase64(cp.root) } };
      await writeFileAtomic(opts.statePath, utf8(JSON.stringify(next)));
      state = next;
      return `${mine.line}\n`;
    });
  };
  const server = await listen(
    opts.listen,
    async (req, res) => {
      const path = subPath(req, prefix);
      if (path !== 'add-checkpoint') throw new HttpError(404, 'not found');
      if (req.method !== 'POST') throw new HttpError(405, 'use POST', { Allow: 'POST' });
      const body = await readBody(req, NOTE_MAX_BYTES + 64 * 46 + 32);
      const line = await add(body);
      send(res, 200, line);
    },
    opts,
  );
  return { ...server, state: async () => ({ ...state }) };
}
