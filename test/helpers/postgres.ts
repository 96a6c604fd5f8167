// Starts a throw-away PostgreSQL server for a test file: initdb into a temp dir, listen on
// 127.0.0.1 at a free port, and stop + delete it afterwards. Missing binaries fail loudly.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  readonly port: number;
  /** The postmaster's process id (its backends are its children). */
  readonly pid: number;
  /** A new empty database; returns its postgres:// URL. */
  createDatabase(): Promise<string>;
  stop(): void;
}

function findBinDir(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':'),
    ...(existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((v) => `/usr/lib/postgresql/${v}/bin`)
      : []),
  ];
  const dir = candidates.find(
    (d) => d !== '' && ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(d, b))),
  );
  if (dir === undefined) {
    throw new Error(
      'PostgreSQL binaries (initdb, pg_ctl, postgres) not found on PATH or under /usr/lib/postgresql/*/bin; ' +
        'install them with `bash scripts/setup.sh --with-test-deps`',
    );
  }
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(options: { fsync?: boolean } = {}): Promise<PgServer> {
  const bin = findBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'tdctl-pg-'));
  // PostgreSQL refuses to run as root: run it as the postgres OS user when we are root.
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]): void => {
    const [c, a] = wrap(join(bin, cmd), args);
    const r = spawnSync(c, a, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const opts = `-p ${port} -h 127.0.0.1 -k ${dir} -c max_connections=300${options.fsync === false ? ' -c fsync=off' : ''}`;
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', opts, 'start']);
    let n = 0;
    return {
      port,
      pid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
      async createDatabase() {
        const name = `tdctl_${process.pid}_${++n}`;
        const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      stop() {
        try {
          run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
