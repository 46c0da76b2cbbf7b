/**
 * Hostile input against the transparency-log text formats: signed notes, checkpoints, witness
 * cosignatures (with a quorum policy), verifier and signer key strings, and the real Tessera
 * checkpoint. A verified report must always describe exactly the signed body.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/bytes.js';
import { SigningKey } from '../../src/keys/signing.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/log/checkpoint.js';
import { cosign } from '../../src/log/cosignature.js';
import { parseNote, signNote, verifyNote } from '../../src/log/note.js';
import { formatVerifierKey, noteSigner, NOTE_TYPE_COSIGNATURE, parseSignerKey, parseVerifierKey } from '../../src/log/notekeys.js';
import { verifyCheckpoint, type CheckpointReport } from '../../src/log/witness.js';
import type { NoteReport } from '../../src/log/note.js';
import { byteFlipSweep, counters, fuzz, truncationSweep, type Target } from './harness.js';

const VEC = new URL('../vectors/', import.meta.url).pathname;
const td = new TextDecoder();
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

const logKey = noteSigner('log.example.org/custody', SigningKey.fromSecret(new Uint8Array(32).fill(11)));
const w1 = noteSigner('witness.example/w1', SigningKey.fromSecret(new Uint8Array(32).fill(12)), NOTE_TYPE_COSIGNATURE);
const w2 = noteSigner('witness.example/w2', SigningKey.fromSecret(new Uint8Array(32).fill(13)), NOTE_TYPE_COSIGNATURE);
const root = new Uint8Array(32).map((_, i) => i * 7);
const body = formatCheckpoint({ origin: 'log.example.org/custody', size: 4242, root, extensions: ['ext one'] });
const signed = signNote(body, [logKey]);
const cosigned = cosign(cosign(signed, w1, { time: 1_700_000_000 }), w2, { time: 1_700_000_100 });
const vkey = formatVerifierKey(logKey);
const policy = { log: [vkey], witnesses: [formatVerifierKey(w1), formatVerifierKey(w2)], quorum: 2, origin: 'log.example.org/custody', now: 1_800_000_000 };

const tessera = readFileSync(`${VEC}tessera-log/log/checkpoint`);
const tesseraKey = readFileSync(`${VEC}tessera-log/VERIFIER_KEY.txt`, 'utf8').match(/example\.com\/log\/testdata\+[0-9a-f]{8}\+\S+/)![0];
const fooNote = readFileSync(`${VEC}c2sp-notes/signed-note_example-foo.note.txt`);
const fooKey = readFileSync(`${VEC}c2sp-notes/signed-note_example-foo.vkey.txt`, 'utf8').trim();

const note: Target<NoteReport> = {
  name: 'verifyNote',
  samples: [utf8(signed), utf8(cosigned), fooNote],
  text: true,
  run: (b) => verifyNote(b, [parseVerifierKey(vkey), parseVerifierKey(fooKey)]),
  oracle: (_b, r) => {
    if (!r.ok) return r.code === undefined ? 'failed report without a code' : undefined;
    return r.text === body || r.text === parseNote(fooNote).text ? undefined : 'verified a note whose text differs from what was signed';
  },
};

const checkpoint: Target<CheckpointReport> = {
  name: 'verifyCheckpoint (2-of-2 witnesses)',
  samples: [utf8(cosigned)],
  text: true,
  run: (b) => verifyCheckpoint(b, policy),
  oracle: (_b, r) => {
    if (!r.ok) return r.code === undefined ? 'failed report without a code' : undefined;
    if (r.cosignedBy.length < 2) return 'quorum met with fewer than 2 cosigners';
    const cp = r.checkpoint!;
    return cp.size === 4242 && eq(cp.root, root) ? undefined : 'verified checkpoint differs from the signed one';
  },
};

const tesseraCp: Target<CheckpointReport> = {
  name: 'verifyCheckpoint (Tessera log)',
  samples: [tessera],
  text: true,
  run: (b) => verifyCheckpoint(b, [tesseraKey]),
  oracle: (b, r) => (r.ok && td.decode(b).split('\n\n')[0] !== td.decode(tessera).split('\n\n')[0] ? 'verified an altered Tessera checkpoint body' : undefined),
};

const cpBody: Target = { name: 'parseCheckpoint', samples: [utf8(body)], text: true, run: (b) => parseCheckpoint(td.decode(b)) };
const keys: Target = {
  name: 'parseVerifierKey / parseSignerKey',
  samples: [utf8(vkey), utf8(tesseraKey), utf8('PRIVATE+KEY+log.example/x+00000000+AQ' + 'A'.repeat(42) + '=')],
  text: true,
  run: (b) => {
    const s = td.decode(b);
    return s.startsWith('PRIVATE') ? parseSignerKey(s) : parseVerifierKey(s);
  },
};

const targets = [note, checkpoint, tesseraCp, cpBody, keys] as Target[];

describe('fuzz: signed notes, checkpoints, cosignatures', () => {
  afterAll(() => console.log(`[adversarial] log-notes: ${counters.cases} cases`));
  it('the samples verify (the harness starts from valid objects)', () => {
    expect(verifyNote(signed, [parseVerifierKey(vkey)]).ok).toBe(true);
    expect(verifyCheckpoint(cosigned, policy).ok).toBe(true);
    expect(verifyCheckpoint(tessera, [tesseraKey]).ok).toBe(true);
  });
  it.each(targets.map((t) => [t.name, t]))('%s survives structured mutations and arbitrary bytes', async (_n, t) => {
    await fuzz(t);
  });
  it.each(targets.map((t) => [t.name, t]))('%s: every truncation and every byte flip', async (_n, t) => {
    expect([...(await truncationSweep(t)), ...(await byteFlipSweep(t))]).toEqual([]);
  });
});
