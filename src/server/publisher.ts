/**
 * The log side of tlog-witness: {@link collectCosignatures} sends a checkpoint to N witnesses
 * (with a consistency proof from the size each last cosigned, learnt from a 409 answer) and
 * keeps only cosignatures that verify under the configured witness keys; a {@link Publisher}
 * publishes a checkpoint only once the quorum of distinct witnesses cosigned it.
 */
import { toBase64 } from '../bytes.js';
import { CustosError, fail } from '../errors.js';
import { parseCheckpoint } from '../log/checkpoint.js';
import { parseNote } from '../log/note.js';
import { verifyCheckpoint } from '../log/witness.js';
import { postText } from './client.js';

export interface WitnessEndpoint {
  /** The witness's submission prefix, e.g. `http://127.0.0.1:7380/` (add-checkpoint is appended). */
  readonly url: string;
  /** Its cosignature verifier key (type 0x04). */
  readonly key: string;
}

export interface CollectOptions {
  readonly witnesses: readonly WitnessEndpoint[];
  /** Distinct witnesses whose cosignatures must verify. */
  readonly quorum: number;
  /** The log's verifier key (the checkpoint must verify under it). */
  readonly logKey: string;
  /** Consistency proof between two sizes of the log (e.g. `(a, b) => log.proveConsistency(a, b).then((c) => c.proof)`). */
  readonly proof: (oldSize: number, newSize: number) => Promise<readonly Uint8Array[]>;
  /** Last size known cosigned per witness URL; updated in place. */
  readonly known?: Map<string, number>;
  readonly timeoutMs?: number;
}

async function askOne(checkpoint: string, size: number, w: WitnessEndpoint, opts: CollectOptions): Promise<string> {
  const known = opts.known ?? new Map<string, number>();
  let old = known.get(w.url) ?? 0;
  const url = `${w.url.replace(/\/?$/, '/')}add-checkpoint`;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (old > size) throw new CustosError('ERR_CONSISTENCY', `witness ${w.url} has cosigned a larger tree (${old})`);
    const proof = old === 0 || old === size ? [] : await opts.proof(old, size);
    const body = `old ${old}\n${proof.map((h) => `${toBase64(h)}\n`).join('')}\n${checkpoint}`;
    const r = await postText(url, body, { timeoutMs: opts.timeoutMs ?? 10_000, maxBytes: 64 * 1024 });
    if (r.status === 409 && r.contentType.startsWith('text/x.tlog.size') && attempt === 0) {
      const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(r.text);
      if (m === null) throw new CustosError('ERR_HTTP', `witness ${w.url} sent a malformed size`);
      const n = Number(m[1]);
      if (n === old) throw new CustosError('ERR_CONSISTENCY', `witness ${w.url} refused the checkpoint (a fork at size ${n})`);
      old = n;
      continue;
    }
    if (r.status !== 200) throw new CustosError(r.status === 422 || r.status === 409 ? 'ERR_CONSISTENCY' : 'ERR_HTTP', `witness ${w.url} answered ${r.status}`);
    // Keep only lines that verify under this witness's key (unknown keys are ignored).
    const lines = r.text.split('\n').filter((l) => l.startsWith('\u2014 '));
    const good: string[] = [];
    for (const line of lines) {
      const withLine = `${checkpoint}${line}\n`;
      const v = verifyCheckpoint(withLine, { log: [opts.logKey], witnesses: [w.key], quorum: 1 });
      if (v.ok) good.push(line);
    }
    if (good.length === 0) throw new CustosError('ERR_COSIGNATURE_INVALID', `witness ${w.url} sent no valid cosignature`);
    known.set(w.url, size);
    return good[0]!;
  }
  throw new CustosError('ERR_HTTP', `witness ${w.url} kept answering 409`);
}

/**
 * Collects cosignatures for a log-signed checkpoint; returns the note with every verified
 * cosignature, or throws ERR_WITNESS_QUORUM (with each witness's failure as `cause`).
 *
 * @example
 * ```ts
 * const text = await collectCosignatures(await log.checkpoint(), { witnesses, quorum: 2, logKey: log.verifierKey, proof });
 * ```
 */
export async function collectCosignatures(checkpoint: string, opts: CollectOptions): Promise<{ note: string; failures: { url: string; error: unknown }[] }> {
  if (!Number.isSafeInteger(opts.quorum) || opts.quorum < 1 || opts.quorum > opts.witnesses.length) fail('ERR_INVALID_ARGUMENT', '"quorum" must be between 1 and the number of witnesses');
  const v = verifyCheckpoint(checkpoint, [opts.logKey]);
  if (!v.ok || v.checkpoint === undefined) fail('ERR_NOTE_UNVERIFIED', 'the checkpoint does not verify under the log key');
  const size = v.checkpoint.size;
  const results = await Promise.allSettled(opts.witnesses.map((w) => askOne(checkpoint, size, w, opts)));
  const lines: string[] = [];
  const failures: { url: string; error: unknown }[] = [];
  results.forEach((r, i) => (r.status === 'fulfilled' ? lines.push(r.value) : failures.push({ url: opts.witnesses[i]!.url, error: r.reason })));
  const note = `${checkpoint}${lines.map((l) => `${l}\n`).join('')}`;
  // Count distinct witness keys whose cosignatures verify on the assembled note.
  const check = verifyCheckpoint(note, { log: [opts.logKey], witnesses: opts.witnesses.map((w) => w.key), quorum: opts.quorum });
  if (!check.ok) throw new CustosError('ERR_WITNESS_QUORUM', `${lines.length} of ${opts.witnesses.length} witnesses cosigned, ${opts.quorum} required`, { cause: failures });
  return { note, failures };
}

/** Where a publisher keeps the published checkpoint (a file, or the PostgreSQL store's table). */
export interface PublishedStore {
  load(): Promise<string | undefined>;
  save(note: string): Promise<void>;
}

export interface PublisherOptions extends Omit<CollectOptions, 'known'> {
  /** The log's latest log-signed checkpoint. */
  readonly latest: () => Promise<string>;
  readonly store: PublishedStore;
  /** Called with each failed round (for logs); optional. */
  readonly onError?: (e: unknown) => void;
}

/**
 * Publishes the log's checkpoint once the witness quorum cosigned it. `schedule()` starts a
 * round unless one runs (then one more follows it); `publish()` runs one and reports.
 */
export class Publisher {
  readonly #opts: PublisherOptions;
  readonly #known = new Map<string, number>();
  #running: Promise<void> | null = null;
  #again = false;

  constructor(opts: PublisherOptions) {
    this.#opts = opts;
  }

  latest(): Promise<string | undefined> {
    return this.#opts.store.load();
  }

  /** One round: cosign the latest checkpoint if it is newer than the published one. */
  async publish(): Promise<{ published: boolean; size: number }> {
    const cp = await this.#opts.latest();
    const size = parseCheckpoint(parseNote(cp).text).size;
    const cur = await this.#opts.store.load();
    if (cur !== undefined && parseCheckpoint(parseNote(cur).text).size >= size) return { published: false, size };
    const { note } = await collectCosignatures(cp, { ...this.#opts, known: this.#known });
    await this.#opts.store.save(note);
    return { published: true, size };
  }

  schedule(): void {
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.publish();
        } catch (e) {
          this.#opts.onError?.(e);
        }
      } while (this.#again);
      this.#running = null;
    })();
  }

  /** Waits for a scheduled round to finish. */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }
}
