import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { decode, encode } from '../../src/cbor.js';
import { decodeSign1, signSign1 } from '../../src/cose/sign1.js';
import { RECORD_TYP } from '../../src/redact/commit.js';
import {
  commitRecord,
  decodeDisclosure,
  formatRecordPath as formatPath,
  presentRecord,
  verifyPresentation,
  type Disclosure,
  type RecordPathSegment as PathSegment,
  type RecordMap,
  type RecordValue,
} from '../../src/redact/index.js';
import { encodeDisclosure } from '../../src/redact/disclosure.js';
import { binding, forgePresentation, holderKey, indexOf, issuerKey, trust } from './helpers.js';

const RUNS = Number(process.env.CUSTOS_FC_RUNS ?? 40);

// Small JSON-like records, depth ≤ 3.
const key = fc.constantFrom('a', 'b', 'name', 'ip', 'x y', 'list', 'z.1', 'n');
const leaf: fc.Arbitrary<RecordValue> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 8 }),
);
const { value } = fc.letrec<{ value: RecordValue; map: RecordMap }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 3 }, leaf, tie('map'), fc.array(tie('value'), { maxLength: 4 })),
  map: fc.dictionary(key, tie('value'), { maxKeys: 5, noNullPrototype: true }) as fc.Arbitrary<RecordMap>,
}));
const recordArb = fc.dictionary(key, value, { minKeys: 1, maxKeys: 6, noNullPrototype: true }) as fc.Arbitrary<RecordMap>;

/** Every concrete path in a record (map entries and array elements). */
function allPaths(v: RecordValue, segs: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      const s: PathSegment[] = [...segs, { kind: 'index', index: i }];
      out.push(s);
      allPaths(x, s, out);
    });
  } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    for (const [k, x] of Object.entries(v)) {
      const s: PathSegment[] = [...segs, { kind: 'key', key: k }];
      out.push(s);
      allPaths(x, s, out);
    }
  }
  return out;
}

/** What a recipient should see: redactable entries appear only if disclosed (independent model). */
function project(v: RecordValue, redactable: Set<string>, disclosed: Set<string>, segs: PathSegment[] = []): RecordValue {
  const keep = (s: PathSegment[]) => !redactable.has(formatPath(s)) || disclosed.has(formatPath(s));
  if (Array.isArray(v)) {
    const out: RecordValue[] = [];
    v.forEach((x, i) => {
      const s: PathSegment[] = [...segs, { kind: 'index', index: i }];
      if (keep(s)) out.push(project(x, redactable, disclosed, s));
    });
    return out;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, RecordValue> = {};
    for (const [k, x] of Object.entries(v)) {
      const s: PathSegment[] = [...segs, { kind: 'key', key: k }];
      if (keep(s)) out[k] = project(x, redactable, disclosed, s);
    }
    return out;
  }
  return v;
}

/** Is every disclosure's enclosing redactable entry also chosen? */
function closedUpward(chosen: readonly Disclosure[], all: readonly Disclosure[]): boolean {
  const paths = new Set(chosen.map((d) => d.path));
  const allPathsSet = new Set(all.map((d) => d.path));
  return chosen.every((d) => {
    for (const p of allPathsSet) {
      if (p !== d.path && isAncestorText(p, d.path) && !paths.has(p)) return false;
    }
    return true;
  });
}
function isAncestorText(a: string, b: string): boolean {
  return b.startsWith(a) && (b[a.length] === '.' || b[a.length] === '[');
}

const scenario = recordArb.chain((record) => {
  const paths = allPaths(record);
  return fc.record({
    record: fc.constant(record),
    redactable: fc.subarray(paths.map((p) => formatPath(p))),
    mask: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
    bucket: fc.integer({ min: 1, max: 5 }),
  });
});

describe('selective disclosure properties', () => {
  it('a disclosed subset verifies iff it is closed upward, and then equals the projection', () => {
    fc.assert(
      fc.property(scenario, ({ record, redactable, mask, bucket }) => {
        const c = commitRecord(record, { redactable, signer: issuerKey, bucket });
        expect(c.disclosures.length).toBe(redactable.length);
        const chosen = c.disclosures.filter((_, i) => mask[i % mask.length]);
        const pres = forgePresentation(c.bytes, chosen.map((d) => d.bytes), holderKey);
        const r = verifyPresentation(pres, { trust, expect: binding });
        if (closedUpward(chosen, c.disclosures)) {
          expect(r.report.failures).toEqual([]);
          expect(r.record).toEqual(project(record, new Set(redactable), new Set(chosen.map((d) => d.path))));
          // and the honest path agrees
          const honest = verifyPresentation(presentRecord(c, chosen, { ...binding, signer: holderKey }), { trust, expect: binding });
          expect(honest.record).toEqual(r.record);
        } else {
          expect(r.ok).toBe(false);
          expect(r.report.failures.map((f) => f.code)).toContain('ERR_DISCLOSURE_UNREFERENCED');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('every byte flip of a presentation is caught', () => {
    const record = { a: 'alpha', list: ['x', 'y', { ip: '192.0.2.1' }], n: 7 };
    const c = commitRecord(record, { redactable: ['a', 'list[*]', 'list[2].ip'], signer: issuerKey, bucket: 2 });
    const pres = presentRecord(c, c.disclosures.filter((d) => d.path !== 'list[0]'), { ...binding, signer: holderKey });
    expect(verifyPresentation(pres, { trust, expect: binding }).ok).toBe(true);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: pres.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const t = pres.slice();
        t[i]! ^= x;
        expect(verifyPresentation(t, { trust, expect: binding }).ok).toBe(false);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('a changed value, salt or digest fails even when the holder re-signs', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), fc.constantFrom('value', 'salt', 'digest'), ({ record, redactable, bucket }, pick, what) => {
        fc.pre(redactable.length > 0);
        const c = commitRecord(record, { redactable, signer: issuerKey, bucket });
        const all = c.disclosures.map((d) => d.bytes);
        const i = pick % all.length;
        const d = decodeDisclosure(all[i]!);
        let changed: Uint8Array;
        if (what === 'value') changed = encodeDisclosure(d.salt, typeof d.value === 'string' ? `${d.value}!` : 'changed', d.key);
        else if (what === 'salt') {
          const s = d.salt.slice();
          s[pick % 16]! ^= 1;
          changed = encodeDisclosure(s, d.value, d.key);
        } else {
          // the committed record's digest changes: flip a byte of one digest in the payload and re-sign as issuer
          changed = all[i]!;
        }
        let committed = c.bytes;
        const list = all.map((b, j) => (j === i ? changed : b));
        if (what === 'digest') {
          // flip one bit of the digest where it is committed: the signed payload (issuer re-signs)
          // or, for a nested entry, the enclosing disclosure
          const payload = decodeSign1(c.bytes).payload!;
          const at = indexOf(payload, d.digest);
          if (at >= 0) {
            const p2 = payload.slice();
            p2[at + (pick % 32)]! ^= 1;
            committed = reSignRecord(decode(p2, { allowedTags: [60] }) as Map<string, unknown>);
          } else {
            const j = all.findIndex((b) => indexOf(b, d.digest) >= 0);
            expect(j).toBeGreaterThanOrEqual(0);
            const b2 = all[j]!.slice();
            b2[indexOf(b2, d.digest) + (pick % 32)]! ^= 1;
            list[j] = b2;
          }
        }
        const r = verifyPresentation(forgePresentation(committed, list, holderKey), { trust, expect: binding });
        expect(r.ok).toBe(false);
        expect(r.report.failures.map((f) => f.code)).toContain('ERR_DISCLOSURE_UNREFERENCED');
      }),
      { numRuns: RUNS },
    );
  });

  it('a presentation contains no withheld value and no withheld salt', () => {
    const uniq = fc.uniqueArray(fc.stringMatching(/^[a-z]{6}$/), { minLength: 12, maxLength: 12 });
    fc.assert(
      fc.property(uniq, fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), (words, mask) => {
        const w = words.map((x) => `secret-${x}`);
        const record = {
          subscriber: { name: w[0]!, msisdn: w[1]!, address: { street: w[2]!, city: w[3]! } },
          sessions: [{ ip: w[4]!, note: w[5]! }, { ip: w[6]!, note: w[7]! }],
          tags: [w[8]!, w[9]!],
          body: utf8(w[10]!),
          plain: w[11]!,
        };
        const redactable = ['subscriber', 'subscriber.*', 'subscriber.address.*', 'sessions[*]', 'sessions[*].*', 'tags[*]', 'body'];
        const c = commitRecord(record, { redactable, signer: issuerKey });
        const chosen = c.disclosures.filter((_d, i) => mask[i % 16]);
        // close upward: add the containers of what was picked
        const picked = new Set(chosen.map((d) => d.path));
        for (const d of c.disclosures) for (const p of [...picked]) if (isAncestorText(d.path, p)) picked.add(d.path);
        const final = c.disclosures.filter((d) => picked.has(d.path));
        const pres = presentRecord(c, final, { ...binding, signer: holderKey });
        const r = verifyPresentation(pres, { trust, expect: binding });
        expect(r.ok).toBe(true);
        const visible = JSON.stringify(r.record, (_k, v: unknown) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v));
        for (const s of w) {
          const shown = visible.includes(s);
          expect(indexOf(pres, utf8(s)) >= 0).toBe(shown);
        }
        for (const d of c.disclosures) {
          if (picked.has(d.path)) continue;
          expect(indexOf(pres, decodeDisclosure(d.bytes).salt)).toBe(-1);
          expect(indexOf(pres, d.bytes)).toBe(-1);
        }
        // the committed record alone shows only the plain field
        for (const s of w.slice(0, 11)) expect(indexOf(c.bytes, utf8(s))).toBe(-1);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('decoys', () => {
  function sdLength(bytes: Uint8Array): { sd: number; list: number } {
    const p = decode(decodeSign1(bytes).payload!, { allowedTags: [60] }) as Map<string, unknown>;
    const rec = p.get('record') as Map<string, unknown>;
    return { sd: (rec.get('_sd') as unknown[] | undefined)?.length ?? 0, list: (rec.get('list') as unknown[]).length };
  }
  it('records with 1..bucket redacted fields look the same (digest counts and sizes)', () => {
    for (const bucket of [4, 8]) {
      const shapes = new Set<string>();
      for (let k = 1; k <= bucket; k++) {
        const record: Record<string, RecordValue> = { list: [] };
        const list: string[] = [];
        for (let i = 0; i < k; i++) {
          record[`f${i}`] = `value-${i}`;
          list.push(`item-${i}`);
        }
        record.list = list;
        const c = commitRecord(record, { redactable: ['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'list[*]'].slice(0, k).concat(['list[*]']), signer: issuerKey, bucket, issuedAt: 1_800_000_000_000 });
        const { sd, list: n } = sdLength(c.bytes);
        expect(sd).toBe(bucket);
        expect(n).toBe(bucket);
        shapes.add(`${sd}/${n}/${c.bytes.length}`);
      }
      expect(shapes.size).toBe(1);
      // one more field crosses the bucket and shows
      const record: Record<string, RecordValue> = { list: [] };
      for (let i = 0; i <= bucket; i++) record[`f${i}`] = `value-${i}`;
      const c = commitRecord(record, { redactable: Object.keys(record).filter((k) => k !== 'list'), signer: issuerKey, bucket });
      expect(sdLength(c.bytes).sd).toBe(2 * bucket);
    }
  });
  it('map digests are sorted and decoys never verify as disclosures', () => {
    const c = commitRecord({ a: 1, b: 2, c: 3 }, { redactable: ['a', 'b', 'c'], signer: issuerKey, bucket: 8 });
    const p = decode(decodeSign1(c.bytes).payload!, { allowedTags: [60] }) as Map<string, unknown>;
    const sd = (p.get('record') as Map<string, unknown>).get('_sd') as Uint8Array[];
    const hex = sd.map((d) => Buffer.from(d).toString('hex'));
    expect([...hex].sort()).toEqual(hex);
    const r = verifyPresentation(presentRecord(c, c.disclosures, { ...binding, signer: holderKey }), { trust, expect: binding });
    expect(r.record).toEqual({ a: 1, b: 2, c: 3 });
    expect(r.report.digests).toBe(8);
  });
});

function reSignRecord(payload: Map<string, unknown>): Uint8Array {
  return signSign1(encode(payload, { allowedTags: [60] }), issuerKey, { protectedHeaders: new Map([[16, RECORD_TYP]]) });
}

describe('hostile input', () => {
  it('verifyPresentation never throws on arbitrary bytes, truncations or splices', () => {
    const c = commitRecord({ a: 'x', list: [1, 2] }, { redactable: ['a', 'list[*]'], signer: issuerKey });
    const pres = presentRecord(c, c.disclosures, { ...binding, signer: holderKey });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.nat({ max: pres.length - 1 }).map((n) => pres.subarray(0, n)),
          fc.tuple(fc.nat({ max: pres.length }), fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([at, junk]) => new Uint8Array([...pres.subarray(0, at), ...junk, ...pres.subarray(at)])),
        ),
        (bytes) => {
          const r = verifyPresentation(bytes, { trust, expect: binding });
          expect(r.ok).toBe(false);
          expect(r.record).toBeUndefined();
          expect(r.report.failures.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: RUNS * 5 },
    );
  });
});
