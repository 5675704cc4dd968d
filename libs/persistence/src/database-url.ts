import { isUnreachable } from '@skald/protocol';
import { Client } from 'pg';
import { DatabaseUnreachableError } from './errors';

/** `user@host:port/database` of a PostgreSQL URL, without the password, for messages and logs. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${user}${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/** Connects once and fails fast with a message naming the database, instead of retrying forever. */
export async function assertDatabaseReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message || error.name : String(error);
    throw new DatabaseUnreachableError(
      `Cannot reach PostgreSQL at ${describeDatabaseUrl(url)} (from DATABASE_URL): ${reason}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * True when `error` means PostgreSQL cannot be reached right now (as opposed to a bad query): the
 * API answers it with a 503. The socket and SQLSTATE rules are the protocol's, shared with isRetryable.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof DatabaseUnreachableError || isUnreachable(error);
}
