/**
 * The published package works from dist/ alone: `npm pack`, unpack it into a scratch
 * node_modules (dependencies linked from this checkout), then import it from plain Node, check
 * that `#crypto` maps to shipped files, that the CLI starts, and that a TypeScript consumer
 * type-checks against the shipped .d.ts without src/. Builds first if dist/ is missing
 * (`.ci/run` builds before testing, so in CI this tests that build).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  imports: Record<string, Record<string, unknown>>;
};

function run(cmd: string, args: string[], cwd: string, timeout = 240_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

let scratch = '';
let installed = '';

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) ok(run('npx', ['tsup'], ROOT, 400_000), 'build (npx tsup)');
  scratch = mkdtempSync(join(tmpdir(), 'custos-dist-'));
  const packed = JSON.parse(ok(run('npm', ['pack', '--json', '--pack-destination', scratch], ROOT), 'npm pack')) as {
    filename: string;
    files: { path: string }[];
  }[];
  installed = join(scratch, 'node_modules/custos');
  mkdirSync(installed, { recursive: true });
  ok(run('tar', ['-xzf', join(scratch, packed[0]!.filename), '-C', installed, '--strip-components=1'], scratch), 'tar -x');
  for (const dep of Object.keys(pkg.dependencies)) {
    const target = join(scratch, 'node_modules', dep);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), target, 'dir');
  }
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
}, 600_000);

afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)).map((x) => `${f}/${x}`) : [f]));
}

describe('the packed package (dist only)', () => {
  it('ships dist, README, LICENSE and SECURITY.md; no sources, tests or source maps', () => {
    const shipped = files(installed);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'SECURITY.md', 'dist/index.js', 'dist/index.d.ts', 'dist/node/index.js', 'dist/node/index.d.ts', 'dist/cli/main.js', 'dist/crypto/node.js', 'dist/crypto/web.js']) {
      expect(shipped).toContain(f);
    }
    expect(shipped.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    // maps that point at ../src (not shipped) only mislead a debugger
    expect(shipped.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('#crypto maps to shipped files: node → the node:crypto backend, default → noble', () => {
    const map = pkg.imports['#crypto']!;
    const node = map['node'] as string;
    const web = map['default'] as string;
    expect(node).toMatch(/^\.\/dist\//);
    expect(web).toMatch(/^\.\/dist\//);
    const out = ok(
      run(
        'node',
        [
          '--input-type=module',
          '-e',
          `const n = await import(${JSON.stringify(join(installed, node))});
           const w = await import(${JSON.stringify(join(installed, web))});
           const hex = (b) => Buffer.from(b).toString('hex');
           console.log(n.backendName, w.backendName, hex(n.sha256(new TextEncoder().encode('abc'))) === hex(w.sha256(new TextEncoder().encode('abc'))));`,
        ],
        scratch,
      ),
      'import crypto backends',
    );
    expect(out.trim()).toBe('node web true');
  });

  it('imports from plain Node by package name and works', () => {
    const out = ok(
      run(
        'node',
        [
          '--input-type=module',
          '-e',
          `import * as c from 'custos';
           import * as n from 'custos/node';
           const b = c.cbor.encode(new Map([[1, -8], [4, new Uint8Array([1, 2])]]));
           const back = c.cbor.decode(b);
           let code = '';
           try { c.cbor.decode(Uint8Array.of(0x18, 0x01)); } catch (e) { code = e instanceof c.CustosError ? e.code : 'wrong class'; }
           console.log(c.bytes.toHex(b), back instanceof Map, code, typeof n);`,
        ],
        scratch,
      ),
      'import custos',
    );
    expect(out.trim()).toBe('a20127044201' + '02 true ERR_CBOR_NONCANONICAL object');
  });

  it('ships the --json schemas, importable by package name (custos/schemas/*)', () => {
    const out = ok(
      run('node', ['--input-type=module', '-e', `import s from 'custos/schemas/verify.schema.json' with { type: 'json' }; console.log(s.$id);`], scratch),
      'import a schema',
    );
    expect(out.trim()).toBe('custos/verify/1');
    expect(files(join(installed, 'schemas')).filter((f) => f.endsWith('.schema.json')).length).toBe(readdirSync(join(ROOT, 'schemas')).filter((f) => f.endsWith('.schema.json')).length);
  });

  it('the custos command starts', () => {
    const r = run('node', [join(installed, 'dist/cli/main.js'), '--help'], scratch);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/custos/);
  });

  it('the shipped types stand alone: no src/ or #crypto references, and a consumer type-checks', () => {
    const dts = files(join(installed, 'dist')).filter((f) => f.endsWith('.d.ts'));
    expect(dts.length).toBeGreaterThan(0);
    for (const f of dts) {
      const text = readFileSync(join(installed, 'dist', f), 'utf8');
      expect(text, f).not.toMatch(/from ['"][^'"]*\/src\//);
      expect(text, f).not.toMatch(/['"]#crypto['"]/);
      expect(text, f).not.toMatch(/from ['"][^'"]*\.ts['"]/);
    }
    writeFileSync(
      join(scratch, 'consumer.ts'),
      `import { cbor, CustosError, type ErrorCode } from 'custos';
       const b: Uint8Array = cbor.encode({ a: 1 });
       const code: ErrorCode = 'ERR_CBOR_SIZE';
       export const x = [b, code, CustosError] as const;\n`,
    );
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: [], lib: ['es2023', 'dom'] },
        files: ['consumer.ts'],
      }),
    );
    symlinkSync(join(ROOT, 'node_modules/@types'), join(scratch, 'node_modules/@types'), 'dir');
    const r = run('node', [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', scratch], scratch);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });
});
