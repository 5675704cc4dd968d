import { DataSource, type DataSourceOptions } from 'typeorm';
import { migrations } from '../../../migrations';

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool. @default 20 */
  poolSize?: number;
  /** Application name shown in pg_stat_activity. @default 'skald' */
  applicationName?: string;
}

/** The orchestrator's TypeORM settings: schema only from migrations, never `synchronize`. */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    applicationName: options.applicationName ?? 'skald',
    poolSize: options.poolSize ?? 20,
    synchronize: false,
    migrations,
    migrationsTableName: 'skald_migrations',
    migrationsTransactionMode: 'each',
    // a frozen process (SIGSTOP, a paused VM) must not hold saga row locks forever: the server
    // ends its open transaction, which rolls back, and another instance carries on
    extra: { options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS}` },
  };
}

/** Longer than any step inside one engine transaction, including a relay's Kafka send. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** Arbitrary constant naming Skald's migration lock among the database's advisory locks. */
const MIGRATION_LOCK_ID = 0x5c41d;

/**
 * Applies pending migrations and returns the names of those it ran. Several orchestrators starting
 * at once are safe: they queue on an advisory lock and the later ones find nothing to do.
 */
export async function runMigrations(options: DatabaseOptions): Promise<string[]> {
  // one connection holds the lock, the other runs the migrations
  const dataSource = new DataSource(dataSourceOptions({ ...options, poolSize: 2 }));
  await dataSource.initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    const applied = await dataSource.runMigrations();
    return applied.map((m) => m.name);
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
