import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8, toHex, utf8 } from '../../src/bytes.js';
import { SigningKey } from '../../src/keys/signing.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/log/checkpoint.js';
import { cosign, cosignatureMessage, cosignatureTime } from '../../src/log/cosignature.js';
import { parseNote, signNote, verifyNote } from '../../src/log/note.js';
import {
  NOTE_TYPE_COSIGNATURE,
  formatVerifierKey,
  generateNoteKey,
  noteSigner,
  noteVerifier,
  parseSignerKey,
  parseVerifierKey,
} from '../../src/log/notekeys.js';
import { verifyCheckpoint } from '../../src/log/witness.js';

const V = new URL('../vectors/c2sp-notes/', import.meta.url).pathname;
const read = (f: string) => readFileSync(V + f, 'utf8');

describe('c2sp-notes vectors', () => {
  it('signed-note example: foo vkey verifies the foo note', () => {
    const v = parseVerifierKey(read('signed-note_example-foo.vkey.txt').trim());
    expect(v.keyId.toString(16)).toBe('530d903a');
    expect(formatVerifierKey(v)).toBe(read('signed-note_example-foo.vkey.txt').trim());
    const r = verifyNote(read('signed-note_example-foo.note.txt'), [v]);
    expect(r.ok).toBe(true);
    expect(r.text).toBe('This is an example message.\n');
    // a flipped character in the text: the known key now rejects the note
    const bad = verifyNote(read('signed-note_example-foo.note.txt').replace('example', 'exampel'), [v]);
    expect(bad.ok).toBe(false);
    expect(bad.code).toBe('ERR_NOTE_SIGNATURE');
  });
  it('quasimodo: the text is split at the last blank line', () => {
    const n = parseNote(read('signed-note_intro-quasimodo.note.txt'));
    expect(n.text).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n');
    expect(n.signatures).toHaveLength(1);
    expect(n.signatures[0]!.name).toBe('quasimodo.example/salvatore');
    // no trusted key: the note is rejected, the unknown signature ignored
    const foo = parseVerifierKey(read('signed-note_example-foo.vkey.txt').trim());
    const r = verifyNote(read('signed-note_intro-quasimodo.note.txt'), [foo]);
    expect(r.code).toBe('ERR_NOTE_UNVERIFIED');
    expect(r.unknown).toHaveLength(1);
  });
  it('behind-the-sofa checkpoint parses', () => {
    const n = parseNote(read('tlog-checkpoint_behind-the-sofa.checkpoint.txt'));
    const cp = parseCheckpoint(n.text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(formatCheckpoint(cp)).toBe(n.text);
  });
  it('cosigned checkpoint: witness signature = key ID 8d66cf3f ‖ time 1679315147 ‖ sig', () => {
    const n = parseNote(read('tlog-cosignature_behind-the-sofa-cosigned.checkpoint.txt'));
    const w = n.signatures.find((s) => s.name === 'witness.example.com/w1')!;
    expect(w.keyId.toString(16)).toBe('8d66cf3f');
    expect(cosignatureTime(w.signature)).toBe(1679315147);
    expect(fromUtf8(cosignatureMessage(utf8(n.text), 1679315147))).toBe(read('tlog-cosignature_ed25519-signed-message.txt'));
  });
});

describe('signed notes', () => {
  const key = SigningKey.generate();
  const signer = noteSigner('log.example/custody', key);
  const verifier = noteVerifier('log.example/custody', key.publicKey);
  const other = noteSigner('other.example/x', SigningKey.generate());

  it('sign → verify, unknown signers ignored', () => {
    const note = signNote('hello\n\nworld\n', [signer, other]);
    const r = verifyNote(note, [verifier]);
    expect(r.ok).toBe(true);
    expect(r.text).toBe('hello\n\nworld\n');
    expect(r.unknown.map((u) => u.name)).toEqual(['other.example/x']);
  });
  it('same name, different key ID is unknown (ignored), not a failure', () => {
    const impostor = noteSigner('log.example/custody', SigningKey.generate());
    const note = signNote('x\n', [impostor, signer]);
    expect(verifyNote(note, [verifier]).ok).toBe(true);
    expect(verifyNote(signNote('x\n', [impostor]), [verifier]).code).toBe('ERR_NOTE_UNVERIFIED');
  });
  it('known key with a bad signature rejects the whole note even if another verifies', () => {
    const good = signNote('x\n', [signer]);
    const forged = good.replace('x\n', 'y\n');
    expect(verifyNote(forged, [verifier]).code).toBe('ERR_NOTE_SIGNATURE');
    const twoKeys = signNote('x\n', [signer, other]);
    const lines = twoKeys.split('\n');
    // corrupt the first (known) signature's last base64 character
    const sigLine = lines[2]!;
    lines[2] = sigLine.slice(0, -3) + (sigLine.at(-3) === 'A' ? 'B' : 'A') + sigLine.slice(-2);
    const r = verifyNote(lines.join('\n'), [verifier, noteVerifier('other.example/x', (other as unknown as { publicKey: Uint8Array }).publicKey)]);
    expect(r.ok).toBe(false);
    expect(r.code).toBe('ERR_NOTE_SIGNATURE');
  });
  it('rejects duplicate signature lines, malformed notes and control characters', () => {
    const note = signNote('x\n', [signer]);
    const dup = note + note.split('\n')[2] + '\n';
    expect(verifyNote(dup, [verifier]).code).toBe('ERR_NOTE_MALFORMED');
    for (const bad of [
      'no blank line\n— a AAAAAAA=\n',
      'x\n\n— a AAAAAAA=',
      'x\n\n- a AAAAAAA=\n',
      'x\n\n— a+b AAAAAAAA\n',
      'x\n\n— a AAAA\n',
      'x\r\n\n' + note.split('\n')[2] + '\n',
      'x\n\n— a !!!!\n',
      'x\n\n\n',
    ]) {
      expect(verifyNote(bad, [verifier]).ok).toBe(false);
      expect(() => parseNote(bad)).toThrow();
    }
    expect(() => parseNote(new Uint8Array([0x78, 0x0a, 0x0a, 0xff, 0x0a]))).toThrow(expect.objectContaining({ code: 'ERR_ENCODING' }));
  });
  it('vkey / skey text forms round-trip and validate', () => {
    const { skey, vkey } = generateNoteKey('log.example/a');
    expect(skey).toMatch(/^PRIVATE\+KEY\+log\.example\/a\+[0-9a-f]{8}\+/);
    const s = parseSignerKey(skey);
    const v = parseVerifierKey(vkey);
    expect(verifyNote(signNote('t\n', [s]), [v]).ok).toBe(true);
    expect(formatVerifierKey(v)).toBe(vkey);
    const [n, id, b] = [vkey.slice(0, vkey.indexOf('+')), vkey.split('+')[1]!, vkey.slice(vkey.indexOf('+', vkey.indexOf('+') + 1) + 1)];
    const wrongId = `${n}+${id === '00000000' ? '00000001' : '00000000'}+${b}`;
    expect(() => parseVerifierKey(wrongId)).toThrow(expect.objectContaining({ code: 'ERR_KEY_FORMAT' }));
    expect(() => parseVerifierKey('a+b')).toThrow(expect.objectContaining({ code: 'ERR_KEY_FORMAT' }));
    expect(() => parseSignerKey('PRIVATE+KEY+a+00000000+AAAA')).toThrow(expect.objectContaining({ code: 'ERR_KEY_FORMAT' }));
    // error messages never contain the secret
    try {
      parseSignerKey(skey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'));
    } catch (e) {
      expect((e as Error).message).not.toContain(skey.split('+')[4]!);
    }
  });
});

describe('checkpoints, cosignatures and witness policies', () => {
  const logKey = SigningKey.generate();
  const log = noteSigner('example.org/log', logKey);
  const logV = noteVerifier('example.org/log', logKey.publicKey);
  const ws = [0, 1, 2].map((i) => {
    const k = SigningKey.generate();
    return { s: noteSigner(`witness${i}.example`, k, NOTE_TYPE_COSIGNATURE), v: noteVerifier(`witness${i}.example`, k.publicKey, NOTE_TYPE_COSIGNATURE) };
  });
  const body = formatCheckpoint({ origin: 'example.org/log', size: 42, root: new Uint8Array(32).fill(7) });
  const signed = signNote(body, [log]);

  it('verifies with the log key; origin checked', () => {
    const r = verifyCheckpoint(signed, [logV]);
    expect(r.ok).toBe(true);
    expect(r.checkpoint?.size).toBe(42);
    expect(verifyCheckpoint(signed, [formatVerifierKey(logV)]).ok).toBe(true);
    expect(verifyCheckpoint(signed, { log: [logV], origin: 'example.org/other' }).code).toBe('ERR_CHECKPOINT_ORIGIN');
  });
  it('a witness cosignature alone never counts as the log signature', () => {
    const onlyWitness = signNote(body, [{ name: ws[0]!.s.name, keyId: ws[0]!.s.keyId, sign: (t) => new Uint8Array(72) }]);
    expect(verifyCheckpoint(onlyWitness, { log: [logV], witnesses: [ws[0]!.v], quorum: 1 }).ok).toBe(false);
  });
  it('N-of-M quorum', () => {
    const t = 1_700_000_000;
    let c = cosign(signed, ws[0]!.s, { time: t });
    const msg = cosignatureMessage(utf8(body), t);
    expect(toHex(msg).length).toBeGreaterThan(0);
    const policy = { log: [logV], witnesses: ws.map((w) => w.v), quorum: 2, now: t };
    expect(verifyCheckpoint(c, policy).code).toBe('ERR_WITNESS_QUORUM');
    c = cosign(c, ws[2]!.s, { time: t + 1 });
    const r = verifyCheckpoint(c, policy);
    expect(r.ok).toBe(true);
    expect(r.cosignedBy.map((x) => x.timestamp).sort()).toEqual([t, t + 1]);
    // the quorum (2) was reached when the second witness cosigned
    expect(r.quorumAt).toBe(t + 1);
    expect(verifyCheckpoint(c, { ...policy, quorum: 1 }).quorumAt).toBe(t);
    expect(verifyCheckpoint(c, { log: [logV] }).quorumAt).toBeUndefined();
    // cosigning twice with the same witness is refused (duplicate line)
    expect(() => cosign(c, ws[2]!.s, { time: t + 2 })).toThrow();
    // a future timestamp is rejected
    const future = cosign(signed, ws[1]!.s, { time: t + 100000 });
    expect(verifyCheckpoint(future, { ...policy, quorum: 1 }).code).toBe('ERR_COSIGNATURE_INVALID');
    // a tampered cosignature: timestamp changed, signature no longer matches
    const lines = c.trimEnd().split('\n');
    const last = lines.at(-1)!;
    const parts = last.split(' ');
    const raw = Buffer.from(parts[2]!, 'base64');
    raw[11]! ^= 1; // inside the timestamp
    lines[lines.length - 1] = `${parts[0]} ${parts[1]} ${raw.toString('base64')}`;
    expect(verifyCheckpoint(lines.join('\n') + '\n', policy).code).toBe('ERR_COSIGNATURE_INVALID');
  });
  it('quorumAt is when the quorum-th distinct witness had cosigned, whatever the order of the lines (property)', () => {
    const t0 = 1_700_000_000;
    fc.assert(
      fc.property(fc.subarray([0, 1, 2], { minLength: 1 }), fc.array(fc.nat(10_000), { minLength: 3, maxLength: 3 }), fc.nat(2), (who, offsets, q) => {
        let c = signed;
        for (const i of who) c = cosign(c, ws[i]!.s, { time: t0 + offsets[i]! });
        const quorum = Math.min(q + 1, ws.length);
        const r = verifyCheckpoint(c, { log: [logV], witnesses: ws.map((w) => w.v), quorum, now: t0 + 20_000 });
        if (who.length < quorum) return r.code === 'ERR_WITNESS_QUORUM' && r.quorumAt === undefined;
        const times = who.map((i) => t0 + offsets[i]!).sort((a, b) => a - b);
        return r.ok && r.quorumAt === times[quorum - 1];
      }),
      { numRuns: Number(process.env['CUSTOS_FC_RUNS'] ?? 30) },
    );
  });
  // Attacks on key windows: a revoked witness back-dating nothing (its cosignature after the
  // revocation must not count), a revoked log key signing a new checkpoint (judged at the
  // witnessed time, not at any time the log states), a windowed log key without witnesses
  // (no time can be established: refused, never assumed valid).
  it('witness and log key windows: a cosignature counts only inside its key window; a log key is judged at the witnessed time', () => {
    const t = 1_700_000_000;
    const c = cosign(cosign(signed, ws[0]!.s, { time: t }), ws[1]!.s, { time: t + 50 });
    const base = { log: [logV], now: t + 100 };
    // witness 1 revoked at t + 10: its cosignature at t + 50 does not count, and is reported
    const revoked = verifyCheckpoint(c, { ...base, witnesses: [ws[0]!.v, { key: ws[1]!.v, revokedAt: t + 10 }], quorum: 2 });
    expect(revoked.ok).toBe(false);
    expect(revoked.checks.some((x) => x.code === 'ERR_KEY_NOT_VALID')).toBe(true);
    expect(revoked.checks.find((x) => x.check === 'witness.quorum')?.code).toBe('ERR_WITNESS_QUORUM');
    // revoked after it cosigned: counts
    expect(verifyCheckpoint(c, { ...base, witnesses: [ws[0]!.v, { key: ws[1]!.v, revokedAt: t + 51 }], quorum: 2 }).ok).toBe(true);
    // a witness key not yet valid
    expect(verifyCheckpoint(c, { ...base, witnesses: [{ key: ws[0]!.v, notBefore: t + 1 }, ws[1]!.v], quorum: 2 }).ok).toBe(false);
    // the log key, revoked before the quorum was reached (t + 50), fails whatever the checkpoint says
    const w2 = { witnesses: [ws[0]!.v, ws[1]!.v], quorum: 2 };
    const logRevoked = verifyCheckpoint(c, { ...base, ...w2, log: [{ key: logV, revokedAt: t + 49 }] });
    expect(logRevoked.ok).toBe(false);
    expect(logRevoked.checks.find((x) => x.check === 'checkpoint.logKeyValid')?.code).toBe('ERR_KEY_NOT_VALID');
    expect(verifyCheckpoint(c, { ...base, ...w2, log: [{ key: logV, revokedAt: t + 50 }] }).ok).toBe(false);
    expect(verifyCheckpoint(c, { ...base, ...w2, log: [{ key: logV, revokedAt: t + 51 }] }).ok).toBe(true);
    expect(verifyCheckpoint(c, { ...base, ...w2, log: [{ key: logV, notBefore: t + 60 }] }).ok).toBe(false);
    // a windowed log key with no witness quorum: no time can be established
    expect(verifyCheckpoint(c, { ...base, log: [{ key: logV, notBefore: t - 100 }] }).code).toBe('ERR_KEY_NOT_VALID');
    // a window-less log key needs no witnesses (as before)
    expect(verifyCheckpoint(c, { ...base, log: [{ key: logV }] }).ok).toBe(true);
  });
  it('checkpoint body validation', () => {
    for (const bad of ['o\n01\n' + 'A'.repeat(43) + '=\n', 'o\n1\nAAAA\n', 'o\n1\n', '\n1\n' + 'A'.repeat(43) + '=\n', 'o\n1\n' + 'A'.repeat(43) + '=\n\n']) {
      expect(() => parseCheckpoint(bad)).toThrow();
    }
    expect(parseCheckpoint('o\n0\n' + 'A'.repeat(43) + '=\next\n').extensions).toEqual(['ext']);
  });
});
