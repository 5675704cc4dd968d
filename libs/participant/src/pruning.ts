// Pruning of the SDK's own rows (inbox, operations, finished prepare log) once they are past the
// orchestrator's horizon: no command for them can arrive any more (docs/participants.md#pruning).
// ⚠ Pruned too early, a late redelivery runs again and a late compensation finds no record (and
// undoes nothing): `afterDays` must outlast every saga and transaction that may still send here.
import { inTransaction, type ParticipantDatabase } from './database';
import { ParticipantConfigError } from './errors';
import { PREPARE_STATES } from './two-phase';

/** Rows one DELETE removes at most: each batch is its own short transaction. */
const PRUNE_BATCH = 500;
const DAY_MS = 86_400_000;

export interface PruningOptions {
  /**
   * Rows untouched this many days are deleted. Keep it longer than the orchestrator's
   * SKALD_RETENTION_DAYS and than any saga may stay unfinished (a `failed` saga retried later
   * sends its compensations again). @default 60
   */
  afterDays?: number;
  /** How often it prunes (and once at start). @default 3_600_000 (an hour) */
  everyMs?: number;
}

/** The three tables, each with the column that says when a row was last needed. */
const TABLES = [
  { table: 'skald_participant_inbox', key: 'message_id', at: 'received_at', only: '' },
  { table: 'skald_participant_operation', key: 'saga_id, step', at: 'updated_at', only: '' },
  {
    table: 'skald_participant_prepare_log',
    key: 'transaction_id, step',
    at: 'updated_at',
    // a prepared transaction is in doubt until decided: it is never pruned
    only: `AND state IN ('${PREPARE_STATES.committed}', '${PREPARE_STATES.aborted}', '${PREPARE_STATES.refused}')`,
  },
];

/** Validated pruning settings; undefined when pruning is off (`pruning: false`). */
export function compilePruning(
  name: string,
  options: PruningOptions | false | undefined,
): Required<PruningOptions> | undefined {
  if (options === false) return undefined;
  const afterDays = options?.afterDays ?? 60;
  const everyMs = options?.everyMs ?? 3_600_000;
  if (!Number.isInteger(afterDays) || afterDays < 1)
    throw new ParticipantConfigError(
      `${name}: pruning.afterDays must be a whole number of days, at least 1, got ${afterDays}`,
    );
  if (!Number.isInteger(everyMs) || everyMs < 100 || everyMs > 2_147_483_647)
    throw new ParticipantConfigError(
      `${name}: pruning.everyMs must be an integer between 100 and 2147483647, got ${everyMs}`,
    );
  return { afterDays, everyMs };
}

/** Prunes at start and every `everyMs` until stopped. */
export class Pruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: ParticipantDatabase,
    private readonly participant: string,
    private readonly options: Required<PruningOptions>,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Deletes every row past the horizon, batch by batch; returns how many per table. */
  async pruneOnce(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const { table, key, at, only } of TABLES) {
      deleted[table] = 0;
      for (;;) {
        const [row] = await inTransaction(this.db, (tx) =>
          tx.query<{ n: number }>(
            `WITH gone AS (
               DELETE FROM ${table} WHERE participant = $1 AND (${key}) IN (
                 SELECT ${key} FROM ${table}
                 WHERE participant = $1 AND ${at} < now() - $2 * interval '1 millisecond' ${only}
                 LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING 1)
             SELECT count(*)::int AS n FROM gone`,
            [this.participant, this.options.afterDays * DAY_MS, PRUNE_BATCH],
          ),
        );
        deleted[table] += row.n;
        if (row.n < PRUNE_BATCH || this.stopped) break;
      }
    }
    return deleted;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pruneOnce().then(
        (deleted) => {
          const total = Object.values(deleted).reduce((a, b) => a + b, 0);
          if (total > 0) this.log(`pruned ${total} rows older than ${this.options.afterDays} days`);
        },
        (error: unknown) => this.log(`pruning failed (tried again later): ${String(error)}`),
      );
      void this.running.then(() => this.schedule(this.options.everyMs));
    }, delayMs);
    this.timer.unref();
  }
}
