/**
 * The PostgreSQL log store (opened by {@link openPgLog} in open.ts): the interface of `openLog` (append -> durable index -> checkpoint,
 * proofs, receipts) on a PostgreSQL server, for any number of writer processes on any number of
 * hosts. Sequencing and integration follow Tessera's database drivers (see schema.ts):
 *
 * 1. `append` queues the entry; a process groups its queued entries into one sequencing
 *    transaction (sequence.ts): the indices are durable at its COMMIT.
 * 2. The process then integrates: it locks `int_coord` FOR UPDATE, catches its in-memory tree
 *    up with what other writers integrated, takes the consecutive sequenced batches above the
 *    integrated size, writes their entry bundles and tiles, signs a checkpoint and advances
 *    `int_coord`, all in one transaction. A writer waiting for that lock finds its entries
 *    already integrated by the holder more often than not: integration is group-committed
 *    across processes.
 * 3. `append` resolves once a checkpoint covering the entry is committed.
 *
 * A writer killed after sequencing leaves its batch in `seq`; the next integration by any
 * writer takes it. Memory: like the POSIX store, every process keeps every perfect subtree
 * hash (about 64 bytes per entry) so that proofs need no database reads.
 */
import { assertInteger, equalBytes } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { formatCheckpoint, parseCheckpoint } from '../log/checkpoint.js';
import { cosign, type Cosigner } from '../log/cosignature.js';
import { HashTree } from '../log/hashtree.js';
import { leafHash } from '../log/merkle.js';
import { signNote, verifyNote } from '../log/note.js';
import { NOTE_TYPE_ED25519, formatVerifierKey, noteVerifier } from '../log/notekeys.js';
import { issueConsistencyReceipt, issueInclusionReceipt } from '../log/receipt.js';
import { TILE_WIDTH, decodeBundle } from '../log/tiles.js';
import type { TileFetcher } from '../log/tiledlog.js';
import { formatTlogProof } from '../log/tlogproof.js';
import { keyId, type Signer } from '../keys/signing.js';
import { noteBody } from './note-body.js';
import type { ConsistencyBundle, InclusionBundle, LogSigner } from '../node/logtypes.js';
import { bytes, int, type Db, type Query } from './db.js';
import { exportTiles, pgTileFetcher } from './export.js';
import { decodeBatch, sequenceBatch, type Sequenced } from './sequence.js';
import { AppendQueue, type PendingAppend } from '../log/append-queue.js';
import { batchRows } from '../log/batch-tiles.js';
import { extendTree, writeRows } from './tiles.js';
import type { OpenPgLogOptions, PgLogStore } from './types.js';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isDbError = (e: unknown) => e instanceof CustosError && e.code === 'ERR_DB';

export class PgStore implements PgLogStore {
  readonly origin: string;
  readonly verifierKey: string;
  readonly schema: string;
  readonly #db: Db;
  readonly #signer: LogSigner;
  readonly #witnesses: readonly Cosigner[];
  readonly #dedupe: boolean;
  readonly #retryMs: number;
  // The tree may run ahead of #committed during an integration; readers only use sizes up to
  // #committed. #dirty: the tree's content beyond #committed is unknown (a failed transaction).
  #tree = new HashTree();
  #committed = 0;
  #dirty = false;
  #lock: Promise<unknown> = Promise.resolve();
  #latest = '';
  readonly #appends: AppendQueue<Sequenced>;
  #integrating: Promise<void> | null = null;
  #want = 0;
  #waiters: { index: number; resolve(): void; reject(e: unknown): void }[] = [];
  #closed = false;

  constructor(db: Db, schema: string, origin: string, signer: LogSigner, opts: OpenPgLogOptions) {
    this.#db = db;
    this.schema = schema;
    this.origin = origin;
    this.#signer = signer;
    this.#witnesses = opts.witnesses ?? [];
    this.#appends = new AppendQueue(assertInteger('maxBatch', opts.maxBatch ?? 4096, 1, 1 << 16), (batch) => this.#flushBatch(batch));
    this.#dedupe = opts.dedupe ?? false;
    this.#retryMs = assertInteger('retryMs', opts.retryMs ?? 15_000, 0, 3_600_000);
    this.verifierKey = formatVerifierKey(signer);
  }

  get size(): number {
    return this.#committed;
  }

  /** Runs `f` after every earlier caller of #locked (tree mutations are serialised). */
  #locked<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(f, f);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  get dir(): string {
    return `postgres:${this.schema}`;
  }

  // ---- state ------------------------------------------------------------------------------

  /** Creates the first checkpoint if the log is new. */
  async init(): Promise<void> {
    const s = this.schema;
    await this.#db.tx(async (q) => {
      const r = await q(`SELECT size FROM ${s}.int_coord WHERE id = 0 FOR UPDATE`);
      if (r.rows.length > 0) return;
      const tree = new HashTree();
      const note = await this.#sign(0, tree.root());
      await q(`INSERT INTO ${s}.int_coord VALUES (0, 0, $1) ON CONFLICT DO NOTHING`, [Buffer.from(tree.root())]);
      await q(`INSERT INTO ${s}.checkpoints VALUES (0, $1) ON CONFLICT DO NOTHING`, [note]);
    });
    await this.refresh();
  }

  /** Signs (and, with in-process witnesses, cosigns) a checkpoint; the signers may be asynchronous (a token, a KMS). */
  async #sign(size: number, root: Uint8Array): Promise<string> {
    let text = await signNote(formatCheckpoint({ origin: this.origin, size, root }), [this.#signer]);
    for (const w of this.#witnesses) text = await cosign(text, w);
    return text;
  }

  /**
   * Brings the in-memory tree to the integrated size read in `q`'s transaction and checks it
   * against the recorded root; rebuilds it from the tiles after a failed transaction. Callers
   * hold #locked.
   */
  async #sync(q: Query, size: number, root: Uint8Array): Promise<HashTree> {
    let tree = this.#tree;
    if (this.#dirty || tree.size > size) {
      if (!this.#dirty) throw new CustosError('ERR_LOG_CORRUPT', `the integrated size went back from ${tree.size} to ${size}`);
      tree = new HashTree();
    }
    await extendTree(q, this.schema, tree, size);
    if (!equalBytes(tree.root(size), root)) {
      this.#dirty = true;
      throw new CustosError('ERR_LOG_CORRUPT', 'the tiles do not hash to the integrated root');
    }
    let latest = this.#latest;
    if (latest === '' || size !== this.#committed) {
      const r = await q(`SELECT note FROM ${this.schema}.checkpoints WHERE size = $1`, [size]);
      const note = r.rows[0]?.note;
      if (typeof note !== 'string') throw new CustosError('ERR_LOG_CORRUPT', `no checkpoint for the integrated size ${size}`);
      const v = verifyNote(note, [noteVerifier(this.#signer.name, this.#signer.publicKey, NOTE_TYPE_ED25519)]);
      if (!v.ok || v.text === undefined) throw new CustosError('ERR_LOG_CORRUPT', `checkpoint ${size} does not verify under the log key`);
      const cp = parseCheckpoint(v.text);
      if (cp.origin !== this.origin || cp.size !== size || !equalBytes(cp.root, root)) throw new CustosError('ERR_LOG_CORRUPT', `checkpoint ${size} does not match the integrated tree`);
      latest = note;
    }
    this.#tree = tree;
    this.#dirty = false;
    this.#latest = latest;
    this.#committed = size;
    return tree;
  }

  /** Catches up with entries other writers integrated (reads only, no lock). */
  async refresh(): Promise<number> {
    await this.#locked(() => this.#db.tx(async (q) => {
      const r = (await q(`SELECT size, root FROM ${this.schema}.int_coord WHERE id = 0`)).rows[0];
      if (r === undefined) throw new CustosError('ERR_LOG_CORRUPT', 'the log has no integration row');
      await this.#sync(q, int(r.size), bytes(r.root));
    }, 'REPEATABLE READ'));
    return this.size;
  }

  // ---- appending --------------------------------------------------------------------------

  append(entry: Uint8Array): Promise<Sequenced> {
    return this.#appends.push(entry, () => {
      if (this.#closed) fail('ERR_INVALID_ARGUMENT', 'the log is closed');
    });
  }

  /** Sequences one batch; each entry is acknowledged once a checkpoint covers it. */
  async #flushBatch(batch: PendingAppend<Sequenced>[]): Promise<void> {
    let seq: Sequenced[];
    try {
      seq = await this.#sequence(batch.map((p) => p.entry));
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    // Integration runs beside the next sequencing transaction.
    const last = Math.max(...seq.map((x) => x.index));
    this.#untilIntegrated(last).then(
      () => batch.forEach((p, i) => p.resolve(seq[i]!)),
      (e) => batch.forEach((p) => p.reject(e)),
    );
  }

  /** Sequences a batch; with the identity index a lost COMMIT is retried (it is idempotent). */
  async #sequence(entries: Uint8Array[]): Promise<Sequenced[]> {
    const deadline = Date.now() + this.#retryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await sequenceBatch(this.#db, this.schema, entries, this.#dedupe);
      } catch (e) {
        if (!this.#dedupe || !isDbError(e) || Date.now() > deadline) throw e;
        await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
  }

  #untilIntegrated(index: number): Promise<void> {
    if (index < this.size) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ index, resolve, reject });
      this.#want = Math.max(this.#want, index + 1);
      if (this.#integrating === null) this.#integrating = this.#integrateLoop();
    });
  }

  async #integrateLoop(): Promise<void> {
    let deadline = Date.now() + this.#retryMs;
    for (let attempt = 0; this.#waiters.length > 0; ) {
      try {
        await this.#integrateOnce(this.#want);
        attempt = 0;
        deadline = Date.now() + this.#retryMs;
      } catch (e) {
        this.#dirty = true; // the transaction's outcome is unknown: rebuild before the next use
        if (!isDbError(e) || Date.now() > deadline) {
          const ws = this.#waiters;
          this.#waiters = [];
          for (const w of ws) w.reject(e);
          break;
        }
        await sleep(Math.min(1000, 50 * 2 ** attempt++));
      }
      const size = this.size;
      const done = this.#waiters.filter((w) => w.index < size);
      this.#waiters = this.#waiters.filter((w) => w.index >= size);
      for (const w of done) w.resolve();
    }
    this.#integrating = null;
    if (this.#waiters.length > 0) this.#integrating = this.#integrateLoop();
  }

  /** One integration transaction: up to `maxIntegrate` sequenced entries above the integrated size. */
  async #integrateOnce(target: number): Promise<void> {
    const s = this.schema;
    await this.#locked(() => this.#db.tx(async (q) => {
      const r = (await q(`SELECT size, root FROM ${s}.int_coord WHERE id = 0 FOR UPDATE`)).rows[0];
      if (r === undefined) throw new CustosError('ERR_LOG_CORRUPT', 'the log has no integration row');
      const a = int(r.size);
      const tree = await this.#sync(q, a, bytes(r.root));
      if (a >= target) return;
      const rows = (await q(`SELECT first, count, entries FROM ${s}.seq WHERE first >= $1 ORDER BY first LIMIT 256`, [a])).rows;
      const entries: Uint8Array[] = [];
      for (const row of rows) {
        if (int(row.first) !== a + entries.length) break;
        if (entries.length > 0 && entries.length + int(row.count) > 65_536) break;
        const batch = decodeBatch(bytes(row.entries), int(row.count));
        for (const e of batch) entries.push(e);
      }
      if (entries.length === 0) throw new CustosError('ERR_LOG_CORRUPT', `sequenced entries from ${a} are missing`);
      let tail: Uint8Array[] = [];
      if (a % TILE_WIDTH !== 0) {
        const t = Math.floor(a / TILE_WIDTH);
        const b = (await q(`SELECT entries FROM ${s}.bundles WHERE idx = $1`, [t])).rows[0];
        if (b === undefined) throw new CustosError('ERR_LOG_CORRUPT', `entry bundle ${t} is missing`);
        tail = decodeBundle(bytes(b.entries)).slice(0, a % TILE_WIDTH);
        if (tail.length !== a % TILE_WIDTH) throw new CustosError('ERR_LOG_CORRUPT', `entry bundle ${t} is short`);
      }
      this.#dirty = true; // until COMMIT, the tree is ahead of the database
      for (const e of entries) tree.appendLeafHash(leafHash(e));
      const b = tree.size;
      const { bundles, tiles } = batchRows(tree, a, tail, entries);
      await writeRows(q, s, bundles, tiles);
      const root = tree.root();
      const note = await this.#sign(b, root);
      await q(`INSERT INTO ${s}.checkpoints VALUES ($1, $2)`, [b, note]);
      await q(`UPDATE ${s}.int_coord SET size = $1, root = $2 WHERE id = 0`, [b, Buffer.from(root)]);
      await q(`DELETE FROM ${s}.seq WHERE first < $1`, [b]);
      return { size: b, note };
    }).then((done) => {
      if (done === undefined) return;
      this.#dirty = false;
      this.#latest = done.note;
      this.#committed = done.size;
    }));
  }

  // ---- reading and proofs -----------------------------------------------------------------

  /** The tree, for sizes up to #committed only. */
  #t(): HashTree {
    return this.#tree;
  }

  async checkpoint(): Promise<string> {
    return this.#latest;
  }

  async checkpointAt(size: number): Promise<string | undefined> {
    assertInteger('size', size);
    if (size === this.size) return this.#latest;
    const r = await this.#db.query(`SELECT note FROM ${this.schema}.checkpoints WHERE size = $1`, [size]);
    const note = r.rows[0]?.note;
    return typeof note === 'string' ? note : undefined;
  }

  async #checkpointFor(size: number): Promise<string> {
    const cp = size <= this.size ? await this.checkpointAt(size) : undefined;
    if (cp === undefined) fail('ERR_INVALID_ARGUMENT', `no checkpoint was issued at size ${size}`);
    return cp;
  }

  async prove(index: number, size: number = this.size): Promise<InclusionBundle> {
    const tree = this.#t();
    assertInteger('size', size, 1, this.#committed);
    assertInteger('index', index, 0, size - 1);
    const checkpoint = await this.#checkpointFor(size);
    return { index, size, leafHash: tree.leafHashAt(index), proof: tree.inclusionProof(index, size), checkpoint };
  }

  async proveConsistency(oldSize: number, newSize: number = this.size): Promise<ConsistencyBundle> {
    const tree = this.#t();
    assertInteger('newSize', newSize, 1, this.#committed);
    assertInteger('oldSize', oldSize, 1, newSize);
    const [oldCheckpoint, newCheckpoint] = await Promise.all([this.#checkpointFor(oldSize), this.#checkpointFor(newSize)]);
    return { oldSize, newSize, proof: tree.consistencyProof(oldSize, newSize), oldCheckpoint, newCheckpoint };
  }

  /** The log key as a COSE signer (see the POSIX store: note and COSE messages never collide). */
  #coseSigner(): Signer {
    const s = this.#signer;
    return { alg: 'EdDSA', publicKey: s.publicKey, kid: keyId('EdDSA', s.publicKey), sign: (m) => s.sign(m) };
  }

  async receipt(index: number, size: number = this.size): Promise<{ cose: Uint8Array; tlogProof: string; size: number }> {
    const b = await this.prove(index, size);
    const cose = await issueInclusionReceipt({ index, size, proof: b.proof, root: this.#t().root(size) }, this.#coseSigner());
    return { cose, tlogProof: formatTlogProof({ index, proof: b.proof, checkpoint: b.checkpoint }), size };
  }

  async consistencyReceipt(oldSize: number, newSize: number = this.size): Promise<Uint8Array> {
    const b = await this.proveConsistency(oldSize, newSize);
    return await issueConsistencyReceipt({ oldSize, newSize, proof: b.proof, newRoot: this.#t().root(newSize) }, this.#coseSigner());
  }

  async entry(index: number): Promise<Uint8Array> {
    const tree = this.#t();
    assertInteger('index', index, 0, this.#committed - 1);
    const t = Math.floor(index / TILE_WIDTH);
    const r = (await this.#db.query(`SELECT entries FROM ${this.schema}.bundles WHERE idx = $1`, [t])).rows[0];
    const e = r === undefined ? undefined : decodeBundle(bytes(r.entries))[index % TILE_WIDTH];
    if (e === undefined || !equalBytes(leafHash(e), tree.leafHashAt(index))) fail('ERR_LOG_CORRUPT', `entry ${index} does not hash to its leaf`);
    return e;
  }

  tileFetcher(): TileFetcher {
    return pgTileFetcher(this.#db, this.schema);
  }

  exportTiles(dir: string): Promise<{ size: number }> {
    return exportTiles(this.#db, this.schema, dir, noteVerifier(this.#signer.name, this.#signer.publicKey, NOTE_TYPE_ED25519));
  }

  async published(): Promise<string | undefined> {
    const r = await this.#db.query(`SELECT note FROM ${this.schema}.published WHERE id = 0`);
    const note = r.rows[0]?.note;
    return typeof note === 'string' ? note : undefined;
  }

  async publish(note: string): Promise<void> {
    const v = verifyNote(note, [noteVerifier(this.#signer.name, this.#signer.publicKey, NOTE_TYPE_ED25519)]);
    if (!v.ok || v.text === undefined) fail('ERR_NOTE_UNVERIFIED', 'the checkpoint to publish is not signed by the log key');
    const cp = parseCheckpoint(v.text);
    const ours = await this.checkpointAt(cp.size);
    if (cp.origin !== this.origin || ours === undefined || noteBody(ours) !== v.text) fail('ERR_CONSISTENCY', 'the checkpoint to publish is not one this log issued');
    // Only ever forward: a published checkpoint never goes back to a smaller tree.
    await this.#db.query(
      `INSERT INTO ${this.schema}.published VALUES (0, $1, $2) ON CONFLICT (id) DO UPDATE SET size = EXCLUDED.size, note = EXCLUDED.note WHERE ${this.schema}.published.size <= EXCLUDED.size`,
      [cp.size, note],
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#appends.idle();
    while (this.#integrating) await this.#integrating;
    await this.#db.end();
  }
}

