// How the engine's statements reach PostgreSQL. Each of its transactions sends one to three
// statements of a few fixed shapes (their data travels in parameters, as jsonb), so they run as
// named prepared statements: a connection parses each shape once and, after a few runs, reuses
// its generic plan, where an unnamed statement is parsed and planned again on every run (about
// half a millisecond of the server's CPU for the engine's larger statements).
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** Runs one SELECT (or WITH … SELECT) in the transaction; resolves with its rows. */
export type RunStatement = <T>(sql: string, parameters: unknown[]) => Promise<T[]>;

/** pg's Client, as TypeORM's PostgresQueryRunner holds it. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Shapes named so far (pg keeps each connection's prepared statements by name). Past the cap, a
 * new shape runs unnamed, so a bug that made shapes unbounded could not exhaust server memory.
 */
const names = new Map<string, string>();
const MAX_NAMED_SHAPES = 500;

function nameOf(sql: string): string | undefined {
  let name = names.get(sql);
  if (name === undefined && names.size < MAX_NAMED_SHAPES) {
    name = `skald_${createHash('sha1').update(sql).digest('base64url')}`;
    names.set(sql, name);
  }
  return name;
}

/**
 * The statement runner of a transaction's EntityManager: named prepared statements on its
 * connection when `prepared` (the default), else TypeORM's unnamed ones (for a pooler that does
 * not keep prepared statements per client, such as PgBouncer before 1.21 in transaction mode).
 */
export function statementRunner(manager: EntityManager, prepared: boolean): RunStatement {
  return async <T>(sql: string, parameters: unknown[]): Promise<T[]> => {
    const name = prepared && manager.queryRunner ? nameOf(sql) : undefined;
    if (name === undefined) return manager.query(sql, parameters);
    const client = (await manager.queryRunner!.connect()) as PgClient;
    const { rows } = await client.query({ name, text: sql, values: parameters });
    return rows as T[];
  };
}
