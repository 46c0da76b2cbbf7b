/** `custos demo`: the end-to-end exchange (see src/cli/demo/run.ts). */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Command } from '../command.js';
import { CustosError } from '../../errors.js';
import { FORCE_OPTION, noReplace, str } from '../command.js';
import { UsageError } from '../io.js';
import { runDemo } from '../demo/run.js';

export const demo: Command = {
  name: 'demo',
  summary: 'run a complete cross-border evidence exchange and leave its artefacts in a directory',
  synopsis: '[--dir DIR [--force]] [--image-size BYTES]',
  details: [
    '  --dir DIR            where bundle.tar, trust.json, the key files and log/ go and stay; without it',
    '                       the demo works in a temporary directory and removes it at the end',
    '  --force              use a DIR that is not empty: the demo\'s own artefacts there are replaced',
    '                       (without it a non-empty DIR is refused, ERR_EXISTS, exit 3)',
    '  --image-size BYTES   size of the synthetic disk image (default 200000000; suffixes k, M, G)',
  ].join('\n'),
  example: 'custos demo --dir ./exchange && custos verify ./exchange/bundle.tar --trust ./exchange/trust.json',
  options: { dir: { type: 'string' }, 'image-size': { type: 'string' }, ...FORCE_OPTION },
  async run(v, _args, io) {
    const s = str(v, 'image-size');
    let imageSize: number | undefined;
    if (s !== undefined) {
      const m = /^(\d{1,13})([kMG]?)$/.exec(s);
      if (m === null) throw new UsageError('--image-size expects a byte count such as 200M');
      imageSize = Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!]!;
    }
    const given = str(v, 'dir');
    if (given !== undefined) await prepareDir(given, noReplace(v));
    const dir = given ?? (await mkdtemp(join(tmpdir(), 'custos-demo-')));
    const script = process.argv[1] ?? '';
    const cli = script.endsWith('.js') ? `node ${relative(process.cwd(), script) || script}` : 'custos';
    try {
      const r = await runDemo({
        cli,
        dir,
        keep: given !== undefined,
        ...(imageSize !== undefined ? { imageSize } : {}),
        print: (line) => io.detail(line),
        progress: (label, total) => io.progress(label, total),
      });
      if (io.quiet) io.out(`${r.ok ? 'DONE' : 'FAILED'}: ${given ?? 'the exchange'}`);
      if (given === undefined) io.detail(`(${dir} was a temporary directory and is removed now; run with --dir DIR to keep the artefacts)`);
      io.result({ ok: r.ok, dir: r.dir, kept: given !== undefined, bundle: r.bundle, trust: r.trust, requesterKey: r.requesterKey, log: r.logDir, steps: r.steps, omitted: r.omitted });
      return r.ok ? 0 : 1;
    } finally {
      if (given === undefined) await rm(dir, { recursive: true, force: true });
    }
  },
};

/** What the demo writes into its directory (replaced with --force, nothing else is touched). */
const ARTEFACTS = ['bundle.tar', 'trust.json', 'requester.key', 'executor.key', 'request.json', 'log', 'opened', 'received', 'work', 'disk.classic.age', 'x25519-identity.txt'];

/** A missing or empty DIR is used as it is; a non-empty one only with --force (its demo artefacts removed first). */
async function prepareDir(dir: string, refuse: boolean): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.length === 0) return;
  if (refuse) throw new CustosError('ERR_EXISTS', `${dir} is not empty (use --force to replace the demo's artefacts in it)`);
  for (const n of names) if (ARTEFACTS.includes(n)) await rm(join(dir, n), { recursive: true, force: true });
}
