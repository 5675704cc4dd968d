// The participant's own PostgreSQL, given as a pg Pool or a TypeORM DataSource (duck-typed, so
// neither is a dependency of the SDK).

/** A transaction handlers write their effects through; it commits together with the inbox row. */
export interface TransactionClient {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** The part of a pg `Pool` the SDK uses. */
export interface PgPoolLike {
  connect(): Promise<{
    query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
    release(error?: Error | boolean): void;
    on(event: 'error', listener: (error: Error) => void): unknown;
    removeListener(event: 'error', listener: (error: Error) => void): unknown;
  }>;
}

/** The part of a TypeORM `DataSource` the SDK uses. */
export interface DataSourceLike {
  createQueryRunner(): {
    manager: unknown;
    connect(): Promise<unknown>;
    startTransaction(): Promise<void>;
    commitTransaction(): Promise<void>;
    rollbackTransaction(): Promise<void>;
    query(
      sql: string,
      params: unknown[] | undefined,
      structured: true,
    ): Promise<{ records: unknown[] }>;
    release(): Promise<void>;
  };
}

export type ParticipantDatabase = PgPoolLike | DataSourceLike;

export interface OpenTransaction extends TransactionClient {
  /** pg: the PoolClient; TypeORM: the transaction's EntityManager. */
  readonly raw: unknown;
}

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(
  db: ParticipantDatabase,
  work: (tx: OpenTransaction) => Promise<T>,
): Promise<T> {
  if ('createQueryRunner' in db) {
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const tx: OpenTransaction = {
      raw: runner.manager,
      query: async <R>(sql: string, params?: unknown[]) =>
        (await runner.query(sql, params, true)).records as R[],
    };
    try {
      const result = await work(tx);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
  const client = await db.connect();
  // pg emits 'error' on a checked-out client whose server went away between two queries (a
  // restart); unheard, that event kills the process. The next query fails and rolls back instead.
  let lost: Error | undefined;
  const onError = (error: Error) => (lost = error);
  client.on('error', onError);
  const tx: OpenTransaction = {
    raw: client,
    query: async <R>(sql: string, params?: unknown[]) =>
      (await client.query(sql, params)).rows as R[],
  };
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(tx);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken || lost !== undefined);
  }
}

/** Runs DDL under an advisory lock: concurrent CREATE TABLE IF NOT EXISTS can collide in PostgreSQL. */
export async function runSchema(db: ParticipantDatabase, sql: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('skald_participant_schema'))");
    await tx.query(sql);
  });
}
