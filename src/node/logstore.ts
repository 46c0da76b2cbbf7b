/**
 * The embedded, fs-backed transparency log: one directory in the C2SP tlog-tiles layout
 * (`checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`) that any static file server
 * can serve unchanged, plus `checkpoints/<size>` (signed checkpoint history, see Retention) and
 * `lock` (the single-writer lock).
 *
 * Durability: appends are group-committed. Concurrent `append` calls made while a batch is
 * being written join the next batch; a batch writes its tiles and bundles (temp file, fsync,
 * rename), fsyncs their directories, then writes the signed checkpoint `checkpoints/<size>`
 * the same way: that rename is the commit point. Only then does `checkpoint` (the latest, a
 * copy) get replaced and the batch's promises resolve. On open, the largest history checkpoint
 * that verifies under the log key is the durable state; tiles are reloaded and must hash to its
 * root (else ERR_LOG_CORRUPT), and files a crashed batch left beyond that state are removed.
 *
 * Retention of checkpoint history: what a verifier may come back for is a checkpoint it was
 * given (a receipt's, an inclusion or consistency bundle's, `checkpoint()`'s): proofs against
 * that size, consistency from it. So `checkpoints/` keeps the newest (the commit point recovery
 * starts from) and every checkpoint this store handed out through `checkpoint`, `checkpointAt`,
 * `prove`, `receipt`, `proveConsistency` or `consistencyReceipt`; a batch's checkpoint that was
 * never handed out is removed once the next one is durable, so history grows with the
 * checkpoints issued, not with the batches (one file per append before, when each append was
 * its own batch). A checkpoint recovered on open may have been handed out by the previous
 * process, so it is kept too (one file per open that appends). Nothing older is removed: a log
 * written before this rule keeps its history. A checkpoint fetched from the `checkpoint` file by
 * a static file server is not tracked: `checkpointAt` of its size is undefined once the log has
 * grown (the tiles still give every proof; a verifier holding it has its text).
 *
 * Memory: the store keeps every perfect subtree hash in memory (64 bytes per entry, plus room
 * for an eighth more after a reopen) so that proofs cost O(log n) hashes with no disk reads.
 * Measured (bench:growth, issue 23): reopening a 1,000,000-entry log raises the process's
 * resident set by ~109 MB, 109 bytes per entry: 72 MB are these buffers, the rest is memory
 * the process keeps after recovery with no live object in it (live heap +0.4 MB); between
 * 100,000 and 1,000,000 entries it grows by 71 bytes per entry.
 */
import * as fs from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { assertInteger, equalBytes, fromUtf8, utf8 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { parseCheckpoint, formatCheckpoint } from '../log/checkpoint.js';
import { cosign, type Cosigner } from '../log/cosignature.js';
import { AppendQueue, type PendingAppend } from '../log/append-queue.js';
import { batchRows } from '../log/batch-tiles.js';
import { HashTree } from '../log/hashtree.js';
import { leafHash } from '../log/merkle.js';
import { signNote, verifyNote } from '../log/note.js';
import { NOTE_TYPE_ED25519, formatVerifierKey, noteSigner, noteVerifier } from '../log/notekeys.js';
import { TILE_WIDTH, decodeBundle, entriesPath, tileHashes, tilePath, tileWidth } from '../log/tiles.js';
import { keyId, type Signer } from '../keys/signing.js';
import { issueConsistencyReceipt, issueInclusionReceipt } from '../log/receipt.js';
import { formatTlogProof } from '../log/tlogproof.js';
import { acquirePidLock, type PidLock as LogLock } from './lock.js';
import type { ConsistencyBundle, InclusionBundle, LogSigner, LogStore, OpenLogOptions } from './logtypes.js';
import { fsyncDir, writeFileAtomic, writeFileAtomicNoDirSync } from './logfs.js';
import { isAtomicTemp } from './files.js';


async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CustosError('ERR_IO', `reading ${path} failed`, { cause: e });
  }
}

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then(
    () => true,
    () => false,
  );
}

class FsLogStore implements LogStore {
  readonly dir: string;
  readonly origin: string;
  readonly verifierKey: string;
  readonly #signer: LogSigner;
  readonly #witnesses: readonly Cosigner[];
  readonly #tree = new HashTree();
  readonly #lock: LogLock;
  #tail: Uint8Array[] = []; // entries of the incomplete last bundle
  #latest = '';
  #latestSize = 0;
  /** Sizes whose checkpoint this store handed out: their history files are kept. */
  readonly #issued = new Set<number>();
  /** History up to this size was on disk at open (perhaps handed out before): kept. */
  #openedSize = -1;
  readonly #appends: AppendQueue<{ index: number }>;
  #broken: CustosError | null = null;
  #closed = false;

  constructor(dir: string, origin: string, signer: LogSigner, witnesses: readonly Cosigner[], maxBatch: number, lock: LogLock) {
    this.dir = dir;
    this.origin = origin;
    this.#signer = signer;
    this.#witnesses = witnesses;
    this.#appends = new AppendQueue(maxBatch, (batch) => this.#flushBatch(batch));
    this.#lock = lock;
    this.verifierKey = formatVerifierKey(signer);
  }

  get size(): number {
    return this.#tree.size;
  }

  // ---- recovery --------------------------------------------------------------------------

  async recover(): Promise<void> {
    const cpDir = join(this.dir, 'checkpoints');
    if ((await fs.mkdir(cpDir, { recursive: true })) !== undefined) await fsyncDir(this.dir);
    const names = (await fs.readdir(cpDir)).filter((n) => /^(0|[1-9][0-9]*)$/.test(n)).map(Number).sort((a, b) => b - a);
    const verifier = noteVerifier(this.#signer.name, this.#signer.publicKey, NOTE_TYPE_ED25519);
    let size: number;
    let text: Uint8Array | null;
    let adopt = false;
    if (names.length > 0) {
      size = names[0]!;
      text = await readOrNull(join(cpDir, String(size)));
    } else {
      // No history. A custos log always has checkpoints/0 before anything else is written, so
      // tiles or a checkpoint here belong to another writer: adopt them only if the checkpoint
      // verifies under our key, and never delete what we did not write.
      text = await readOrNull(join(this.dir, 'checkpoint'));
      if (text === null) {
        if (await exists(join(this.dir, 'tile'))) throw new CustosError('ERR_LOG_CORRUPT', 'the directory has tiles but no checkpoint');
        await this.#commitCheckpoint(0, []);
        return;
      }
      const adopted = verifyNote(text, [verifier]);
      if (!adopted.ok || adopted.text === undefined) throw new CustosError('ERR_LOG_CORRUPT', 'the existing checkpoint does not verify under the log key');
      size = parseCheckpoint(adopted.text).size;
      adopt = true; // recorded as history only once origin and tiles have been checked below
    }
    const r = text === null ? null : verifyNote(text, [verifier]);
    if (r === null || !r.ok || r.text === undefined) throw new CustosError('ERR_LOG_CORRUPT', `checkpoint ${size} does not verify under the log key`);
    const cp = parseCheckpoint(r.text);
    if (cp.origin !== this.origin) throw new CustosError('ERR_CHECKPOINT_ORIGIN', 'the log on disk has another origin');
    if (cp.size !== size) throw new CustosError('ERR_LOG_CORRUPT', `checkpoints/${size} holds size ${cp.size}`);
    // Level-0 tiles give every leaf hash; the tree rebuilt from them must hash to the root.
    const tiles = Math.ceil(size / TILE_WIDTH);
    this.#tree.reserve(size);
    for (let t0 = 0; t0 < tiles; t0 += 32) {
      // Read 32 tiles at a time, append their hashes in order.
      const chunk = await Promise.all(
        Array.from({ length: Math.min(32, tiles - t0) }, (_, k) => {
          const w = tileWidth(0, t0 + k, size);
          return this.#readTile(tilePath(0, t0 + k, w), tilePath(0, t0 + k), w * 32).then((b) => tileHashes(b, w));
        }),
      );
      for (const hs of chunk) for (const h of hs) this.#tree.appendLeafHash(h);
    }
    if (!equalBytes(this.#tree.root(), cp.root)) throw new CustosError('ERR_LOG_CORRUPT', 'tiles do not hash to the latest checkpoint root');
    const tw = size % TILE_WIDTH;
    if (tw > 0) {
      const t = Math.floor(size / TILE_WIDTH);
      const raw = await this.#readTile(entriesPath(t, tw), entriesPath(t), -1);
      const all = decodeBundle(raw);
      if (all.length < tw) throw new CustosError('ERR_LOG_CORRUPT', 'the last entry bundle is short');
      this.#tail = all.slice(0, tw);
      this.#tail.forEach((e, j) => {
        if (!equalBytes(leafHash(e), this.#tree.leafHashAt(t * TILE_WIDTH + j))) throw new CustosError('ERR_LOG_CORRUPT', 'an entry does not hash to its leaf');
      });
    }
    this.#latest = fromUtf8(text!);
    this.#latestSize = size;
    this.#openedSize = size;
    if (adopt) await writeFileAtomic(join(cpDir, String(size)), text!);
    const current = await readOrNull(join(this.dir, 'checkpoint'));
    if (current === null || !equalBytes(current, text!)) await writeFileAtomic(join(this.dir, 'checkpoint'), text!);
    await this.#cleanupBeyond(size);
  }

  /** Reads a partial tile, falling back to the prefix of the full tile (written by a later batch). */
  async #readTile(partial: string, full: string, bytes: number): Promise<Uint8Array> {
    const p = await readOrNull(join(this.dir, partial));
    if (p !== null) return p;
    const f = await readOrNull(join(this.dir, full));
    if (f === null) throw new CustosError('ERR_LOG_CORRUPT', `${partial} is missing`);
    if (bytes >= 0) return f.subarray(0, bytes);
    return f;
  }

  /** Removes tiles, bundles and temp files that an interrupted batch wrote beyond `size`. */
  async #cleanupBeyond(size: number): Promise<void> {
    const rmQuiet = (p: string) => fs.rm(join(this.dir, p), { recursive: true, force: true });
    for (const kind of ['entries', 0, 1, 2, 3, 4, 5, 6] as const) {
      const level = kind === 'entries' ? 0 : kind;
      const hashes = Math.floor(size / TILE_WIDTH ** level);
      const t0 = Math.floor(hashes / TILE_WIDTH);
      const cur = hashes % TILE_WIDTH;
      const path = (t: number, w?: number) => (kind === 'entries' ? entriesPath(t, w) : tilePath(kind, t, w));
      for (let t = t0; ; t++) {
        const full = path(t);
        const pdir = `${full}.p`;
        const hasFull = await exists(join(this.dir, full));
        const hasP = await exists(join(this.dir, pdir));
        if (!hasFull && !hasP) break;
        if (hasFull) await rmQuiet(full);
        if (hasP) {
          for (const w of await fs.readdir(join(this.dir, pdir))) {
            if (!(t === t0 && /^\d+$/.test(w) && Number(w) <= cur)) await rmQuiet(`${pdir}/${w}`);
          }
        }
      }
    }
    for (const d of ['', 'checkpoints']) {
      // temp files of writes a crash interrupted (this process holds the lock: none is live)
      for (const n of await fs.readdir(join(this.dir, d)).catch(() => [] as string[])) if (n.startsWith('.tmp-') || isAtomicTemp(n)) await rmQuiet(join(d, n));
    }
  }

  // ---- appending --------------------------------------------------------------------------

  append(entry: Uint8Array): Promise<{ index: number }> {
    return this.#appends.push(entry, () => {
      if (this.#closed) fail('ERR_INVALID_ARGUMENT', 'the log is closed');
      if (this.#broken) throw this.#broken;
    });
  }

  /** Writes one batch; after a failed write the store is broken and refuses every later entry. */
  async #flushBatch(batch: PendingAppend<{ index: number }>[]): Promise<void> {
    if (this.#broken) {
      for (const p of batch) p.reject(this.#broken);
      return;
    }
    const start = this.#tree.size;
    try {
      await this.#writeBatch(batch.map((p) => p.entry));
      batch.forEach((p, i) => p.resolve({ index: start + i }));
    } catch (e) {
      this.#broken = e instanceof CustosError ? e : new CustosError('ERR_IO', 'writing a batch failed', { cause: e });
      for (const p of batch) p.reject(this.#broken);
    }
  }

  async #writeBatch(entries: Uint8Array[]): Promise<void> {
    const a = this.#tree.size;
    for (const e of entries) this.#tree.appendLeafHash(leafHash(e));
    const b = this.#tree.size;
    const rows = batchRows(this.#tree, a, this.#tail, entries);
    this.#tail = rows.tail;
    const writes: Promise<string[]>[] = [];
    const becameFull: string[] = [];
    for (const r of rows.bundles) {
      writes.push(writeFileAtomicNoDirSync(join(this.dir, entriesPath(r.idx, r.width)), r.data));
      if (r.completes) becameFull.push(`${entriesPath(r.idx)}.p`);
    }
    for (const r of rows.tiles) {
      writes.push(writeFileAtomicNoDirSync(join(this.dir, tilePath(r.level, r.idx, r.width)), r.data));
      if (r.completes) becameFull.push(`${tilePath(r.level, r.idx)}.p`);
    }
    const dirs = new Set((await Promise.all(writes)).flat());
    await Promise.all([...dirs].map(fsyncDir));
    await this.#commitCheckpoint(b, becameFull);
  }

  /** Signs and durably writes the checkpoint for `size` (the commit point), then tidies up. */
  async #commitCheckpoint(size: number, becameFull: readonly string[]): Promise<void> {
    const body = formatCheckpoint({ origin: this.origin, size, root: this.#tree.root(size) });
    let text = await signNote(body, [this.#signer]);
    for (const w of this.#witnesses) text = await cosign(text, w);
    const bytes = utf8(text);
    await writeFileAtomic(join(this.dir, 'checkpoints', String(size)), bytes);
    await writeFileAtomic(join(this.dir, 'checkpoint'), bytes);
    const [prev, hadLatest] = [this.#latestSize, this.#latest !== ''];
    this.#latest = text;
    this.#latestSize = size;
    // Retention: the previous checkpoint goes unless it is kept (the new one is durable now).
    if (hadLatest && prev !== size && !this.#kept(prev)) await fs.rm(join(this.dir, 'checkpoints', String(prev)), { force: true }).catch(() => undefined);
    // Partial tiles may go once the full tile is durable (tlog-tiles "Partial Tiles").
    await Promise.all(becameFull.map((p) => fs.rm(join(this.dir, p), { recursive: true, force: true }).catch(() => undefined)));
  }

  // ---- reading and proofs -----------------------------------------------------------------

  /** Whether the history file of `size` is kept (see Retention). */
  #kept(size: number): boolean {
    return size <= this.#openedSize || this.#issued.has(size);
  }

  async checkpoint(): Promise<string> {
    this.#issued.add(this.#latestSize);
    return this.#latest;
  }

  async checkpointAt(size: number): Promise<string | undefined> {
    assertInteger('size', size);
    // #latestSize, not this.size: during a batch the tree is already larger than the newest checkpoint
    if (size === this.#latestSize) {
      this.#issued.add(size);
      return this.#latest;
    }
    const b = await readOrNull(join(this.dir, 'checkpoints', String(size)));
    // a file being removed (never handed out, superseded) is not handed out now either
    return b === null || !this.#kept(size) ? undefined : fromUtf8(b);
  }

  async #checkpointFor(size: number): Promise<string> {
    const cp = size <= this.size ? await this.checkpointAt(size) : undefined;
    if (cp === undefined) fail('ERR_INVALID_ARGUMENT', `no checkpoint was issued at size ${size}`);
    return cp;
  }

  async prove(index: number, size: number = this.size): Promise<InclusionBundle> {
    assertInteger('size', size, 1, this.size);
    assertInteger('index', index, 0, size - 1);
    const checkpoint = await this.#checkpointFor(size);
    return { index, size, leafHash: this.#tree.leafHashAt(index), proof: this.#tree.inclusionProof(index, size), checkpoint };
  }

  async proveConsistency(oldSize: number, newSize: number = this.size): Promise<ConsistencyBundle> {
    assertInteger('newSize', newSize, 1, this.size);
    assertInteger('oldSize', oldSize, 1, newSize);
    const [oldCheckpoint, newCheckpoint] = await Promise.all([this.#checkpointFor(oldSize), this.#checkpointFor(newSize)]);
    return { oldSize, newSize, proof: this.#tree.consistencyProof(oldSize, newSize), oldCheckpoint, newCheckpoint };
  }

  /**
   * The log key as a COSE signer. Note signatures sign UTF-8 text without control characters;
   * COSE signs a CBOR Sig_structure starting with byte 0x84, which is never valid note text, so
   * one Ed25519 key can serve both without a signature in one format being valid in the other.
   */
  #coseSigner(): Signer {
    const s = this.#signer;
    // Async even for an in-memory key: receipts are issued from async methods anyway.
    return { alg: 'EdDSA', publicKey: s.publicKey, kid: keyId('EdDSA', s.publicKey), sign: async (m) => s.sign(m) };
  }

  async receipt(index: number, size: number = this.size): Promise<{ cose: Uint8Array; tlogProof: string; size: number }> {
    const b = await this.prove(index, size);
    const cose = await issueInclusionReceipt({ index, size, proof: b.proof, root: this.#tree.root(size) }, this.#coseSigner());
    return { cose, tlogProof: formatTlogProof({ index, proof: b.proof, checkpoint: b.checkpoint }), size };
  }

  async consistencyReceipt(oldSize: number, newSize: number = this.size): Promise<Uint8Array> {
    const b = await this.proveConsistency(oldSize, newSize);
    return issueConsistencyReceipt({ oldSize, newSize, proof: b.proof, newRoot: this.#tree.root(newSize) }, this.#coseSigner());
  }

  async entry(index: number): Promise<Uint8Array> {
    assertInteger('index', index, 0, this.size - 1);
    const t = Math.floor(index / TILE_WIDTH);
    const w = tileWidth(0, t, this.size);
    const e = decodeBundle(await this.#readTile(entriesPath(t, w), entriesPath(t), -1))[index % TILE_WIDTH];
    if (e === undefined || !equalBytes(leafHash(e), this.#tree.leafHashAt(index))) fail('ERR_LOG_CORRUPT', `entry ${index} does not hash to its leaf`);
    return e;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#appends.idle();
    await this.#lock.release();
  }
}

/**
 * Opens (or creates) a log directory for writing. A second writer on the same directory gets
 * ERR_LOG_LOCKED; an interrupted previous writer's partial batch is discarded.
 *
 * @example
 * ```ts
 * const log = await openLog('/var/lib/custos/log', { signer: parseSignerKey(skey), origin: 'log.example.org/custody' });
 * const { index } = await log.append(utf8('custody event …'));
 * const receipt = await log.prove(index);
 * await log.close();
 * ```
 */
export async function openLog(dir: string, opts: OpenLogOptions): Promise<LogStore> {
  if (typeof dir !== 'string' || dir.length === 0) fail('ERR_INVALID_ARGUMENT', '"dir" expected a path');
  if (typeof opts?.origin !== 'string' || opts.origin.length === 0 || opts.origin.includes('\n')) fail('ERR_INVALID_ARGUMENT', '"origin" must be a non-empty line');
  const s = opts.signer as Partial<LogSigner> & Partial<Signer>;
  const signer: LogSigner =
    typeof s.alg === 'string' ? noteSigner(opts.origin, opts.signer as Signer) : (opts.signer as LogSigner);
  if (signer.type !== NOTE_TYPE_ED25519 || !(signer.publicKey instanceof Uint8Array)) fail('ERR_INVALID_ARGUMENT', 'the log signer must be an Ed25519 note signer');
  const maxBatch = assertInteger('maxBatch', opts.maxBatch ?? 4096, 1, 1 << 20);
  for (const w of opts.witnesses ?? []) if (w.type !== 0x04) fail('ERR_INVALID_ARGUMENT', 'witnesses must be cosigners (type 0x04)');
  if (opts.mustExist === true && !(await fs.stat(join(dir, 'checkpoint')).then((st) => st.isFile(), () => false))) {
    fail('ERR_IO', `no log in ${dir} (custos log init creates one)`);
  }
  try {
    const made = await fs.mkdir(dir, { recursive: true });
    if (made !== undefined) await fsyncDir(dirname(resolve(dir)));
  } catch (e) {
    throw new CustosError('ERR_IO', 'cannot create the log directory', { cause: e });
  }
  const lock = await acquirePidLock(join(dir, 'lock'), 'ERR_LOG_LOCKED', 'the log');
  const store = new FsLogStore(dir, opts.origin, signer, opts.witnesses ?? [], maxBatch, lock);
  try {
    await store.recover();
  } catch (e) {
    await lock.release();
    throw e;
  }
  return store;
}

export type { ConsistencyBundle, InclusionBundle, LogSigner, LogStore, OpenLogOptions } from './logtypes.js';
