// Leases for singleton jobs, with fencing tokens. Expiry uses the database's clock, the one clock
// every instance shares.
import type { DataSource, EntityManager } from 'typeorm';
import { StaleLeaseError } from './errors';

/** Who holds a lease now. */
export interface LeaseRecord {
  name: string;
  holder: string;
  token: number;
  /** ms since epoch */
  expiresAt: number;
}

/** The writes a lease holder makes, each inside a fenced transaction. */
export class HousekeepingTransaction {
  constructor(private readonly manager: EntityManager) {}

  /** Forgets reply ids older than the retention (a later duplicate is still ignored: not awaited). */
  async pruneInbox(olderThanMs: number): Promise<number> {
    const result: [unknown[], number] = await this.manager.query(
      `DELETE FROM skald.inbox WHERE received_at < now() - $1 * interval '1 millisecond'`,
      [olderThanMs],
    );
    return result[1];
  }

  /**
   * Deletes up to `limit` sagas that ended `completed` or `compensated` more than `olderThanMs`
   * ago, oldest first, with their history, step executions and timers (ON DELETE CASCADE).
   * `failed` sagas stay: they wait on an operator. SKIP LOCKED: a saga an operator or the engine
   * holds right now is left for the next batch, so retention never waits on a lock.
   */
  async deleteFinishedSagas(olderThanMs: number, limit: number): Promise<number> {
    return this.deleteBatch(
      'saga_instance',
      `status IN ('completed', 'compensated') AND ended_at < now() - $1 * interval '1 millisecond'`,
      [olderThanMs, limit],
    );
  }

  /**
   * Deletes up to `limit` 2PC transactions `committed` or `aborted` (every participant
   * acknowledged the decision, so none is in doubt) more than `olderThanMs` ago, with their
   * commands. `unacknowledged` ones stay for an operator.
   */
  async deleteFinishedTransactions(olderThanMs: number, limit: number): Promise<number> {
    return this.deleteBatch(
      'two_phase_transaction',
      `status IN ('committed', 'aborted') AND ended_at < now() - $1 * interval '1 millisecond'`,
      [olderThanMs, limit],
    );
  }

  /** One small DELETE by ids: the subquery walks the partial `ended_at` index, `$2` rows at most. */
  private async deleteBatch(table: string, where: string, parameters: unknown[]): Promise<number> {
    const result: [unknown[], number] = await this.manager.query(
      `DELETE FROM skald.${table} WHERE id IN (
         SELECT id FROM skald.${table} WHERE ${where}
         ORDER BY ended_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      parameters,
    );
    return result[1];
  }
}

export class LeaseStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes the lease if it is free or expired, or renews it if `holder` has it. Returns the fencing
   * token while `holder` holds the lease (unchanged on renewal, +1 on every takeover), undefined
   * when someone else does.
   */
  async acquire(name: string, holder: string, ttlMs: number): Promise<number | undefined> {
    const rows: { token: string }[] = await this.dataSource.query(
      `INSERT INTO skald.lease AS l (name, holder, token, expires_at)
       VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE
         SET holder = $2, expires_at = EXCLUDED.expires_at,
             token = CASE WHEN l.holder = $2 AND l.expires_at > now() THEN l.token ELSE l.token + 1 END
         WHERE l.holder = $2 OR l.expires_at <= now()
       RETURNING token`,
      [name, holder, ttlMs],
    );
    return rows[0] ? Number(rows[0].token) : undefined;
  }

  async find(name: string): Promise<LeaseRecord | undefined> {
    const rows: { name: string; holder: string; token: string; expiresAt: Date }[] =
      await this.dataSource.query(
        `SELECT name, holder, token, expires_at AS "expiresAt" FROM skald.lease WHERE name = $1`,
        [name],
      );
    const row = rows[0];
    return row && { ...row, token: Number(row.token), expiresAt: row.expiresAt.getTime() };
  }

  /**
   * Runs `work` in a transaction only while `token` is still the lease's token: the lease row is
   * share-locked until commit, so no takeover can slip in between the check and the writes.
   * Throws StaleLeaseError (and writes nothing) when another holder took the lease since.
   */
  fenced<T>(
    name: string,
    token: number,
    work: (tx: HousekeepingTransaction) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const rows: { token: string }[] = await manager.query(
        'SELECT token FROM skald.lease WHERE name = $1 FOR SHARE',
        [name],
      );
      const current = rows[0] ? Number(rows[0].token) : undefined;
      if (current !== token) throw new StaleLeaseError(name, token, current);
      return work(new HousekeepingTransaction(manager));
    });
  }
}
