// Bulk jobs (#18): a snapshot of the saga ids a filter matched, worked through in the background.
// ⚠ Exactly once per saga: an item's outcome is written only while it is still null, and a
// successful action writes it in the action's own transaction (BulkItemTransaction) after
// locking the item row; so a crash, a restart or a second instance can never act on a saga twice.
import type { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, pageOf, type Page } from './keyset-page';
import { sagaFilterOf, sagaFilterSql, type SagaFilter } from './saga-filter';
import type { QueuedWrites } from './write-statement';

export const BULK_JOB_STATUS = {
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
} as const;
export type BulkJobStatus = (typeof BULK_JOB_STATUS)[keyof typeof BULK_JOB_STATUS];

export const BULK_ITEM_OUTCOME = { succeeded: 'succeeded', failed: 'failed' } as const;
export type BulkItemOutcome = (typeof BULK_ITEM_OUTCOME)[keyof typeof BULK_ITEM_OUTCOME];

export interface BulkJobRecord {
  id: string;
  action: string;
  status: BulkJobStatus;
  filter: SagaFilter;
  reason: string | null;
  /** The API key name that created the job (null when the API is open). */
  actor: string | null;
  /** Sagas in the snapshot. */
  total: number;
  succeeded: number;
  failed: number;
  /** ms since epoch */
  createdAt: number;
  endedAt: number | null;
}

/** What the job did (or has yet to do) to one saga. */
export interface BulkItemRecord {
  sagaId: string;
  /** null: not acted on yet. */
  outcome: BulkItemOutcome | null;
  error: { code: string; message: string } | null;
  endedAt: number | null;
}

export interface NewBulkJob {
  id: string;
  action: string;
  filter: SagaFilter;
  reason?: string;
  actor?: string;
  /** Refuse a filter matching more sagas than this. */
  maxSagas: number;
  /** Refuse while this many jobs run. */
  maxRunningJobs: number;
}

export type CreateBulkJobResult =
  | { created: BulkJobRecord }
  | { refused: 'too-many-sagas'; count: number }
  | { refused: 'too-many-jobs'; running: number };

const JOB_COLUMNS = `j.id, j.action, j.status, j.filter, j.reason, j.actor, j.total,
  (SELECT count(*) FILTER (WHERE outcome = 'succeeded') FROM skald.bulk_job_item i WHERE i.job_id = j.id)::int AS succeeded,
  (SELECT count(*) FILTER (WHERE outcome = 'failed') FROM skald.bulk_job_item i WHERE i.job_id = j.id)::int AS failed,
  j.created_at AS "createdAt", j.ended_at AS "endedAt"`;

type JobRow = Omit<BulkJobRecord, 'createdAt' | 'endedAt'> & {
  createdAt: Date;
  endedAt: Date | null;
};
const toJob = (row: JobRow): BulkJobRecord => ({
  ...row,
  createdAt: row.createdAt.getTime(),
  endedAt: row.endedAt?.getTime() ?? null,
});

async function findJob(manager: EntityManager, id: string): Promise<BulkJobRecord | undefined> {
  const rows: JobRow[] = await manager.query(
    `SELECT ${JOB_COLUMNS} FROM skald.bulk_job j WHERE j.id = $1`,
    [id],
  );
  return rows[0] && toJob(rows[0]);
}

/** Serialises job creation, so two concurrent requests cannot both take the last running slot. */
const CREATE_LOCK = "hashtext('skald.bulk_job.create')";

export class BulkJobStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates a running job with the snapshot of what its filter matches now, within the caps. */
  create(job: NewBulkJob): Promise<CreateBulkJobResult> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(${CREATE_LOCK})`);
      const [{ running }]: { running: number }[] = await manager.query(
        `SELECT count(*)::int AS running FROM skald.bulk_job WHERE status = 'running'`,
      );
      if (running >= job.maxRunningJobs) return { refused: 'too-many-jobs', running };
      const matching = sagaFilterSql(job.filter, 1);
      const [{ count }]: { count: number }[] = await manager.query(
        `SELECT count(*)::int AS count FROM skald.saga_instance WHERE ${matching.where}`,
        matching.parameters,
      );
      if (count > job.maxSagas) return { refused: 'too-many-sagas', count };
      const snapshot = sagaFilterSql(job.filter, 7);
      // the snapshot is taken in the job's order: oldest saga first
      await manager.query(
        `WITH job AS (
           INSERT INTO skald.bulk_job (id, action, status, filter, reason, actor, total, created_at)
           VALUES ($1, $2, 'running', $3, $4, $5, 0, now()) RETURNING id)
         INSERT INTO skald.bulk_job_item (job_id, saga_id, ord)
         SELECT (SELECT id FROM job), s.id, row_number() OVER (ORDER BY s.created_at, s.id)
         FROM (SELECT id, created_at FROM skald.saga_instance WHERE ${snapshot.where}
               ORDER BY created_at, id LIMIT $6) s`,
        [
          job.id,
          job.action,
          JSON.stringify(sagaFilterOf(job.filter)),
          job.reason ?? null,
          job.actor ?? null,
          job.maxSagas,
          ...snapshot.parameters,
        ],
      );
      // the row count, not `count`: a saga may have matched between the two statements
      await manager.query(
        `UPDATE skald.bulk_job SET total = (SELECT count(*) FROM skald.bulk_job_item WHERE job_id = $1),
           status = CASE WHEN EXISTS (SELECT 1 FROM skald.bulk_job_item WHERE job_id = $1)
                         THEN 'running' ELSE 'completed' END,
           ended_at = CASE WHEN EXISTS (SELECT 1 FROM skald.bulk_job_item WHERE job_id = $1)
                           THEN NULL ELSE now() END
         WHERE id = $1`,
        [job.id],
      );
      const rows: JobRow[] = await manager.query(
        `SELECT ${JOB_COLUMNS} FROM skald.bulk_job j WHERE j.id = $1`,
        [job.id],
      );
      return { created: toJob(rows[0]) };
    });
  }

  find(id: string): Promise<BulkJobRecord | undefined> {
    return findJob(this.dataSource.manager, id);
  }

  /**
   * A job with its items in its order: those with `outcome` (null: not acted on yet), or all.
   * One snapshot, so the counts and the items agree while actions commit.
   */
  findWithItems(
    id: string,
    query: { outcome?: BulkItemOutcome | 'pending'; limit: number },
  ): Promise<{ job: BulkJobRecord; items: BulkItemRecord[] } | undefined> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const job = await findJob(manager, id);
      if (!job) return undefined;
      const rows: (Omit<BulkItemRecord, 'endedAt'> & { endedAt: Date | null })[] =
        await manager.query(
          `SELECT saga_id AS "sagaId", outcome, error, ended_at AS "endedAt"
           FROM skald.bulk_job_item WHERE job_id = $1
             AND ($2::text IS NULL OR outcome IS NOT DISTINCT FROM NULLIF($2, 'pending'))
           ORDER BY ord LIMIT $3`,
          [id, query.outcome ?? null, query.limit],
        );
      return {
        job,
        items: rows.map((row) => ({ ...row, endedAt: row.endedAt?.getTime() ?? null })),
      };
    });
  }

  /** Jobs, newest first, keyset-paged. */
  async list(query: { limit: number; cursor?: string }): Promise<Page<BulkJobRecord>> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows: JobRow[] = await this.dataSource.query(
      `SELECT ${JOB_COLUMNS} FROM skald.bulk_job j
       WHERE ($1::timestamptz IS NULL OR (j.created_at, j.id) < ($1, $2::uuid))
       ORDER BY j.created_at DESC, j.id DESC LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? null, query.limit + 1],
    );
    return pageOf(rows.map(toJob), query.limit);
  }

  /**
   * Stops a running job; false when it was not running. It waits for an action under way to
   * commit (its job row lock), so nothing is acted on after it returns.
   */
  async cancel(id: string): Promise<boolean> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE skald.bulk_job SET status = 'cancelled', ended_at = now()
       WHERE id = $1 AND status = 'running'`,
      [id],
    );
    return result[1] > 0;
  }

  /** The running jobs, oldest first. */
  async running(): Promise<
    { id: string; action: string; reason: string | null; actor: string | null }[]
  > {
    return this.dataSource.query(
      `SELECT id, action, reason, actor FROM skald.bulk_job WHERE status = 'running' ORDER BY created_at, id`,
    );
  }

  /** The next sagas a running job has yet to act on, in its order. */
  async pending(jobId: string, limit: number): Promise<string[]> {
    const rows: { sagaId: string }[] = await this.dataSource.query(
      `SELECT saga_id AS "sagaId" FROM skald.bulk_job_item
       WHERE job_id = $1 AND outcome IS NULL ORDER BY ord LIMIT $2`,
      [jobId, limit],
    );
    return rows.map((row) => row.sagaId);
  }

  /**
   * Records a refused action, unless the item already has an outcome or the job no longer runs
   * (the job row share-locked, as in BulkItemTransaction.claimSuccess).
   */
  async recordFailure(
    jobId: string,
    sagaId: string,
    error: { code: string; message: string },
  ): Promise<void> {
    await this.dataSource.query(
      `WITH job AS (SELECT 1 FROM skald.bulk_job WHERE id = $1 AND status = 'running' FOR SHARE)
       UPDATE skald.bulk_job_item SET outcome = 'failed', error = $3, ended_at = now()
       WHERE job_id = $1 AND saga_id = $2 AND outcome IS NULL AND EXISTS (SELECT 1 FROM job)`,
      [jobId, sagaId, JSON.stringify(error)],
    );
  }

  /** Marks a running job completed once no item is left to act on. */
  async completeIfDone(jobId: string): Promise<boolean> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE skald.bulk_job SET status = 'completed', ended_at = now()
       WHERE id = $1 AND status = 'running'
         AND NOT EXISTS (SELECT 1 FROM skald.bulk_job_item WHERE job_id = $1 AND outcome IS NULL)`,
      [jobId],
    );
    return result[1] > 0;
  }
}

/** A bulk job's item, inside the transaction of the action on its saga (SagaTransaction.bulkItems). */
export class BulkItemTransaction {
  constructor(private readonly writes: QueuedWrites) {}

  /**
   * Locks the job's item for `sagaId` until commit and queues its success: true when it had no
   * outcome yet and the job still runs, false (nothing queued) when another transaction already
   * ended it or the job was cancelled.
   * Lock order: call after the saga row is locked.
   */
  async claimSuccess(jobId: string, sagaId: string): Promise<boolean> {
    // the job row is share-locked so that a cancel waits for this action to commit: once the
    // cancel has returned, nothing more is acted on
    const rows = await this.writes.read(
      `SELECT 1 FROM skald.bulk_job_item i JOIN skald.bulk_job j ON j.id = i.job_id
       WHERE i.job_id = $1 AND i.saga_id = $2 AND i.outcome IS NULL AND j.status = 'running'
       FOR UPDATE OF i FOR SHARE OF j`,
      [jobId, sagaId],
    );
    if (rows.length === 0) return false;
    this.writes.add(
      `UPDATE skald.bulk_job_item SET outcome = 'succeeded', ended_at = now()
       WHERE job_id = $1 AND saga_id = $2`,
      [jobId, sagaId],
    );
    return true;
  }
}
