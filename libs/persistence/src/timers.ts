// Timers: retries, saga deadlines and step timeouts. The life of a step timeout is all here.
// decide() asks for one together with the command it guards, and the request names that command.
// It is stored in the same transaction as the command, unarmed: the wait starts only once Kafka
// has the command, so a command held back by a breaker, a bulkhead or a refused topic cannot time
// out before it is sent. The relay arms it when the publish is acknowledged. An applied reply for
// its step deletes it; if it comes due first, the timer poller fires it, and the engine releases
// the command and counts the timeout against the participant. A finished saga's timers all go
// (SagaTransaction.finishSagas).
// Pollers sleep until the next due time: a statement that sets due times NOTIFYs the earliest on
// TIMER_CHANNEL (every instance's poller), and the store tells its own process after the commit.
import type { EntityManager } from 'typeorm';
import type { SagaPhase, TimerRequest } from '@skald/saga';

/** The LISTEN/NOTIFY channel of due times set: the payload is the earliest, in ms since epoch. */
export const TIMER_CHANNEL = 'skald_timer';

/**
 * Ends a statement whose CTE `cte` returned `due_at` rows: NOTIFYs the earliest on TIMER_CHANNEL
 * (parameter `channel`, delivered on commit) and returns it as `"dueAt"` (ms; no row when none).
 */
export function notifyEarliestDue(cte: string, channel: string): string {
  const earliest = 'extract(epoch FROM min(due_at)) * 1000';
  return `SELECT (${earliest})::float8 AS "dueAt", pg_notify(${channel}, (${earliest})::bigint::text)
          FROM ${cte} HAVING min(due_at) IS NOT NULL`;
}

/** In-process listeners of committed due times (other instances hear the NOTIFY). */
export class DueTimeListeners {
  private readonly listeners = new Set<(dueAt: number) => void>();

  /** Calls `listener` after each commit that set a due time, with the earliest; returns the unsubscribe. */
  add(listener: (dueAt: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(dueAt: number | undefined): void {
    if (dueAt === undefined) return;
    for (const listener of this.listeners) listener(dueAt);
  }
}

/** The earlier of two due times, either possibly unknown. */
export function earlierDue(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** A timer to store, of a saga. */
export type NewTimerRow = TimerRequest & { sagaId: string; commandId?: string };

export interface TimerRecord {
  id: string;
  sagaId: string;
  kind: TimerRequest['kind'];
  step: string | null;
  phase: SagaPhase | null;
  attempt: number | null;
  /** A step timeout's command, and the participant it went to. */
  commandId: string | null;
  participant: string | null;
}

/** The engine's timer statements, in the caller's transaction (the relay's: OutboxTransaction). */
export class TimerTransaction {
  /** The earliest due time this transaction set (ms since epoch), told in-process after commit. */
  earliestDue: number | undefined;

  constructor(private readonly manager: EntityManager) {}

  /** Stores timers (of one or more sagas); a step timeout stays unarmed until its command is sent. */
  async insert(timers: NewTimerRow[], now: number): Promise<void> {
    if (timers.length === 0) return;
    const rows: { dueAt: number }[] = await this.manager.query(
      `WITH inserted AS (
         INSERT INTO skald.timer (saga_id, kind, step, phase, attempt, command_id, delay_ms, due_at)
         SELECT t."sagaId", t.kind, t.step, t.phase, t.attempt, t."commandId",
                CASE WHEN t."commandId" IS NULL THEN NULL ELSE t."dueAt" - $2 END,
                CASE WHEN t."commandId" IS NULL THEN to_timestamp(t."dueAt" / 1000.0) END
         FROM jsonb_to_recordset($1::jsonb) AS t("sagaId" uuid, kind text, step text, phase text,
              attempt int, "commandId" uuid, "dueAt" float8)
         RETURNING due_at)
       ${notifyEarliestDue('inserted', '$3')}`,
      [JSON.stringify(timers), now, TIMER_CHANNEL],
    );
    this.earliestDue = earlierDue(this.earliestDue, rows[0]?.dueAt);
  }

  /** Claims one due timer (SKIP LOCKED, so instances share them); delete it before commit. */
  async claimDue(now: number): Promise<TimerRecord | undefined> {
    const rows: TimerRecord[] = await this.manager.query(
      `SELECT t.id, t.saga_id AS "sagaId", t.kind, t.step, t.phase, t.attempt,
              t.command_id AS "commandId", e.participant
       FROM skald.timer t LEFT JOIN skald.step_execution e ON e.command_id = t.command_id
       WHERE t.due_at <= $1 ORDER BY t.due_at LIMIT 1 FOR UPDATE OF t SKIP LOCKED`,
      [new Date(now)],
    );
    return rows[0];
  }

  async postpone(id: string, dueAt: number): Promise<void> {
    await this.manager.query('UPDATE skald.timer SET due_at = $2 WHERE id = $1', [
      id,
      new Date(dueAt),
    ]);
  }

  async delete(id: string): Promise<void> {
    await this.manager.query('DELETE FROM skald.timer WHERE id = $1', [id]);
  }

  /**
   * Drops the timeouts of steps that replied. SKIP LOCKED: a timer being fired right now is left
   * to the poller, which ignores it.
   */
  async cancelAnswered(steps: { sagaId: string; step: string }[]): Promise<void> {
    if (steps.length === 0) return;
    await this.manager.query(
      `DELETE FROM skald.timer WHERE id IN (
         SELECT t.id FROM skald.timer t
         JOIN jsonb_to_recordset($1::jsonb) AS s("sagaId" uuid, step text)
           ON t.saga_id = s."sagaId" AND t.step = s.step
         WHERE t.kind = 'step-timeout'
         FOR UPDATE OF t SKIP LOCKED)`,
      [JSON.stringify(steps)],
    );
  }

  /** A fired timeout's command is no longer in flight: it stops counting against the bulkhead. */
  async releaseCommand(commandId: string, now: number): Promise<void> {
    await this.manager.query(
      `UPDATE skald.step_execution SET released_at = $2
       WHERE command_id = $1 AND released_at IS NULL`,
      [commandId, new Date(now)],
    );
  }
}
