// Timers: retries, saga deadlines and step timeouts. The life of a step timeout is all here.
// decide() asks for one together with the command it guards, and the request names that command.
// It is stored in the same transaction as the command, unarmed: the wait starts only once Kafka
// has the command, so a command held back by a breaker, a bulkhead or a refused topic cannot time
// out before it is sent. The relay arms it when the publish is acknowledged. An applied reply for
// its step deletes it; if it comes due first, the timer poller fires it, and the engine releases
// the command and counts the timeout against the participant. A finished saga's timers all go
// (SagaTransaction.finishSagas). The engine's timer writes are queued into its transaction's one
// write statement (write-statement.ts); deletions are merged into one DELETE there.
// Pollers sleep until the next due time: a statement that sets due times NOTIFYs the earliest on
// TIMER_CHANNEL (every instance's poller), and the store tells its own process after the commit.
import type { SagaPhase, TimerRequest } from '@skald/saga';
import type { QueuedWrites, WriteStatement } from './write-statement';

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
  /** Epoch ms when a step timeout's command was queued (its execution row's `sent_at`). */
  sentAt: number | null;
}

/** The engine's timer statements, in the caller's transaction (the relay's: OutboxTransaction). */
export class TimerTransaction {
  /** The earliest due time this transaction set (ms since epoch), told in-process after commit. */
  earliestDue: number | undefined;
  /** Timers to delete, merged into one DELETE per statement. */
  private deletions = noDeletions();

  constructor(private readonly writes: QueuedWrites) {
    writes.beforeRun((statement) => this.queueDeletions(statement));
  }

  /** Queues timers (of one or more sagas); a step timeout stays unarmed until its command is sent. */
  insert(timers: NewTimerRow[], now: number): void {
    if (timers.length === 0) return;
    const parameters: unknown[] = [JSON.stringify(timers), now];
    const inserted = this.writes.add(
      `INSERT INTO skald.timer (saga_id, kind, step, phase, attempt, command_id, delay_ms, due_at)
       SELECT t."sagaId", t.kind, t.step, t.phase, t.attempt, t."commandId",
              CASE WHEN t."commandId" IS NULL THEN NULL ELSE t."dueAt" - $2 END,
              CASE WHEN t."commandId" IS NULL THEN to_timestamp(t."dueAt" / 1000.0) END
       FROM jsonb_to_recordset($1::jsonb) AS t("sagaId" uuid, kind text, step text, phase text,
            attempt int, "commandId" uuid, "dueAt" float8)
       WHERE ${this.writes.ofWrittenSagas('t."sagaId"', parameters)}
       RETURNING due_at`,
      parameters,
    );
    this.notifyEarliest(inserted);
  }

  /** Tells the pollers the earliest due time the CTE `cte` RETURNed (after the commit). */
  private notifyEarliest(cte: string): void {
    this.writes.select(
      `SELECT row_to_json(n) FROM (${notifyEarliestDue(cte, '$1')}) n`,
      [TIMER_CHANNEL],
      (value) => {
        const dueAt = (value as { dueAt: number } | null)?.dueAt;
        this.earliestDue = earlierDue(this.earliestDue, dueAt);
      },
    );
  }

  /**
   * Holds a due timer of a paused saga: due at 'infinity', so no poller claims it (or wakes for
   * it) until `releaseHeld`.
   */
  hold(id: string): void {
    this.writes.add(`UPDATE skald.timer SET due_at = 'infinity' WHERE id = $1`, [id]);
  }

  /**
   * The held timers of these sagas (resumed) come due now: each fires as it would have, and
   * decide() sorts out which still apply. Not for a saga this statement finishes (its timers go).
   */
  releaseHeld(sagaIds: string[], now: number): void {
    if (sagaIds.length === 0) return;
    const released = this.writes.add(
      `UPDATE skald.timer SET due_at = $2
       WHERE saga_id = ANY($1::uuid[]) AND due_at = 'infinity'
       RETURNING due_at`,
      [sagaIds, new Date(now)],
    );
    this.notifyEarliest(released);
  }

  postpone(id: string, dueAt: number): void {
    this.writes.add('UPDATE skald.timer SET due_at = $2 WHERE id = $1', [id, new Date(dueAt)]);
  }

  /** Deletes a timer (of saga `sagaId`). */
  delete(id: string, sagaId: string): void {
    this.deletions.ids.push(id);
    this.deletions.concerned.push(sagaId);
  }

  /** Deletes every timer of these sagas. */
  deleteOfSagas(sagaIds: string[]): void {
    this.deletions.sagaIds.push(...sagaIds);
  }

  /**
   * Drops the timeouts of steps that replied. SKIP LOCKED: a timer being fired right now is left
   * to the poller, which ignores it.
   */
  cancelAnswered(steps: TimerStep[]): void {
    this.deletions.steps.push(...steps);
  }

  /** The deletions asked for since the last statement, as one DELETE (a row is deleted once). */
  private queueDeletions(statement: WriteStatement): void {
    const { ids, sagaIds, steps, concerned } = this.deletions;
    this.deletions = noDeletions();
    if (ids.length + sagaIds.length + steps.length === 0) return;
    // every condition is of these sagas: the timer_saga index finds the rows
    statement.add(
      `DELETE FROM skald.timer WHERE id IN (
         SELECT t.id FROM skald.timer t
         WHERE t.saga_id = ANY($4::uuid[])
           AND (t.id = ANY($1::bigint[]) OR t.saga_id = ANY($2::uuid[])
                OR (t.kind = 'step-timeout' AND (t.saga_id, t.step) IN (
                  SELECT s."sagaId", s.step FROM jsonb_to_recordset($3::jsonb) AS s("sagaId" uuid, step text))))
         FOR UPDATE OF t SKIP LOCKED)`,
      [
        ids,
        sagaIds,
        JSON.stringify(steps),
        [...new Set([...concerned, ...sagaIds, ...steps.map((s) => s.sagaId)])],
      ],
    );
  }
}

function noDeletions() {
  return {
    ids: [] as string[],
    sagaIds: [] as string[],
    steps: [] as TimerStep[],
    concerned: [] as string[],
  };
}

/** A step of a saga. */
export interface TimerStep {
  sagaId: string;
  step: string;
}
