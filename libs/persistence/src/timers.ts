// Timers: retries, saga deadlines and step timeouts. The life of a step timeout is all here.
// decide() asks for one together with the command it guards, and the request names that command.
// It is stored in the same transaction as the command, unarmed: the wait starts only once Kafka
// has the command, so a command held back by a breaker, a bulkhead or a refused topic cannot time
// out before it is sent. The relay arms it when the publish is acknowledged. An applied reply for
// its step deletes it; if it comes due first, the timer poller fires it, and the engine releases
// the command and counts the timeout against the participant. A finished saga's timers all go
// (SagaTransaction.finishSagas).
import type { EntityManager } from 'typeorm';
import type { SagaPhase, TimerRequest } from '@skald/saga';

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

/** The engine's and the relay's timer statements, inside the caller's transaction. */
export class TimerTransaction {
  constructor(private readonly manager: EntityManager) {}

  /** Stores timers (of one or more sagas); a step timeout stays unarmed until its command is sent. */
  async insert(timers: NewTimerRow[], now: number): Promise<void> {
    if (timers.length === 0) return;
    await this.manager.query(
      `INSERT INTO skald.timer (saga_id, kind, step, phase, attempt, command_id, delay_ms, due_at)
       SELECT t."sagaId", t.kind, t.step, t.phase, t.attempt, t."commandId",
              CASE WHEN t."commandId" IS NULL THEN NULL ELSE t."dueAt" - $2 END,
              CASE WHEN t."commandId" IS NULL THEN to_timestamp(t."dueAt" / 1000.0) END
       FROM jsonb_to_recordset($1::jsonb) AS t("sagaId" uuid, kind text, step text, phase text,
            attempt int, "commandId" uuid, "dueAt" float8)`,
      [JSON.stringify(timers), now],
    );
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

  /** Starts the timeouts of these commands, now that Kafka has acknowledged them. */
  async arm(commandIds: string[], now: number): Promise<void> {
    if (commandIds.length === 0) return;
    await this.manager.query(
      `UPDATE skald.timer SET due_at = $2::timestamptz + delay_ms * interval '1 millisecond'
       WHERE command_id = ANY($1::uuid[]) AND due_at IS NULL`,
      [commandIds, new Date(now)],
    );
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
