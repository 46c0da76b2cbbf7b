/**
 * A real PostgreSQL server for the tests: CUSTOS_PG_URL when set (each caller gets a fresh
 * database on it, dropped afterwards), otherwise a throwaway cluster started here with the
 * server's own initdb/pg_ctl (Debian's postgresql package, installed by .ci/run) in a temp
 * directory, listening on 127.0.0.1 only, on a free port; it is stopped and removed by stop().
 * As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  readonly url: string;
  /** Restarts the server, crash-style (immediate stop: no shutdown checkpoint). Local clusters only. */
  restart?(): void;
  /** Stops the server (crash-style). */
  kill?(): void;
  start?(): void;
  stop(): Promise<void>;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(base, versions[0], 'bin');
  }
  const r = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim().replace(/\/initdb$/, '');
  throw new Error('no PostgreSQL server binaries (initdb) found: install Debian\'s postgresql or set CUSTOS_PG_URL');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Starts a throwaway local cluster (always local, whatever CUSTOS_PG_URL says). */
export async function startLocalPg(): Promise<PgServer> {
  const bin = binDir();
  const root = mkdtempSync(join(tmpdir(), 'custos-pg-'));
  const data = join(root, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] as const : [join(bin, cmd), args] as const;
    execFileSync(argv[0], [...argv[1]], { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  if (asRoot) chownSync(root, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${root} -c max_connections=200`;
  const start = () => run('pg_ctl', ['-D', data, '-o', opts, '-l', join(root, 'log'), '-w', '-t', '60', 'start']);
  const kill = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    kill,
    restart: () => {
      kill();
      start();
    },
    stop: async () => {
      try {
        kill();
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A database for one test file: on CUSTOS_PG_URL if set, else on a throwaway local cluster. */
export async function startPg(): Promise<PgServer> {
  const ext = process.env.CUSTOS_PG_URL;
  if (ext === undefined || ext === '') return startLocalPg();
  const name = `custos_t_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new pg.Client({ connectionString: ext });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(ext);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    stop: async () => {
      const c = new pg.Client({ connectionString: ext });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
