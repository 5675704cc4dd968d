// The engine's SQL. Every method of SagaTransaction runs inside the caller's transaction.
// ⚠ Lock order is saga row first, timer/outbox rows second (or SKIP LOCKED): keep it, or
// reply processing and the timer poller can deadlock.
import type { DataSource, EntityManager } from 'typeorm';
import type {
  HistoryEntry,
  RecordedError,
  SagaPhase,
  SagaStatus,
  StepState,
  TimerRequest,
} from '@skald/saga';

/** The LISTEN/NOTIFY channel the engine pings when it commits outbox rows. */
export const OUTBOX_CHANNEL = 'skald_outbox';

export interface SagaRecord {
  id: string;
  type: string;
  version: number;
  status: SagaStatus;
  input: unknown;
  data: Record<string, unknown>;
  stage: number;
  steps: Record<string, StepState>;
  error: RecordedError | null;
  deadlineAt: number | null;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export interface NewCommandRow {
  commandId: string;
  sagaId: string;
  step: string;
  phase: string;
  attempt: number;
  participant: string;
  command: string;
  request: unknown;
  /** The Kafka record to publish. */
  topic: string;
  key: string;
  headers: Record<string, string>;
  payload: string;
}

export interface ExecutionRecord {
  commandId: string;
  sagaId: string;
  step: string;
  phase: SagaPhase;
  attempt: number;
  outcome: string | null;
}

export interface TimerRecord {
  id: string;
  sagaId: string;
  kind: TimerRequest['kind'];
  step: string | null;
  phase: SagaPhase | null;
  attempt: number | null;
}

export interface OutboxRecord {
  id: string;
  topic: string;
  key: string;
  headers: Record<string, string>;
  payload: string;
}

/** A saga row as selected below: SagaRecord's fields, with the deadline still a Date. */
type SagaRow = Omit<SagaRecord, 'deadlineAt'> & { deadlineAt: Date | null };

const SAGA_COLUMNS = `id, type, version, status, input, data, stage, steps, error, deadline_at AS "deadlineAt",
  idempotency_key AS "idempotencyKey", request_hash AS "requestHash"`;

function toRecord(row: SagaRow): SagaRecord {
  return { ...row, deadlineAt: row.deadlineAt ? row.deadlineAt.getTime() : null };
}

const TERMINAL = ['completed', 'compensated', 'failed'];
const json = (value: unknown) => JSON.stringify(value ?? null);

export class SagaTransaction {
  constructor(private readonly manager: EntityManager) {}

  /** Inserts a new saga; returns false when another saga already holds its idempotency key. */
  async insertSaga(saga: SagaRecord, now: number): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO skald.saga_instance
         (id, type, version, status, input, data, stage, steps, error, deadline_at, idempotency_key, request_hash, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        saga.id,
        saga.type,
        saga.version,
        saga.status,
        json(saga.input),
        json(saga.data),
        saga.stage,
        json(saga.steps),
        saga.error ? json(saga.error) : null,
        saga.deadlineAt === null ? null : new Date(saga.deadlineAt),
        saga.idempotencyKey,
        saga.requestHash,
        new Date(now),
      ],
    );
    return rows.length === 1;
  }

  async findByIdempotencyKey(key: string): Promise<SagaRecord | undefined> {
    const rows: SagaRow[] = await this.manager.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Locks the saga row until commit: the one place that serialises work on a saga. */
  async lockSaga(id: string): Promise<SagaRecord | undefined> {
    const rows: SagaRow[] = await this.manager.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async updateSaga(saga: SagaRecord, now: number): Promise<void> {
    await this.manager.query(
      `UPDATE skald.saga_instance
         SET status = $2::text, data = $3, stage = $4, steps = $5, error = $6, updated_at = $7::timestamptz,
             ended_at = CASE WHEN $2::text = ANY($8::text[]) THEN $7::timestamptz ELSE NULL END
       WHERE id = $1`,
      [
        saga.id,
        saga.status,
        json(saga.data),
        saga.stage,
        json(saga.steps),
        saga.error ? json(saga.error) : null,
        new Date(now),
        TERMINAL,
      ],
    );
  }

  async appendHistory(sagaId: string, entries: HistoryEntry[], now: number): Promise<void> {
    if (entries.length === 0) return;
    await this.manager.query(
      `INSERT INTO skald.saga_history (saga_id, type, step, details, at)
       SELECT $1, e.type, e.step, e.details, $3
       FROM jsonb_to_recordset($2::jsonb) AS e(ord int, type text, step text, details jsonb)
       ORDER BY e.ord`,
      [sagaId, JSON.stringify(entries.map((e, ord) => ({ ord, ...e }))), new Date(now)],
    );
  }

  /** Records each command's execution row and queues its Kafka record in the outbox. */
  async insertCommands(commands: NewCommandRow[], now: number): Promise<void> {
    if (commands.length === 0) return;
    const at = new Date(now);
    // ordinals keep the outbox ids (hence the publish order) in the order decide() gave
    await this.manager.query(
      `INSERT INTO skald.step_execution (command_id, saga_id, step, phase, attempt, participant, command, request, sent_at)
       SELECT c."commandId", c."sagaId", c.step, c.phase, c.attempt, c.participant, c.command, c.request, $2
       FROM jsonb_to_recordset($1::jsonb) AS c("commandId" uuid, "sagaId" uuid, step text, phase text,
            attempt int, participant text, command text, request jsonb)`,
      [JSON.stringify(commands), at],
    );
    await this.manager.query(
      `INSERT INTO skald.outbox (saga_id, topic, message_key, headers, payload, created_at)
       SELECT c."sagaId", c.topic, c.key, c.headers, c.payload, $2
       FROM jsonb_to_recordset($1::jsonb) AS c(ord int, "sagaId" uuid, topic text, key text,
            headers jsonb, payload text)
       ORDER BY c.ord`,
      [JSON.stringify(commands.map((c, ord) => ({ ord, ...c }))), at],
    );
    // delivered on commit: wakes the relays of every orchestrator instance
    await this.manager.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
  }

  async insertTimers(sagaId: string, timers: TimerRequest[]): Promise<void> {
    if (timers.length === 0) return;
    await this.manager.query(
      `INSERT INTO skald.timer (saga_id, kind, step, phase, attempt, due_at)
       SELECT $1, t.kind, t.step, t.phase, t.attempt, to_timestamp(t."dueAt" / 1000.0)
       FROM jsonb_to_recordset($2::jsonb) AS t(kind text, step text, phase text, attempt int, "dueAt" float8)`,
      [sagaId, JSON.stringify(timers)],
    );
  }

  /**
   * Drops timers that can no longer matter (a step's timeout once it replied; all of a finished
   * saga's). SKIP LOCKED: a timer being fired right now is left to the poller, which ignores it.
   */
  async deleteTimers(sagaId: string, filter: { stepTimeoutOf?: string } = {}): Promise<void> {
    const byStep = filter.stepTimeoutOf !== undefined;
    await this.manager.query(
      `DELETE FROM skald.timer WHERE id IN (
         SELECT id FROM skald.timer
         WHERE saga_id = $1 ${byStep ? "AND kind = 'step-timeout' AND step = $2" : ''}
         FOR UPDATE SKIP LOCKED)`,
      byStep ? [sagaId, filter.stepTimeoutOf] : [sagaId],
    );
  }

  /** Records a reply's message id; false when it was recorded before (a duplicate delivery). */
  async recordInbox(messageId: string): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      'INSERT INTO skald.inbox (message_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING message_id',
      [messageId],
    );
    return rows.length === 1;
  }

  async findExecution(commandId: string): Promise<ExecutionRecord | undefined> {
    const rows: ExecutionRecord[] = await this.manager.query(
      `SELECT command_id AS "commandId", saga_id AS "sagaId", step, phase, attempt, outcome
       FROM skald.step_execution WHERE command_id = $1`,
      [commandId],
    );
    return rows[0];
  }

  /** Stores the reply on its execution row (the first reply only: later ones are duplicates). */
  async recordReply(
    commandId: string,
    outcome: string,
    reply: unknown,
    now: number,
  ): Promise<void> {
    await this.manager.query(
      `UPDATE skald.step_execution SET outcome = $2, reply = $3, replied_at = $4
       WHERE command_id = $1 AND outcome IS NULL`,
      [commandId, outcome, json(reply), new Date(now)],
    );
  }

  /** Claims one due timer (SKIP LOCKED, so instances share them); delete it before commit. */
  async claimDueTimer(now: number): Promise<TimerRecord | undefined> {
    const rows: TimerRecord[] = await this.manager.query(
      `SELECT id, saga_id AS "sagaId", kind, step, phase, attempt FROM skald.timer
       WHERE due_at <= $1 ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [new Date(now)],
    );
    return rows[0];
  }

  async postponeTimer(id: string, dueAt: number): Promise<void> {
    await this.manager.query('UPDATE skald.timer SET due_at = $2 WHERE id = $1', [
      id,
      new Date(dueAt),
    ]);
  }

  async deleteTimer(id: string): Promise<void> {
    await this.manager.query('DELETE FROM skald.timer WHERE id = $1', [id]);
  }

  /**
   * Claims up to `limit` unpublished records, oldest first. A saga's records go to one relay at a
   * time (transaction-scoped advisory lock on the saga id), so several relays keep per-saga order;
   * SKIP LOCKED keeps them from publishing the same row twice.
   */
  async claimOutbox(limit: number): Promise<OutboxRecord[]> {
    return this.manager.query(
      `SELECT id, topic, message_key AS key, headers, payload FROM skald.outbox
       WHERE pg_try_advisory_xact_lock(hashtext('skald.outbox'), hashtext(saga_id::text))
       ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  async deleteOutbox(ids: string[]): Promise<void> {
    await this.manager.query('DELETE FROM skald.outbox WHERE id = ANY($1::bigint[])', [ids]);
  }
}

/** Runs the engine's transactions on the orchestrator's DataSource. */
export class SagaStore {
  constructor(private readonly dataSource: DataSource) {}

  /** One transaction; rolled back if `work` throws. */
  transaction<T>(work: (tx: SagaTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new SagaTransaction(manager)));
  }

  /** Unpublished outbox rows and due timers: the work a crashed instance may have left. */
  async outstandingWork(now: number): Promise<{ outbox: number; dueTimers: number }> {
    const rows: { outbox: number; due: number }[] = await this.dataSource.query(
      `SELECT (SELECT count(*)::int FROM skald.outbox) AS outbox,
              (SELECT count(*)::int FROM skald.timer WHERE due_at <= $1) AS due`,
      [new Date(now)],
    );
    return { outbox: rows[0].outbox, dueTimers: rows[0].due };
  }
}
