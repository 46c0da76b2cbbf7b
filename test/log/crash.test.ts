// Crash safety: a child appends in a loop and is SIGKILLed at random moments. After each kill,
// reopening must give a consistent log that holds every entry whose append had resolved, and
// the latest checkpoint must verify.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/bytes.js';
import { generateNoteKey, parseSignerKey } from '../../src/log/notekeys.js';
import { verifyTiledLog } from '../../src/log/tiledlog.js';
import { verifyCheckpoint } from '../../src/log/witness.js';
import { dirTileFetcher } from '../../src/node/logfs.js';
import { openLog } from '../../src/node/logstore.js';
import { bundleChild } from '../support/bundle-child.js';

const KILLS = Number(process.env.CUSTOS_CRASH_KILLS ?? 50);
const ORIGIN = 'crash.example/log';
const tmp = mkdtempSync(join(tmpdir(), 'custos-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const { skey, vkey } = generateNoteKey(ORIGIN);

// Bundle the child once (tsx's esbuild) so that each of the many restarts costs a plain node
// start instead of a TypeScript load; fall back to tsx when esbuild is not available.
let childArgs = ['--import', 'tsx', join(__dirname, 'store-child.ts')];
beforeAll(async () => {
  try {
    childArgs = [await bundleChild({ entry: join(__dirname, 'store-child.ts'), outfile: join(tmp, 'child.mjs') })];
  } catch {
    // keep tsx
  }
});

/** Runs the child until it has acknowledged at least one entry, then kills it after a random delay. */
function runAndKill(dir: string): Promise<{ acked: number[]; start: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childArgs, dir, skey, ORIGIN, 'loop'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    const acked: number[] = [];
    let start = -1;
    let armed = false;
    // Most kills are armed by the first acknowledgement (mid-stream), some right after open.
    const armOn = Math.random() < 0.25 ? 'start ' : 'ack ';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('start ')) start = Number(line.slice(6));
        else if (line.startsWith('ack ')) acked.push(Number(line.split(' ')[1]));
        else if (line.length > 0) reject(new Error(`child: ${line}`));
        if (!armed && line.startsWith(armOn)) {
          armed = true;
          // Kill anywhere from "just opened" to "many batches later".
          setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 60));
        }
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000); // never hang the suite
    child.on('exit', () => {
      clearTimeout(guard);
      resolve({ acked, start });
    });
    child.on('error', reject);
  });
}

describe('crash safety (SIGKILL during appends)', () => {
  it(`survives ${KILLS} kills without losing acknowledged entries`, async () => {
    // Independent logs killed in parallel: a node start is mostly waiting, not computing.
    const LANES = 4;
    const lanes = Array.from({ length: LANES }, (_, i) => join(tmp, `l${i}`));
    let kills = 0;
    let totalAcked = 0;
    let killsAfterAcks = 0;
    const lane = async (dir: string, n: number) => {
      let prevSize = 0;
      for (let k = 0; k < n; k++) {
        const { acked, start } = await runAndKill(dir);
        kills++;
        totalAcked += acked.length;
        if (acked.length > 0) killsAfterAcks++;
        if (start >= 0) expect(start).toBeGreaterThanOrEqual(prevSize);
        const log = await openLog(dir, { signer: parseSignerKey(skey), origin: ORIGIN });
        try {
          const cp = verifyCheckpoint(await log.checkpoint(), { log: [vkey], origin: ORIGIN });
          expect(cp.ok).toBe(true);
          expect(cp.checkpoint!.size).toBe(log.size);
          expect(log.size).toBeGreaterThanOrEqual(prevSize);
          for (const i of acked) {
            expect(i).toBeLessThan(log.size);
            expect(fromUtf8(await log.entry(i))).toBe(`entry ${i}`);
          }
          if (log.size > 0) expect(fromUtf8(await log.entry(log.size - 1))).toBe(`entry ${log.size - 1}`);
          prevSize = log.size;
        } finally {
          await log.close();
        }
        if (k % 10 === 9 || k === n - 1) {
          const audit = await verifyTiledLog(dirTileFetcher(dir), [vkey]);
          expect(audit.ok).toBe(true);
          expect(audit.entriesChecked).toBe(prevSize);
        }
      }
    };
    await Promise.all(lanes.map((d) => lane(d, Math.ceil(KILLS / LANES))));
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    expect(totalAcked).toBeGreaterThan(0);
    // most kills must land while appends were being acknowledged, not before the first one
    expect(killsAfterAcks).toBeGreaterThanOrEqual(KILLS / 2);
    // entries survive a final reopen with appends
    const log = await openLog(lanes[0]!, { signer: parseSignerKey(skey), origin: ORIGIN });
    const { index } = await log.append(utf8('final'));
    expect(index).toBe(log.size - 1);
    await log.close();
  }, 120_000);
});
