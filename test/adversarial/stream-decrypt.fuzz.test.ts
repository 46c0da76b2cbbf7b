/**
 * The streaming decrypt entry point on its own: `decrypt(ReadableStream, identities)`.
 *
 * Real age files (X25519, the ML-KEM-768-X25519 hybrid, armored, an empty payload, sizes around
 * the 64 KiB chunk boundary, some written by the `age` CLI) go through the harness mutations AND
 * through hostile chunkings of the same bytes: 1-byte chunks, random split points, empty chunks,
 * a boundary exactly at the header end / nonce end / tag ends, a first chunk holding header +
 * nonce + several payload chunks, a producer that overwrites its one buffer on every pull, and a
 * slow reader. Oracle, per case:
 *   - `decrypt` rejects with a CustosError whose code is in ERROR_CODES, or resolves to a stream;
 *   - every byte the stream yields is a prefix of the authentic plaintext of the unmodified
 *     sample (checked when each chunk arrives and again at the end, so a released chunk that is a
 *     view of the producer's reused buffer is caught too);
 *   - the stream then ends only if the input is the sample itself (or, for armor, dearmors to
 *     the very same age file), yielding the whole plaintext; otherwise it errors with a
 *     documented CustosError code; an unmodified sample always reads to the end;
 *   - afterwards the input was read to its end or cancelled (never left dangling).
 * Plus: cancelling the output midway cancels the input; a source that errors midway surfaces an
 * error, never a clean end; a non-Uint8Array chunk is ERR_INVALID_ARGUMENT, never a clean end.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, CustosError, armor, dearmor, decrypt, encrypt, generateIdentity, readHeader } from '../../src/index.js';
import { RUNS, counters, mutations, runCase, type Target } from './harness.js';
import { pseudoRandom } from '../envelope/helpers.js';

const CHUNK = 64 * 1024;
const ENC_CHUNK = CHUNK + 16;

const x = generateIdentity();
const pq = generateIdentity({ pq: true });
const IDS = [x.identity, pq.identity];

/**
 * Deterministic, non-periodic plaintext (a misplaced or repeated chunk cannot look right): the
 * envelope tests' xorshift generator, with small seeds spread over 32 bits.
 */
function plaintext(n: number, seed: number): Uint8Array {
  return pseudoRandom(n, seed * 2654435761);
}

interface Sample {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly plain: Uint8Array;
  /** The binary age file (the sample itself, or its dearmored form). */
  readonly binary: Uint8Array;
  readonly armored: boolean;
  /** Offsets in `bytes` worth cutting at: header end, nonce end, tag ends (binary only). */
  readonly boundaries: readonly number[];
}

function ageCli(args: string[], input: Uint8Array): Uint8Array {
  const r = spawnSync('age', args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`age ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

async function makeSample(name: string, bytes: Uint8Array, plain: Uint8Array, armored: boolean): Promise<Sample> {
  const binary = armored ? dearmor(bytes) : bytes;
  const boundaries: number[] = [];
  if (!armored) {
    const { payloadOffset } = await readHeader(bytes);
    boundaries.push(payloadOffset, payloadOffset + 16);
    for (let e = payloadOffset + 16 + ENC_CHUNK; e <= bytes.length; e += ENC_CHUNK) boundaries.push(e);
    if (!boundaries.includes(bytes.length)) boundaries.push(bytes.length);
  } else {
    // The end of every armor line, and of the BEGIN line.
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a) boundaries.push(i + 1);
  }
  return { name, bytes, plain, binary, armored, boundaries };
}

const samples: Sample[] = [];

beforeAll(async () => {
  const p = (n: number, seed: number) => plaintext(n, seed);
  const specs: [string, Uint8Array, () => Promise<Uint8Array>, boolean][] = [];
  const add = (name: string, plain: Uint8Array, make: (pl: Uint8Array) => Promise<Uint8Array> | Uint8Array, armored = false) =>
    specs.push([name, plain, async () => make(plain), armored]);
  add('X25519, empty payload', new Uint8Array(0), (pl) => encrypt(pl, [x.recipient]));
  add('X25519, 1 byte', p(1, 1), (pl) => encrypt(pl, [x.recipient]));
  add('ML-KEM hybrid, 65535 bytes', p(65_535, 2), (pl) => encrypt(pl, [pq.recipient]));
  add('X25519 + ML-KEM, 65536 bytes (full final chunk)', p(65_536, 3), (pl) => encrypt(pl, [x.recipient, pq.recipient], { allowMixedPostQuantum: true }));
  add('ML-KEM hybrid, 65537 bytes', p(65_537, 4), (pl) => encrypt(pl, [pq.recipient]));
  add('X25519, 200 KiB (4 chunks)', p(200 * 1024, 5), (pl) => encrypt(pl, [x.recipient]));
  add('armored X25519 + ML-KEM, 3000 bytes', p(3000, 6), async (pl) => new TextEncoder().encode(armor(await encrypt(pl, [x.recipient, pq.recipient], { allowMixedPostQuantum: true }))), true);
  add('age CLI, X25519, empty payload', new Uint8Array(0), (pl) => ageCli(['-r', x.recipient], pl));
  add('age CLI, X25519, 131072 bytes', p(131_072, 7), (pl) => ageCli(['-r', x.recipient], pl));
  add('age CLI, armored X25519, 65537 bytes', p(65_537, 8), (pl) => ageCli(['-a', '-r', x.recipient], pl), true);
  for (const [name, plain, make, armored] of specs) samples.push(await makeSample(name, await make(), plain, armored));
});

// ---- the producer and the consumer -----------------------------------------------------------

interface SourceState {
  pulls: number;
  cancelled: boolean;
  closed: boolean;
  errored: boolean;
}

interface Producer {
  /** Pieces of the input, in order (empty pieces allowed). */
  readonly chunks: readonly Uint8Array[];
  /** Hand out views of ONE buffer, overwritten (first with 0xa5) on every pull. */
  readonly reuse?: boolean;
  /** Error the stream instead of producing chunk number `errorAt`. */
  readonly errorAt?: number;
  readonly error?: unknown;
}

/** The input's bytes as views (non-zero offsets) of one private copy, to check decrypt never writes into them. */
function views(input: Uint8Array, cuts: readonly number[], empties: readonly number[]): { chunks: Uint8Array[]; intact: () => boolean } {
  const backing = new Uint8Array(input.length + 16);
  backing.set(input, 7);
  const own = backing.subarray(7, 7 + input.length);
  return { chunks: split(own, cuts, empties), intact: () => eq(own, input) && backing.subarray(0, 7).every((b) => b === 0) };
}

/** A pull-only (highWaterMark 0) input stream that records what happened to it. */
function source(p: Producer): { stream: ReadableStream<Uint8Array>; state: SourceState } {
  const state: SourceState = { pulls: 0, cancelled: false, closed: false, errored: false };
  const max = p.chunks.reduce((m, c) => Math.max(m, c.length), 0);
  const shared = new Uint8Array(max);
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        state.pulls++;
        if (p.reuse) shared.fill(0xa5);
        if (p.errorAt !== undefined && i === p.errorAt) {
          state.errored = true;
          c.error(p.error);
          return;
        }
        const chunk = p.chunks[i++];
        if (chunk === undefined) {
          state.closed = true;
          c.close();
          return;
        }
        if (p.reuse) {
          shared.set(chunk, 0);
          c.enqueue(shared.subarray(0, chunk.length));
        } else c.enqueue(chunk);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

interface Outcome {
  /** `decrypt` rejected with this. */
  rejected?: unknown;
  /** What the output stream yielded (the chunks themselves, not copies). */
  chunks: Uint8Array[];
  /** The first chunk that was not a prefix of the plaintext when it arrived. */
  badAt?: number;
  ended: boolean;
  readError?: unknown;
  state: SourceState;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function consume(out: ReadableStream<Uint8Array>, plain: Uint8Array, slow: boolean, o: Outcome): Promise<void> {
  const reader = out.getReader();
  let off = 0;
  try {
    for (;;) {
      if (slow) await tick();
      const r = await reader.read();
      if (r.done) {
        o.ended = true;
        return;
      }
      const c = r.value;
      o.chunks.push(c);
      if (o.badAt === undefined && !isPrefixAt(plain, off, c)) o.badAt = o.chunks.length - 1;
      off += c.length;
    }
  } catch (e) {
    o.readError = e;
  }
}

function isPrefixAt(plain: Uint8Array, off: number, c: Uint8Array): boolean {
  if (!(c instanceof Uint8Array) || off + c.length > plain.length) return false;
  for (let i = 0; i < c.length; i++) if (c[i] !== plain[off + i]) return false;
  return true;
}

async function runStream(p: Producer, plain: Uint8Array, slow: boolean, armor?: boolean): Promise<Outcome> {
  const { stream, state } = source(p);
  return decryptOutcome(stream, state, plain, slow, armor);
}

/** Decrypts `stream` and reads the output to its end or error, recording everything in an Outcome. */
async function decryptOutcome(stream: ReadableStream<Uint8Array>, state: SourceState, plain: Uint8Array, slow: boolean, armor?: boolean): Promise<Outcome> {
  const o: Outcome = { chunks: [], ended: false, state };
  let out: ReadableStream<Uint8Array>;
  try {
    out = await decrypt(stream, IDS, armor === undefined ? {} : { armor });
  } catch (e) {
    o.rejected = e;
    return o;
  }
  await consume(out, plain, slow, o);
  return o;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

function documented(e: unknown): string | undefined {
  if (!(e instanceof CustosError)) return `non-CustosError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  return Object.hasOwn(ERROR_CODES, e.code) ? undefined : `undocumented code ${e.code}`;
}

/** Whether the input is the sample's age file (byte for byte, or the same file armored). */
function sameFile(s: Sample, input: Uint8Array): boolean {
  if (eq(input, s.bytes)) return true;
  if (!s.armored) return false;
  try {
    return eq(dearmor(input), s.binary);
  } catch {
    return false;
  }
}

/** The oracle: undefined when the outcome is acceptable, else what is wrong. */
function judge(s: Sample, input: Uint8Array, o: Outcome): string | undefined {
  const released = o.chunks.reduce((n, c) => n + c.length, 0);
  if (o.badAt !== undefined) return `released chunk ${o.badAt} that is not the authentic plaintext at its offset`;
  // Re-check at the end: a released chunk must not change afterwards (no view of a reused buffer).
  let off = 0;
  for (const c of o.chunks) {
    if (!isPrefixAt(s.plain, off, c)) return `a released chunk changed after it was handed out (offset ${off})`;
    off += c.length;
  }
  const settled = o.state.closed || o.state.cancelled || o.state.errored;
  if (o.rejected !== undefined) {
    const d = documented(o.rejected);
    if (d !== undefined) return `decrypt rejected with ${d}`;
    if (sameFile(s, input)) return `the unmodified sample was rejected: ${(o.rejected as CustosError).code}`;
    return settled ? undefined : 'rejected without cancelling the input';
  }
  if (o.ended) {
    if (!sameFile(s, input)) return `a modified file read to completion (${released} bytes)`;
    if (released !== s.plain.length) return `ended after ${released} of ${s.plain.length} bytes`;
    return o.state.closed ? undefined : 'ended before the input did';
  }
  const d = documented(o.readError);
  if (d !== undefined) return `the output stream errored with ${d}`;
  if (sameFile(s, input)) return `the unmodified sample failed: ${(o.readError as CustosError).code}`;
  return settled ? undefined : 'errored without cancelling the input';
}

// ---- chunkings ---------------------------------------------------------------------------------

interface Plan {
  readonly kind: 'whole' | 'bytes1' | 'random' | 'boundaries' | 'firstBig';
  readonly cuts: readonly number[];
  /** Indices (in the cut list) before which an empty chunk is inserted. */
  readonly empties: readonly number[];
  readonly slow: boolean;
  readonly reuse: boolean;
  /** The decrypt option: unset (detect) or the sample's own format. */
  readonly armor?: boolean | undefined;
}

function split(input: Uint8Array, cuts: readonly number[], empties: readonly number[]): Uint8Array[] {
  const pts = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  const emptySet = new Set(empties);
  pts.push(input.length);
  pts.forEach((p, i) => {
    if (emptySet.has(i)) out.push(new Uint8Array(0));
    out.push(input.subarray(prev, p));
    prev = p;
  });
  if (emptySet.has(pts.length)) out.push(new Uint8Array(0));
  return out;
}

/** Cuts of each kind for a sample (positions refer to the sample's layout). */
function planArb(s: Sample): fc.Arbitrary<Plan> {
  const L = s.bytes.length;
  const flags = fc.record({
    slow: fc.boolean(),
    reuse: fc.boolean(),
    empties: fc.array(fc.nat({ max: 40 }), { maxLength: 4 }),
    armor: fc.constantFrom<boolean | undefined>(undefined, s.armored),
  });
  const around = (b: number, r: number) => Array.from({ length: 2 * r + 1 }, (_, k) => b - r + k);
  const bytes1 = (): number[] => {
    // 1-byte chunks through the header, the nonce and a bit of payload, and across every tag end.
    const head = s.armored ? 600 : (s.boundaries[1] ?? 0) + 64;
    const cuts = Array.from({ length: Math.min(L, head) }, (_, k) => k + 1);
    for (const b of s.armored ? [] : s.boundaries.slice(2)) cuts.push(...around(b, 40));
    return cuts;
  };
  const kinds: fc.Arbitrary<Pick<Plan, 'kind' | 'cuts'>>[] = [
    fc.constant({ kind: 'whole' as const, cuts: [] }),
    fc.constant({ kind: 'bytes1' as const, cuts: bytes1() }),
    fc.array(fc.nat({ max: L + 64 }), { maxLength: 12 }).map((cuts) => ({ kind: 'random' as const, cuts })),
    fc
      .tuple(fc.subarray([...s.boundaries], { minLength: 1 }), fc.integer({ min: -2, max: 2 }))
      .map(([bs, d]) => ({ kind: 'boundaries' as const, cuts: bs.map((b) => b + d) })),
  ];
  if (!s.armored && L > (s.boundaries[1] ?? 0) + 2 * ENC_CHUNK) {
    // header + nonce + two whole payload chunks + a little in the first chunk, the rest in pieces.
    const first = (s.boundaries[1] ?? 0) + 2 * ENC_CHUNK + 100;
    kinds.push(fc.array(fc.integer({ min: first + 1, max: L }), { maxLength: 6 }).map((more) => ({ kind: 'firstBig' as const, cuts: [first, ...more] })));
  }
  return fc.tuple(fc.oneof(...kinds), flags).map(([k, f]) => ({ ...k, ...f }));
}

/** One case through the harness (time, memory and escaping-error checks) and the oracle. */
async function check(s: Sample, input: Uint8Array, plan: Plan): Promise<string | undefined> {
  const v = views(input, plan.cuts, plan.empties);
  const producer: Producer = plan.reuse ? { chunks: split(input, plan.cuts, plan.empties), reuse: true } : { chunks: v.chunks };
  const t: Target<Outcome> = {
    name: s.name,
    samples: [s.bytes],
    run: () => runStream(producer, s.plain, plan.slow, plan.armor),
    oracle: (_b, o) => judge(s, input, o) ?? (plan.reuse || v.intact() ? undefined : 'decrypt wrote into the input chunks'),
  };
  const r = await runCase(t, input);
  return r.finding === undefined ? undefined : `${plan.kind}${plan.reuse ? ' reuse' : ''}${plan.slow ? ' slow' : ''}: ${r.finding}`;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

async function property(s: Sample, input: fc.Arbitrary<Uint8Array>, runs: number): Promise<void> {
  const details = await fc.check(
    fc.asyncProperty(input.chain((b) => fc.tuple(fc.constant(b), planArb(s))), async ([b, plan]) => {
      const f = await check(s, b, plan);
      if (f !== undefined) throw new Error(f);
    }),
    { numRuns: runs },
  );
  if (details.failed) {
    const [b, plan] = details.counterexample?.[0] ?? [];
    throw new Error(
      `${s.name} seed=${details.seed} path=${details.counterexamplePath ?? ''}: ${String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance)}` +
        (b instanceof Uint8Array ? ` input(${b.length})=${hex(b).slice(0, 300)} plan=${JSON.stringify({ ...plan, cuts: plan?.cuts.slice(0, 20) })}` : ''),
    );
  }
}

describe('fuzz: streaming decrypt (decrypt(ReadableStream))', () => {
  afterAll(() => console.log(`[adversarial] stream decrypt: ${counters.cases} cases`));

  it('the samples are what they claim (sizes, age CLI interop, armor)', () => {
    expect(samples.map((s) => s.plain.length)).toEqual([0, 1, 65_535, 65_536, 65_537, 204_800, 3000, 0, 131_072, 65_537]);
    expect(samples.filter((s) => s.armored).length).toBe(2);
    for (const s of samples.filter((q) => !q.armored)) expect(s.boundaries.at(-1)).toBe(s.bytes.length);
  });

  it('the oracle flags what it must (so the properties below can fail)', async () => {
    const s = samples[4]!;
    const st = (): SourceState => ({ pulls: 1, cancelled: false, closed: true, errored: false });
    const modified = s.bytes.slice();
    modified[modified.length - 1]! ^= 1;
    const whole = s.plain.subarray();
    const good: Outcome = { chunks: [whole], ended: true, state: st() };
    expect(judge(s, s.bytes, good)).toBeUndefined();
    expect(judge(s, modified, good)).toMatch(/modified file read to completion/);
    expect(judge(s, s.bytes, { chunks: [whole.subarray(0, 10)], ended: true, state: st() })).toMatch(/ended after 10/);
    const wrong = whole.slice(0, 100);
    wrong[50]! ^= 1;
    expect(judge(s, modified, { chunks: [wrong], ended: false, readError: new CustosError('ERR_CHUNK_AUTH', 'x'), state: st() })).toMatch(/changed after/);
    expect(judge(s, modified, { chunks: [], ended: false, readError: new TypeError('boom'), state: st() })).toMatch(/non-CustosError/);
    expect(judge(s, modified, { chunks: [], ended: false, rejected: new CustosError('ERR_NOPE' as 'ERR_IO', 'x'), state: st() })).toMatch(/undocumented/);
    expect(judge(s, s.bytes, { chunks: [], ended: false, rejected: new CustosError('ERR_HEADER_MAC', 'x'), state: st() })).toMatch(/unmodified sample was rejected/);
    expect(judge(s, modified, { chunks: [], ended: false, rejected: new CustosError('ERR_HEADER_MAC', 'x'), state: { ...st(), closed: false } })).toMatch(/without cancelling/);
    const v = views(s.bytes, [100, 200], [1]);
    expect(v.chunks.map((c) => c.length)).toEqual([100, 0, 100, s.bytes.length - 200]);
    expect(v.intact()).toBe(true);
    v.chunks[2]![5]! ^= 1;
    expect(v.intact()).toBe(false);
    // And against the real decrypt: a consumer expecting other plaintext sees a mismatch at once.
    const other = plaintext(s.plain.length, 99);
    const o = await runStream({ chunks: [s.bytes] }, other, false);
    expect(o.badAt).toBe(0);
    expect(judge({ ...s, plain: other }, s.bytes, o)).toMatch(/not the authentic plaintext/);
  });

  it('every sample reads to the end under every fixed hostile chunking', async () => {
    const findings: string[] = [];
    for (const s of samples) {
      const L = s.bytes.length;
      const plans: Plan[] = [
        { kind: 'whole', cuts: [], empties: [], slow: false, reuse: false },
        { kind: 'whole', cuts: [], empties: [], slow: false, reuse: false, armor: s.armored },
        { kind: 'whole', cuts: [], empties: [0, 1], slow: true, reuse: true },
        { kind: 'boundaries', cuts: [...s.boundaries], empties: [0, 1, 2, 3, 4], slow: false, reuse: true },
        { kind: 'boundaries', cuts: s.boundaries.map((b) => b + 1), empties: [], slow: true, reuse: false },
        { kind: 'boundaries', cuts: s.boundaries.map((b) => b - 1), empties: [2], slow: false, reuse: true },
        { kind: 'random', cuts: Array.from({ length: 30 }, (_, k) => Math.floor((L * (k * 7 + 3)) / 211)), empties: [5, 9], slow: false, reuse: true },
      ];
      // Fully byte-by-byte where that stays cheap; the 65537-byte file once, across its boundary.
      if (L <= 4096 || s.name === 'ML-KEM hybrid, 65537 bytes') plans.push({ kind: 'bytes1', cuts: Array.from({ length: L }, (_, k) => k), empties: [], slow: false, reuse: true });
      for (const plan of plans) {
        const f = await check(s, s.bytes, plan);
        if (f !== undefined) findings.push(`${s.name}: ${f}`);
      }
    }
    expect(findings).toEqual([]);
  });

  it('the first chunk holds header + nonce + three payload chunks; the output is read slowly from a reusing producer', async () => {
    const s = samples.find((q) => q.name.startsWith('X25519, 200 KiB'))!;
    const first = s.boundaries[1]! + 3 * ENC_CHUNK + 5;
    for (const reuse of [false, true]) {
      const o = await runStream({ chunks: split(s.bytes, [first, first + 7, first + 4000], []), reuse }, s.plain, true);
      expect(judge(s, s.bytes, o)).toBeUndefined();
      expect(o.ended).toBe(true);
      expect(o.chunks.reduce((n, c) => n + c.length, 0)).toBe(s.plain.length);
    }
    // The same, with the last chunk's tag damaged: the three chunks that arrived with the header
    // come out (authenticated), then the error; nothing of the damaged chunk.
    const bad = s.bytes.slice();
    bad[bad.length - 1]! ^= 1;
    const o = await runStream({ chunks: split(bad, [first], []), reuse: true }, s.plain, true);
    expect(judge(s, bad, o)).toBeUndefined();
    expect(o.ended).toBe(false);
    expect((o.readError as CustosError).code).toBe('ERR_CHUNK_AUTH');
    expect(o.chunks.reduce((n, c) => n + c.length, 0)).toBe(3 * CHUNK);
  });

  it('cut at the header end, the nonce end or any tag end: ERR_TRUNCATED after exactly the whole chunks; appended bytes: ERR_TRAILING_DATA or ERR_CHUNK_AUTH', async () => {
    const findings: string[] = [];
    for (const s of samples.filter((q) => !q.armored)) {
      const [headerEnd, nonceEnd] = s.boundaries as [number, number];
      for (const b of s.boundaries.filter((x) => x < s.bytes.length)) {
        const input = s.bytes.subarray(0, b);
        // Cut where a chunk boundary falls, so the chunking itself lines up with the damage.
        const o = await runStream({ chunks: split(input, [headerEnd, nonceEnd], [1]) }, s.plain, false);
        counters.cases++;
        const f = judge(s, input, o);
        if (f !== undefined) findings.push(`${s.name} cut at ${b}: ${f}`);
        const code = ((o.rejected ?? o.readError) as CustosError | undefined)?.code;
        const whole = b <= nonceEnd ? 0 : ((b - nonceEnd) / ENC_CHUNK) * CHUNK;
        const released = o.chunks.reduce((n, c) => n + c.length, 0);
        if (code !== 'ERR_TRUNCATED' || released !== whole) findings.push(`${s.name} cut at ${b}: ${code} after ${released} bytes (want ERR_TRUNCATED after ${whole})`);
      }
      for (const extra of [Uint8Array.of(0), new Uint8Array(16), new Uint8Array(ENC_CHUNK + 1)]) {
        const input = Uint8Array.from([...s.bytes, ...extra]);
        const o = await runStream({ chunks: split(input, [s.bytes.length], []) }, s.plain, true);
        counters.cases++;
        const f = judge(s, input, o);
        if (f !== undefined) findings.push(`${s.name} + ${extra.length} bytes: ${f}`);
        const code = ((o.rejected ?? o.readError) as CustosError | undefined)?.code;
        // After a full-size final chunk the extra bytes are trailing data; after a short one they
        // become part of it, and it no longer authenticates.
        const want = s.plain.length > 0 && s.plain.length % CHUNK === 0 ? 'ERR_TRAILING_DATA' : 'ERR_CHUNK_AUTH';
        if (code !== want) findings.push(`${s.name} + ${extra.length} bytes: ${code}, want ${want}`);
      }
    }
    expect(findings).toEqual([]);
  });

  it('structured mutations of every sample under random chunkings', async () => {
    for (const s of samples) {
      // Mostly mutations; some unmodified samples so the chunkings are also checked on good input.
      const input = fc.oneof({ weight: 4, arbitrary: mutations([s.bytes], s.armored) }, { weight: 1, arbitrary: fc.constant(s.bytes) });
      await property(s, input, s.bytes.length > 100_000 ? RUNS : 2 * RUNS);
    }
  }, Math.max(60_000, RUNS * 500)); // long runs (CUSTOS_FC_RUNS) need more than the default timeout

  it('cancelling the output midway cancels the input', async () => {
    for (const s of samples.filter((q) => q.plain.length > CHUNK)) {
      const { stream, state } = source({ chunks: split(s.bytes, Array.from({ length: 40 }, (_, k) => k * 4099), []) });
      const out = await decrypt(stream, IDS);
      const reader = out.getReader();
      const r = await reader.read();
      expect(r.done).toBe(false);
      expect(isPrefixAt(s.plain, 0, r.value!)).toBe(true);
      expect(state.cancelled).toBe(false);
      await reader.cancel('enough');
      expect(state.cancelled, s.name).toBe(true);
      expect(state.closed).toBe(false);
      counters.cases++;
    }
    // Also when the cancel arrives while a pull is waiting on the input.
    const s = samples.find((q) => q.name.startsWith('X25519, 200 KiB'))!;
    let release: (() => void) | undefined;
    const state = { cancelled: false };
    const chunks = split(s.bytes, [s.boundaries[1]! + 10], []);
    let i = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(c) {
          if (i === 1) await new Promise<void>((r) => (release = r));
          const ch = chunks[i++];
          if (ch === undefined) c.close();
          else c.enqueue(ch);
        },
        cancel() {
          state.cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const out = await decrypt(stream, IDS);
    const reader = out.getReader();
    const pending = reader.read();
    while (release === undefined) await tick();
    await reader.cancel('stop');
    expect(state.cancelled).toBe(true);
    release();
    const r = await pending;
    expect(r.done).toBe(true);
  });

  it('a source that errors midway surfaces an error, never a clean end', async () => {
    const failure = new Error('disk went away');
    const findings: string[] = [];
    for (const s of samples) {
      const chunks = split(s.bytes, [...s.boundaries, ...s.boundaries.map((b) => b + 3), 10, 50], []);
      // Every position for binary files (a few dozen chunks); about 40 spread over armored ones.
      const step = Math.max(1, Math.floor(chunks.length / 40));
      for (let k = 0; k <= chunks.length; k += k < 4 || k >= chunks.length - 4 ? 1 : step) {
        const o = await runStream({ chunks, errorAt: k, error: failure }, s.plain, k % 2 === 0);
        counters.cases++;
        const where = `${s.name}, error at chunk ${k}/${chunks.length}`;
        if (o.badAt !== undefined) findings.push(`${where}: released bytes that are not the plaintext`);
        if (o.ended) findings.push(`${where}: clean end`);
        const e = o.rejected ?? o.readError;
        // F-10 (fixed): the producer's error arrives as ERR_IO with it as the cause.
        if (e === failure) findings.push(`${where}: F-10: the producer's error escaped unwrapped`);
        else if (e !== failure && documented(e) !== undefined) findings.push(`${where}: ${documented(e)}`);
        else if (e !== failure && (e as CustosError).code === 'ERR_IO' && (e as CustosError).cause !== failure) findings.push(`${where}: ERR_IO without the producer's error as cause`);
      }
    }
    expect(findings).toEqual([]);
  });

  it('a real Node file stream as the producer (Readable.toWeb, odd highWaterMark): whole files read to the end, damaged ones never', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-sd-'));
    try {
      for (const s of samples.filter((q) => q.plain.length > CHUNK)) {
        const damaged = s.bytes.slice();
        damaged[damaged.length - 20]! ^= 0x10;
        for (const [name, bytes] of [['whole', s.bytes], ['truncated', s.bytes.subarray(0, s.bytes.length - 7)], ['damaged', damaged]] as const) {
          const file = join(dir, `${name}.age`);
          writeFileSync(file, bytes);
          const web = Readable.toWeb(createReadStream(file, { highWaterMark: 777 })) as ReadableStream<Uint8Array>;
          // The file stream's own state is not observable here: marked settled, the rest is judged.
          const o = await decryptOutcome(web, { pulls: 0, cancelled: false, closed: true, errored: false }, s.plain, false);
          counters.cases++;
          expect(judge(s, bytes, o), `${s.name} ${name}`).toBeUndefined();
          expect(o.ended, `${s.name} ${name}`).toBe(name === 'whole');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no matching identity: ERR_NO_IDENTITY before any payload byte is read, and the input is cancelled', async () => {
    const stranger = generateIdentity();
    for (const s of samples) {
      const { stream, state } = source({ chunks: split(s.bytes, [s.boundaries[0] ?? 1], []) });
      let code: string | undefined;
      try {
        await decrypt(stream, [stranger.identity]);
      } catch (e) {
        code = (e as CustosError).code;
      }
      counters.cases++;
      expect(code, s.name).toBe('ERR_NO_IDENTITY');
      expect(state.cancelled, s.name).toBe(true);
      // Binary files are cut at the header end: the payload chunk was never pulled.
      if (!s.armored) expect(state.pulls, s.name).toBe(1);
    }
  });

  it('a chunk that is not a Uint8Array is ERR_INVALID_ARGUMENT, never a clean end', async () => {
    const s = samples[2]!;
    for (const junk of ['text', new ArrayBuffer(8), new DataView(new ArrayBuffer(8)), [1, 2, 3], null, 7]) {
      for (const at of [0, 1, 3]) {
        const chunks: unknown[] = split(s.bytes, [s.boundaries[0]!, s.boundaries[1]!, s.boundaries[1]! + 100], []);
        chunks.splice(at, 0, junk);
        let i = 0;
        const stream = new ReadableStream<Uint8Array>({
          pull(c) {
            if (i < chunks.length) c.enqueue(chunks[i++] as Uint8Array);
            else c.close();
          },
        });
        const o = await decryptOutcome(stream, { pulls: 0, cancelled: false, closed: false, errored: false }, s.plain, false);
        counters.cases++;
        expect(o.ended).toBe(false);
        expect(o.badAt).toBeUndefined();
        expect(((o.rejected ?? o.readError) as CustosError).code).toBe('ERR_INVALID_ARGUMENT');
      }
    }
  });
});
