/**
 * Skald's persistence: TypeORM settings, migrations and the database checks the orchestrator
 * runs at start-up. The only lib that talks SQL.
 *
 * @example
 * import { runMigrations } from '@skald/persistence';
 * await runMigrations({ url: process.env.DATABASE_URL! });
 */
export { dataSourceOptions, runMigrations, type DatabaseOptions } from './data-source';
export { assertDatabaseReachable, describeDatabaseUrl } from './database-url';
export { DatabaseUnreachableError } from './errors';
