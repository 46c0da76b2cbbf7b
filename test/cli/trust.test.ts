/**
 * `custos trust init|add|revoke|list` on real files, through the built CLI. What could go wrong
 * for a verifier's trust store, each tested: a partial write (a refused change must leave the
 * file byte for byte as it was, no temp left), a key file's secrets copied into the store, a
 * quorum no checkpoint can meet, a duplicate authority silently replacing another, a revocation
 * recorded on the wrong key or with an unparseable time, an existing store overwritten by init.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrustStore } from '../../src/keys/trust.js';
import { generateNoteKey, NOTE_TYPE_COSIGNATURE } from '../../src/log/notekeys.js';
import { buildCli, cleanupCli, runCli } from './build.js';

let cli: string;
let dir: string;
const custos = (args: string[]) => runCli(cli, args);
const log = generateNoteKey('log.example.eu/custody');
const w1 = generateNoteKey('witness1.example', NOTE_TYPE_COSIGNATURE);
const w2 = generateNoteKey('witness2.example', NOTE_TYPE_COSIGNATURE);

beforeAll(async () => {
  cli = await buildCli();
  dir = mkdtempSync(join(tmpdir(), 'custos-trust-'));
  for (const id of ['IE-P', 'AT-R']) expect(custos(['keygen', '--id', id, '--jurisdiction', id.slice(0, 2), '-o', join(dir, `${id}.key`)]).code).toBe(0);
  const pub = custos(['pubkey', join(dir, 'AT-R.key')]);
  expect(pub.code).toBe(0);
  writeFileSync(join(dir, 'AT-R.pub.json'), pub.stdout);
});
afterAll(() => {
  cleanupCli();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('custos trust', () => {
  it('init, add authorities from a key file and from pubkey output, a log and two witnesses, a quorum; list', () => {
    const t = join(dir, 'trust.json');
    expect(custos(['trust', 'init', '-o', t]).code).toBe(0);
    expect(custos(['trust', 'init', '-o', t]).code).toBe(3); // never overwritten without --force (ERR_EXISTS)
    const r = custos(['trust', 'add', t, '--authority', join(dir, 'IE-P.key'), '--authority', join(dir, 'AT-R.pub.json'), '--log', log.vkey, '--witness', w1.vkey, '--witness', w2.vkey, '--quorum', '2', '--not-before', '2026-01-01T00:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(t, 'utf8');
    expect(text).not.toMatch(/secret|AGE-SECRET-KEY/i); // only the public part of a key file
    const store = TrustStore.parse(text);
    expect(store.authorities.map((a) => a.id)).toEqual(['IE-P', 'AT-R']);
    const p = store.checkpointPolicy('log.example.eu/custody');
    expect(p.log).toHaveLength(1);
    expect(p.witnesses).toHaveLength(2);
    expect(p.quorum).toBe(2);
    expect(p.log[0]!.notBefore).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    const list = custos(['trust', 'list', t]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/authority IE-P[\s\S]*log log\.example\.eu\/custody[\s\S]*witness witness2\.example[\s\S]*witness quorum 2/);
    const json = JSON.parse(custos(['trust', 'list', t, '--json']).stdout) as { ok: boolean; trust: { witnessQuorum: number } };
    expect(json.trust.witnessQuorum).toBe(2);
    expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([]);
  });

  it('a refused change leaves the file byte for byte as it was', () => {
    const t = join(dir, 'trust.json');
    const before = readFileSync(t);
    expect(custos(['trust', 'add', t, '--quorum', '3']).code).toBe(3); // more than the two witnesses
    expect(custos(['trust', 'add', t, '--authority', join(dir, 'IE-P.key')]).code).toBe(2); // id already trusted
    expect(custos(['trust', 'add', t, '--witness', log.vkey]).code).toBe(2); // a log key is no witness key
    expect(custos(['trust', 'add', t, '--log', w1.vkey]).code).toBe(2);
    expect(custos(['trust', 'add', t, '--witness', w1.vkey]).code).toBe(2); // duplicate
    expect(custos(['trust', 'add', t]).code).toBe(2); // nothing to add
    expect(custos(['trust', 'revoke', t, '--witness', 'witness1.example', '--at', 'yesterday']).code).toBe(2);
    expect(custos(['trust', 'revoke', t, '--witness', 'nobody', '--at', '2026-06-01T00:00:00Z']).code).toBe(2);
    expect(custos(['trust', 'revoke', t, '--authority', 'IE-P', '--log', 'x', '--at', '2026-06-01T00:00:00Z']).code).toBe(2);
    expect(readFileSync(t).equals(before)).toBe(true);
  });

  it('revoke records the time on exactly the key named', () => {
    const t = join(dir, 'trust.json');
    expect(custos(['trust', 'revoke', t, '--authority', 'IE-P', '--at', '2026-12-01T00:00:00Z']).code).toBe(0);
    expect(custos(['trust', 'revoke', t, '--witness', 'witness1.example', '--at', '2026-11-01T00:00:00Z']).code).toBe(0);
    expect(custos(['trust', 'revoke', t, '--log', 'log.example.eu/custody', '--at', '2026-10-01T00:00:00+02:00']).code).toBe(0);
    const doc = TrustStore.parse(readFileSync(t, 'utf8')).document;
    expect(doc.authorities.find((a) => a.id === 'IE-P')!.keys[0]!.revokedAt).toBe('2026-12-01T00:00:00Z');
    expect(doc.authorities.find((a) => a.id === 'AT-R')!.keys[0]!.revokedAt).toBeUndefined();
    expect(doc.witnesses!.map((w) => w.revokedAt)).toEqual(['2026-11-01T00:00:00Z', undefined]);
    expect(doc.logs![0]!.revokedAt).toBe('2026-10-01T00:00:00+02:00');
    expect(custos(['trust', 'list', t]).stdout).toMatch(/REVOKED 2026-12-01T00:00:00Z/);
  });

  it('a file that is not a trust store is refused with exit 3, and nothing is written', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version":2}');
    expect(custos(['trust', 'add', bad, '--log', log.vkey]).code).toBe(3);
    expect(readFileSync(bad, 'utf8')).toBe('{"version":2}');
    expect(custos(['trust', 'list', join(dir, 'missing.json')]).code).toBe(3);
  });
});
