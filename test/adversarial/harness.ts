/**
 * The shared fuzz harness for every custos decoder and verifier.
 *
 * A target is a function that takes hostile bytes (or text) and either returns (a value, or a
 * report whose failures the target's oracle inspects) or throws. The harness feeds it
 * arbitrary bytes and structured mutations of valid samples (bit flips, truncation at every
 * length, extension, splicing, huge CBOR length heads up to 2^64 − 1, deep nesting, wrong
 * types, line edits for text formats) and asserts, for every case:
 *   - only a CustosError with a code listed in ERROR_CODES escapes;
 *   - the case finishes within a time bound;
 *   - resident memory does not jump (a decoder must not allocate from a claimed length);
 *   - the target's oracle accepts the result (e.g. "a mutated signed object never verifies").
 * Failures report the fast-check seed and path so they can be pinned as regressions.
 */
import fc from 'fast-check';
import { ERROR_CODES, CustosError } from '../../src/errors.js';

/** Default runs per property; `CUSTOS_FC_RUNS` raises it for long runs. */
export const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 150);

/** Per-case wall-clock bound (ms) unless the target says otherwise. */
export const DEFAULT_TIME_MS = 5_000;
/** Per-case resident-memory growth bound (bytes). */
export const DEFAULT_RSS_BYTES = 96 * 1024 * 1024;

/** Counts every case the harness ran in this process (printed by the suites). */
export const counters = { cases: 0, rejected: 0, accepted: 0 };

export interface Target<R = unknown> {
  readonly name: string;
  /** Valid inputs: mutations start from these. At least one. */
  readonly samples: readonly Uint8Array[];
  /** Runs the decoder/verifier on hostile input. */
  run(input: Uint8Array): R | Promise<R>;
  /**
   * Optional check of a non-throwing result. Return a string to flag a finding (e.g. a
   * verification report claiming success for bytes that differ from every valid sample).
   */
  oracle?(input: Uint8Array, result: R): string | undefined;
  /** Whether the format is text (adds line-level mutations). */
  readonly text?: boolean;
  readonly timeMs?: number;
  readonly rssBytes?: number;
  /** Codes this target may raise; default: any documented code. */
  readonly codes?: readonly string[];
  /** Extra format-aware input generators (e.g. {@link jsonTreeMutations}). */
  readonly extra?: readonly fc.Arbitrary<Uint8Array>[];
}

// ---- mutations -------------------------------------------------------------------------------

/** A CBOR head of major type `mt` with an 8-byte argument (`ai` 27). */
export function hugeHead(mt: number, value: bigint): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = (mt << 5) | 27;
  let v = value;
  for (let i = 8; i >= 1; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const o = new Uint8Array(n);
  let i = 0;
  for (const p of parts) {
    o.set(p, i);
    i += p.length;
  }
  return o;
}

const te = new TextEncoder();
const td = new TextDecoder();

/** CBOR initial bytes of every type: used to swap an item's type in place. */
const TYPE_BYTES = [0x00, 0x17, 0x18, 0x20, 0x38, 0x40, 0x58, 0x60, 0x78, 0x80, 0x98, 0xa0, 0xb8, 0xc0, 0xd2, 0xd8, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff, 0x5f, 0x7f, 0x9f, 0xbf, 0x1c, 0xfc];

/** Interesting text fragments for text formats (notes, armor, stanzas, JSON). */
const TEXT_BITS = ['\n', '\n\n', '\r\n', ' ', '\t', '—', '+', '-', '=', '->', '---', '\u0000', '\u2014 ', '0', '18446744073709551616', '-1', '9'.repeat(40), 'A'.repeat(300), '{', '}', '[', ']', '"', '\\', '__proto__', 'null', '\uffff', '\ud800'];

/** All structured mutations of one sample (a fast-check arbitrary of byte arrays). */
export function mutations(samples: readonly Uint8Array[], text = false): fc.Arbitrary<Uint8Array> {
  const sample = fc.constantFrom(...samples);
  const pos = (s: Uint8Array) => fc.nat({ max: Math.max(0, s.length) });
  const bitFlip = sample.chain((s) =>
    fc.tuple(fc.nat({ max: Math.max(0, s.length - 1) }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 3 })).map(([p, bit, n]) => {
      const o = s.slice();
      for (let k = 0; k < n && o.length > 0; k++) o[(p + k * 7) % o.length]! ^= 1 << ((bit + k) % 8);
      return o;
    }),
  );
  const byteSet = sample.chain((s) =>
    fc.tuple(fc.nat({ max: Math.max(0, s.length - 1) }), fc.integer({ min: 0, max: 255 })).map(([p, v]) => {
      const o = s.slice();
      if (o.length > 0) o[p] = v;
      return o;
    }),
  );
  const truncate = sample.chain((s) => pos(s).map((n) => s.slice(0, n)));
  const dropPrefix = sample.chain((s) => pos(s).map((n) => s.slice(n)));
  const extend = fc.tuple(sample, fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([s, e]) => cat(s, e));
  const splice = fc.tuple(sample, sample).chain(([a, b]) => fc.tuple(pos(a), pos(b)).map(([i, j]) => cat(a.slice(0, i), b.slice(j))));
  const insert = sample.chain((s) => fc.tuple(pos(s), fc.uint8Array({ maxLength: 16 })).map(([i, e]) => cat(s.slice(0, i), e, s.slice(i))));
  const deleteRange = sample.chain((s) => fc.tuple(pos(s), fc.integer({ min: 1, max: 64 })).map(([i, n]) => cat(s.slice(0, i), s.slice(i + n))));
  const hugeLen = sample.chain((s) =>
    fc
      .tuple(
        pos(s),
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom(2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 2n ** 32n, 2n ** 31n - 1n, 0xffffffffn, 1_000_000_000n),
        fc.boolean(),
      )
      .map(([i, mt, v, replace]) => {
        const h = hugeHead(mt, v);
        return replace ? cat(s.slice(0, i), h, s.slice(i + 1)) : cat(s.slice(0, i), h, s.slice(i));
      }),
  );
  const deep = fc.tuple(sample, fc.constantFrom(0x81, 0xa1, 0xd2, 0x9f), fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([s, b, n, wrap]) => {
    const prefix = new Uint8Array(n).fill(b);
    return wrap ? cat(prefix, s) : cat(s.slice(0, Math.floor(s.length / 2)), prefix);
  });
  const wrongType = sample.chain((s) =>
    fc.tuple(pos(s), fc.constantFrom(...TYPE_BYTES)).map(([i, t]) => {
      const o = s.slice();
      if (o.length > 0) o[Math.min(i, o.length - 1)] = t;
      return o;
    }),
  );
  const arms: fc.Arbitrary<Uint8Array>[] = [bitFlip, byteSet, truncate, dropPrefix, extend, splice, insert, deleteRange, hugeLen, deep, wrongType];
  if (text) {
    const lines = (s: Uint8Array) => td.decode(s).split('\n');
    const lineOps = sample.chain((s) => {
      const ls = lines(s);
      return fc
        .tuple(fc.nat({ max: ls.length - 1 }), fc.nat({ max: ls.length - 1 }), fc.constantFrom('dup', 'del', 'swap', 'insert', 'edit', 'rep'), fc.constantFrom(...TEXT_BITS), fc.nat())
        .map(([i, j, op, bit, k]) => {
          const o = ls.slice();
          const li = o[i] ?? '';
          if (op === 'dup') o.splice(i, 0, li);
          else if (op === 'del') o.splice(i, 1);
          else if (op === 'swap') [o[i], o[j]] = [o[j] ?? '', li];
          else if (op === 'insert') o.splice(i, 0, bit);
          else if (op === 'rep') o[i] = li.repeat(1 + (k % 50));
          else {
            const c = li.length === 0 ? 0 : k % (li.length + 1);
            o[i] = li.slice(0, c) + bit + li.slice(c);
          }
          return te.encode(o.join('\n'));
        });
    });
    arms.push(lineOps, lineOps, fc.string({ maxLength: 300 }).map((x) => te.encode(x)));
  }
  return fc.oneof(...arms);
}

/** Arbitrary bytes, half of them shaped like CBOR (starting with a plausible head). */
export function arbitraryBytes(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.tuple(fc.constantFrom(...TYPE_BYTES), fc.uint8Array({ maxLength: 200 })).map(([h, r]) => cat(Uint8Array.of(h), r)),
  );
}

/** Values of the wrong type, size or shape for JSON documents. */
const JSON_WRONG: readonly unknown[] = [
  null, true, 0, -1, 1e308, 2 ** 53 + 2, 0.5, '', 'x'.repeat(100_000), '\u0000', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00',
  [], {}, [null], { __proto__: { polluted: true } }, JSON.parse('{"__proto__":{"polluted":true}}'), 'constructor', ['a', 1, null],
];

const DEEP_MARK = '@@custos-deep@@';

function jsonPaths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => jsonPaths(x, [...prefix, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) jsonPaths(x, [...prefix, k], out);
  return out;
}

function setPath(root: unknown, path: readonly (string | number)[], f: (old: unknown) => unknown, remove: boolean): unknown {
  if (path.length === 0) return f(root);
  const copy: unknown = structuredClone(root);
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = f(cur[last]);
  return copy;
}

/**
 * JSON-tree mutations: replace a value anywhere with one of the wrong type, delete a field,
 * add an unknown one, duplicate an array element, or nest it deeply. Yields UTF-8 JSON text.
 */
export function jsonTreeMutations(docs: readonly unknown[]): fc.Arbitrary<Uint8Array> {
  return fc.constantFrom(...docs).chain((doc) => {
    const paths = jsonPaths(doc);
    return fc
      .tuple(fc.constantFrom(...paths), fc.constantFrom('wrong', 'delete', 'unknown', 'dup', 'deep', 'string'), fc.constantFrom(...JSON_WRONG), fc.integer({ min: 1, max: 5000 }), fc.string({ maxLength: 40 }))
      .map(([path, op, wrong, n, str]) => {
        let out: unknown;
        if (op === 'wrong') out = setPath(doc, path, () => wrong, false);
        else if (op === 'delete') out = path.length === 0 ? {} : setPath(doc, path, () => undefined, true);
        else if (op === 'string') out = setPath(doc, path, () => str, false);
        else if (op === 'deep') out = setPath(doc, path, () => DEEP_MARK, false);
        else if (op === 'dup') out = setPath(doc, path, (old) => (Array.isArray(old) ? [...old, ...old] : old), false);
        else out = setPath(doc, path, (old) => (old !== null && typeof old === 'object' && !Array.isArray(old) ? { ...old, [str || 'extra']: wrong } : old), false);
        // Deep nesting is spliced into the text: JSON.stringify itself would overflow the stack.
        return te.encode((JSON.stringify(out) ?? 'null').replace(`"${DEEP_MARK}"`, '['.repeat(n) + 'null' + ']'.repeat(n)));
      });
  });
}

// ---- checking one case -----------------------------------------------------------------------

export interface CaseResult {
  readonly threw: boolean;
  readonly code?: string;
  readonly ms: number;
  readonly rssGrowth: number;
  readonly finding?: string;
}

/** Runs one input through a target and returns a finding string when something is wrong. */
export async function runCase<R>(t: Target<R>, input: Uint8Array): Promise<CaseResult> {
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let finding: string | undefined;
  let threw = false;
  let code: string | undefined;
  try {
    const r = await t.run(input);
    const o = t.oracle?.(input, r);
    if (o !== undefined) finding = `oracle: ${o}`;
    counters.accepted++;
  } catch (e) {
    threw = true;
    counters.rejected++;
    if (!(e instanceof CustosError)) {
      finding = `non-CustosError escaped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    } else {
      code = e.code;
      if (!Object.hasOwn(ERROR_CODES, e.code)) finding = `undocumented code ${e.code}`;
      else if (t.codes !== undefined && !t.codes.includes(e.code)) finding = `unexpected code ${e.code}`;
    }
  }
  const ms = performance.now() - t0;
  const rssGrowth = process.memoryUsage().rss - rss0;
  counters.cases++;
  if (finding === undefined && ms > (t.timeMs ?? DEFAULT_TIME_MS)) finding = `took ${ms.toFixed(0)} ms`;
  if (finding === undefined && rssGrowth > (t.rssBytes ?? DEFAULT_RSS_BYTES)) finding = `rss grew ${(rssGrowth / 1048576).toFixed(0)} MiB`;
  return { threw, ms, rssGrowth, ...(code !== undefined ? { code } : {}), ...(finding !== undefined ? { finding } : {}) };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * Fuzzes a target with mutations of its samples and with arbitrary bytes. Throws (failing the
 * test) with the seed, path and input hex of the first minimal counterexample.
 */
export async function fuzz<R>(t: Target<R>, opts: { runs?: number; seed?: number; path?: string } = {}): Promise<void> {
  const runs = opts.runs ?? RUNS;
  const arbs: [string, fc.Arbitrary<Uint8Array>][] = [
    ['mutations', mutations(t.samples, t.text ?? false)],
    ['arbitrary', arbitraryBytes()],
  ];
  if (t.extra !== undefined && t.extra.length > 0) arbs.push(['format-aware', fc.oneof(...t.extra)]);
  for (const [label, arb] of arbs) {
    const details = await fc.check(
      fc.asyncProperty(arb, async (input) => {
        const r = await runCase(t, input);
        if (r.finding !== undefined) throw new Error(r.finding);
      }),
      {
        numRuns: label === 'arbitrary' ? Math.max(10, Math.floor(runs / 3)) : runs,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(opts.path !== undefined ? { path: opts.path } : {}),
      },
    );
    if (details.failed) {
      const input = details.counterexample?.[0];
      throw new Error(
        `${t.name} (${label}) seed=${details.seed} path=${details.counterexamplePath ?? ''}: ${String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance)}` +
          (input instanceof Uint8Array ? ` input(${input.length})=${hex(input).slice(0, 400)}` : ''),
      );
    }
  }
}

/** Every truncation of every sample (the "truncation at every length" sweep); returns finding list. */
export async function truncationSweep<R>(t: Target<R>, maxPerSample = 4096): Promise<string[]> {
  const out: string[] = [];
  for (const s of t.samples) {
    const step = Math.max(1, Math.ceil(s.length / maxPerSample));
    for (let n = 0; n < s.length; n += step) {
      const r = await runCase(t, s.subarray(0, n));
      if (r.finding !== undefined) out.push(`${t.name} truncated to ${n}: ${r.finding}`);
    }
  }
  return out;
}

/** Flips every bit... of every byte position (capped) of every sample; returns findings. */
export async function byteFlipSweep<R>(t: Target<R>, maxPerSample = 4096): Promise<string[]> {
  const out: string[] = [];
  for (const s of t.samples) {
    const step = Math.max(1, Math.ceil(s.length / maxPerSample));
    for (let p = 0; p < s.length; p += step) {
      const o = s.slice();
      o[p]! ^= 0x01 << (p % 8);
      const r = await runCase(t, o);
      if (r.finding !== undefined) out.push(`${t.name} flip at ${p}: ${r.finding}`);
    }
  }
  return out;
}

/** True when `input` equals one of the samples byte for byte. */
export function isSample(samples: readonly Uint8Array[], input: Uint8Array): boolean {
  return samples.some((s) => s.length === input.length && s.every((b, i) => b === input[i]));
}
