import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (this file lives in libs/testing/src). */
export const repoRoot = resolve(__dirname, '..', '..', '..');

/** Downloads kept between runs (the Kafka jars): `$SKALD_CACHE_DIR`, else `$XDG_CACHE_HOME/skald`, else `~/.cache/skald`. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return resolve(process.env.SKALD_CACHE_DIR ?? join(base, 'skald'));
}

/**
 * Server data lives under the OS temp dir: when running as root, PostgreSQL runs as the `postgres`
 * user, which must be able to enter every parent of its data directory (it cannot enter /root).
 */
export function runtimeDir(...parts: string[]): string {
  return join(tmpdir(), 'skald', ...parts);
}
