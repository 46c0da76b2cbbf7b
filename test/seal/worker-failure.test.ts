/**
 * Defect 5 of issue 16: the SHA-256 worker inherited `process.execArgv`, so under
 * `node --input-type=module` (code from stdin, as scripts do) it died at start and sealFile hung
 * for 60 s before ERR_INTERNAL; and a worker that died while the main thread waited for a free
 * slot was only noticed after that 60 s timeout (a thread blocked in Atomics.wait never sees the
 * worker's `exit` event). Attacks / failure modes covered: parent flags that kill the worker at
 * start, a worker killed mid-stream with slots outstanding (plain hash and sealFile), and no
 * partial output after such a death.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import * as crypto from '#crypto';
import { SigningKey } from '../../src/keys/signing.js';
import { generateIdentity } from '../../src/keys/age.js';
import { OffThreadSha256 } from '../../src/node/hash-worker.js';
import { sealFile } from '../../src/node/seal-file.js';
import { isCustosError } from '../../src/errors.js';

// The real worker runs; the wrapper only lets a test kill it after `killAfter` messages.
const ctl = vi.hoisted(() => ({ killAfter: Number.POSITIVE_INFINITY }));
vi.mock('node:worker_threads', async (orig) => {
  const m = await orig<typeof import('node:worker_threads')>();
  class KillableWorker extends m.Worker {
    #sent = 0;
    override postMessage(value: unknown, transfer?: readonly import('node:worker_threads').TransferListItem[]): void {
      if (++this.#sent > ctl.killAfter) {
        void this.terminate();
        return;
      }
      super.postMessage(value, transfer);
    }
  }
  return { ...m, Worker: KillableWorker, default: { ...m, Worker: KillableWorker } };
});

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'custos-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  ctl.killAfter = Number.POSITIVE_INFINITY;
});

const sealOpts = () => ({
  recipients: [generateIdentity().recipient],
  signer: SigningKey.generate(),
  authority: 'X-A',
  id: 'item',
  context: { caseId: 'C-1', purpose: 'investigation', legalBasis: 'test' },
});

describe('hashing worker: flags and death', () => {
  it('sealFile works in a process started with --input-type=module (code from stdin)', () => {
    const input = join(dir, 'in.bin');
    writeFileSync(input, crypto.randomBytes(20 * 1024 * 1024)); // above the off-thread threshold
    const src = (p: string) => JSON.stringify(pathToFileURL(join(root, p)).href);
    const code = [
      `import { sealFile } from ${src('src/node/index.ts')};`,
      `import { generateIdentity, SigningKey } from ${src('src/index.ts')};`,
      'const t0 = Date.now();',
      'try {',
      `  const r = await sealFile(${JSON.stringify(input)}, ${JSON.stringify(join(dir, 'in.age'))}, ${JSON.stringify(join(dir, 'in.seal'))},`,
      "    { recipients: [generateIdentity().recipient], signer: SigningKey.generate(), authority: 'X', id: 'x', context: { caseId: 'c', purpose: 'p', legalBasis: 'b' } });",
      "  console.log(JSON.stringify({ ok: true, size: r.manifest.size, ms: Date.now() - t0 }));",
      "} catch (e) { console.log(JSON.stringify({ ok: false, code: e.code, ms: Date.now() - t0 })); }",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '--import', 'tsx', '--conditions=custos-source'], { input: code, cwd: root, encoding: 'utf8', timeout: 45_000 });
    expect(r.stderr).not.toMatch(/ERR_INPUT_TYPE_NOT_ALLOWED/);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { ok?: boolean; size?: number };
    expect(out).toMatchObject({ ok: true, size: 20 * 1024 * 1024 });
  }, 60_000);

  it('a worker killed with slots outstanding fails the hash at once, with its cause', async () => {
    ctl.killAfter = 1; // the first slot reaches the worker, then it is killed
    const h = OffThreadSha256.start();
    const t0 = performance.now();
    h.update(crypto.randomBytes(16 * 1024 * 1024)); // more than the 8 slots: needs the worker to free some
    const err = await h.digest().then(() => undefined, (e: unknown) => e);
    const ms = performance.now() - t0;
    expect(isCustosError(err, 'ERR_INTERNAL')).toBe(true);
    expect((err as Error).cause).toBeDefined();
    expect(ms).toBeLessThan(5_000);
  });

  it('sealFile with its worker killed mid-stream fails at once and leaves no output', async () => {
    const input = join(dir, 'kill.bin');
    writeFileSync(input, crypto.randomBytes(24 * 1024 * 1024));
    ctl.killAfter = 3;
    const t0 = performance.now();
    const err = await sealFile(input, join(dir, 'kill.age'), join(dir, 'kill.seal'), sealOpts()).then(() => undefined, (e: unknown) => e);
    expect(isCustosError(err, 'ERR_INTERNAL')).toBe(true);
    expect((err as Error).cause).toBeDefined();
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(existsSync(join(dir, 'kill.age'))).toBe(false);
    expect(existsSync(join(dir, 'kill.seal'))).toBe(false);
  });
});
