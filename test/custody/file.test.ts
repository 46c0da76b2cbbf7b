import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCustosError } from '../../src/errors.js';
import { appendEventToFile, lockChainFile, readChainFile, verifyChainFile } from '../../src/node/custody-file.js';
import { happySteps, KEYS, AUTH, T0, HOUR, trust } from './fixture.js';
import { codeOf } from '../support/code.js';

const made: string[] = [];
const dir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'custos-chain-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe('chain files', () => {
  it('create, append, read back, verify', async () => {
    const file = join(dir(), 'exhibit.chain');
    const steps = happySteps();
    for (const [i, s] of steps.entries()) {
      await appendEventToFile(file, s.input, s.key, { trust, ...(i === 0 ? { create: 'AT-2026-000417/3' } : {}) });
    }
    const chain = await readChainFile(file);
    expect(chain.events.length).toBe(steps.length);
    const r = await verifyChainFile(file, trust);
    expect(r.failures).toEqual([]);
    // no temp files or lock left behind
    expect(readdirSync(join(file, '..'))).toEqual(['exhibit.chain']);
  });

  it('refuses a missing file without create, a wrong create id, and a rule-breaking event (file unchanged)', async () => {
    const file = join(dir(), 'x.chain');
    const [s0, s1] = happySteps();
    expect(await codeOf(appendEventToFile(file, s0!.input, s0!.key))).toBe('ERR_IO');
    await appendEventToFile(file, s0!.input, s0!.key, { create: 'X' });
    expect(await codeOf(appendEventToFile(file, s1!.input, s1!.key, { create: 'Y' }))).toBe('ERR_CHAIN_ID');
    const before = readFileSync(file);
    const bad = appendEventToFile(file, { type: 'accessed', time: T0 + 9 * HOUR, actor: { authority: AUTH.foreign, role: 'custodian' } }, KEYS.foreign);
    expect(await codeOf(bad)).toBe('ERR_NOT_CUSTODIAN');
    expect(readFileSync(file)).toEqual(before);
  });

  it('a second writer gets ERR_LOCKED; concurrent appends never lose an event', async () => {
    const file = join(dir(), 'c.chain');
    const [s0] = happySteps();
    await appendEventToFile(file, s0!.input, s0!.key, { create: 'C' });
    const release = await lockChainFile(file);
    const acc = (n: number) => ({ type: 'accessed' as const, time: T0 + n * HOUR, actor: { authority: AUTH.police, role: 'custodian' } });
    expect(await codeOf(appendEventToFile(file, acc(2), KEYS.police))).toBe('ERR_LOCKED');
    await release();
    const results = await Promise.allSettled([2, 2, 2, 2].map((n) => appendEventToFile(file, acc(n), KEYS.police)));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    for (const r of results) if (r.status === 'rejected') expect(isCustosError(r.reason, 'ERR_LOCKED')).toBe(true);
    expect(ok).toBeGreaterThanOrEqual(1);
    const chain = await readChainFile(file);
    expect(chain.events.length).toBe(1 + ok);
    expect((await verifyChainFile(file, trust)).ok).toBe(true);
  });

  it('a stale lock (dead pid) is broken; a garbage lock too', async () => {
    const file = join(dir(), 's.chain');
    const [s0, s1] = happySteps();
    await appendEventToFile(file, s0!.input, s0!.key, { create: 'S' });
    writeFileSync(`${file}.lock`, '999999999\n');
    await appendEventToFile(file, s1!.input, s1!.key);
    writeFileSync(`${file}.lock`, 'junk');
    await appendEventToFile(file, { type: 'accessed', time: T0 + 5 * HOUR, actor: { authority: AUTH.police, role: 'custodian' } }, KEYS.police);
    expect((await readChainFile(file)).events.length).toBe(3);
  });
});

describe('chain size limits (adversarial finding F-4)', () => {
  it('more than MAX_CHAIN_EVENTS events: ERR_LIMIT, without verifying them', async () => {
    const { MAX_CHAIN_EVENTS, verifyChain, splitChain, appendEvent } = await import('../../src/custody/index.js');
    // MAX + 1 one-byte CBOR items (each the integer 0): splitting stops at the bound
    expect(() => splitChain(new Uint8Array(MAX_CHAIN_EVENTS + 1))).toThrow(expect.objectContaining({ code: 'ERR_LIMIT' }));
    expect(splitChain(new Uint8Array(3)).events.length).toBe(3);
    const r = verifyChain(new Uint8Array(MAX_CHAIN_EVENTS + 1), trust);
    expect(r.failures).toMatchObject([{ index: -1, code: 'ERR_LIMIT' }]);
    const many = Array.from({ length: MAX_CHAIN_EVENTS + 1 }, () => new Uint8Array(1));
    expect(verifyChain(many, trust).failures).toMatchObject([{ index: -1, code: 'ERR_LIMIT' }]);
    const full = { id: 'X', events: many.slice(0, MAX_CHAIN_EVENTS) };
    const [s0] = happySteps();
    expect(() => appendEvent(full, s0!.input, s0!.key)).toThrow(expect.objectContaining({ code: 'ERR_LIMIT' }));
  });

  it('a chain file larger than MAX_CHAIN_FILE_BYTES is refused before reading', async () => {
    const { MAX_CHAIN_FILE_BYTES } = await import('../../src/custody/index.js');
    const file = join(dir(), 'huge.chain');
    const { truncateSync } = await import('node:fs');
    writeFileSync(file, new Uint8Array(0));
    truncateSync(file, MAX_CHAIN_FILE_BYTES + 1); // sparse: no disk used
    expect(await codeOf(readChainFile(file))).toBe('ERR_LIMIT');
    expect((await verifyChainFile(file, trust)).failures).toMatchObject([{ index: -1, code: 'ERR_LIMIT' }]);
  });
});

describe('crash leftovers (adversarial finding F-5)', () => {
  it('a temp file left by a crashed writer is replaced by the next append, not accumulated', async () => {
    const d = dir();
    const file = join(d, 'e.chain');
    const [s0, s1] = happySteps();
    await appendEventToFile(file, s0!.input, s0!.key, { create: 'E' });
    // a killed writer's temp file (its pid runs no more), and the fixed name earlier versions used
    writeFileSync(join(d, '.e.chain.999999999.0123456789abcdef.tmp'), 'half-written by a killed writer');
    writeFileSync(join(d, '.e.chain.custos-tmp'), 'half-written by an older version');
    writeFileSync(`${file}.lock`, '999999999\n');
    await appendEventToFile(file, s1!.input, s1!.key);
    expect(readdirSync(d)).toEqual(['e.chain']);
    expect((await readChainFile(file)).events.length).toBe(2);
  });

  it('a symlink planted at the old fixed temp name is not followed: its target is untouched (issue 16)', async () => {
    const d = dir();
    const file = join(d, 'e.chain');
    const victim = join(d, 'victim.txt');
    writeFileSync(victim, 'evidence the attacker wants destroyed');
    const [s0, s1] = happySteps();
    await appendEventToFile(file, s0!.input, s0!.key, { create: 'E' });
    symlinkSync(victim, join(d, '.e.chain.custos-tmp'));
    await appendEventToFile(file, s1!.input, s1!.key);
    expect(readFileSync(victim, 'utf8')).toBe('evidence the attacker wants destroyed');
    expect(lstatSync(victim).isSymbolicLink()).toBe(false);
    expect((await readChainFile(file)).events.length).toBe(2);
    expect(readdirSync(d).sort()).toEqual(['e.chain', 'victim.txt']);
  });
});
