// The engine's SQL. Every method of SagaTransaction runs inside the caller's transaction.
// ⚠ Lock order is saga row first, timer/outbox rows second (or SKIP LOCKED): keep it, or
// reply processing and the timer poller can deadlock.
import type { DataSource, EntityManager } from 'typeorm';
import { ParticipantTransaction } from './participant-flow';
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
  participant: string;
  outcome: string | null;
}

/** A timer to store. A step timeout names its command: it stays unarmed until the relay sends it. */
export type NewTimerRow = TimerRequest & { commandId?: string };

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

export interface OutboxRecord {
  id: string;
  sagaId: string;
  topic: string;
  key: string;
  headers: Record<string, string>;
  payload: string;
  /** Null for records written before flow control existed: they are sent ungated. */
  participant: string | null;
  commandId: string | null;
  attempt: number | null;
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
  /** Per-participant flow control (breaker, bulkhead, retry budget), in this same transaction. */
  readonly participants: ParticipantTransaction;

  constructor(
    private readonly manager: EntityManager,
    knownParticipants: ReadonlySet<string>,
  ) {
    this.participants = new ParticipantTransaction(manager, knownParticipants);
  }

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

  /** Locks several saga rows until commit, in id order (so two batches cannot deadlock). */
  async lockSagas(ids: string[]): Promise<Map<string, SagaRecord>> {
    const rows: SagaRow[] = await this.manager.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, toRecord(r)]));
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

  /** Records execution rows only: commands that were answered without being sent (fail-fast). */
  async insertExecutions(commands: NewCommandRow[], now: number): Promise<void> {
    if (commands.length === 0) return;
    await this.manager.query(
      `INSERT INTO skald.step_execution (command_id, saga_id, step, phase, attempt, participant, command, request, sent_at)
       SELECT c."commandId", c."sagaId", c.step, c.phase, c.attempt, c.participant, c.command, c.request, $2
       FROM jsonb_to_recordset($1::jsonb) AS c("commandId" uuid, "sagaId" uuid, step text, phase text,
            attempt int, participant text, command text, request jsonb)`,
      [JSON.stringify(commands), new Date(now)],
    );
  }

  /** Records each command's execution row and queues its Kafka record in the outbox. */
  async insertCommands(commands: NewCommandRow[], now: number): Promise<void> {
    if (commands.length === 0) return;
    const at = new Date(now);
    await this.insertExecutions(commands, now);
    await this.manager.query(
      `INSERT INTO skald.outbox (saga_id, topic, message_key, headers, payload, participant, command_id, attempt, created_at)
       SELECT c."sagaId", c.topic, c.key, c.headers, c.payload, c.participant, c."commandId", c.attempt, $2
       FROM jsonb_to_recordset($1::jsonb) AS c(ord int, "sagaId" uuid, topic text, key text,
            headers jsonb, payload text, participant text, "commandId" uuid, attempt int)
       ORDER BY c.ord`,
      [JSON.stringify(commands.map((c, ord) => ({ ord, ...c }))), at],
    );
    await this.participants.register(commands.map((c) => c.participant));
    this.queuedCommands = true;
  }

  /** True once this transaction queued commands: the store then notifies the relays, once. */
  queuedCommands = false;

  /** Relays' own transactions: losing one in a crash only means publishing its rows again. */
  async relaxDurability(): Promise<void> {
    await this.manager.query('SET LOCAL synchronous_commit = off');
  }

  /** A timer naming a command is stored unarmed, its delay kept for when the command is sent. */
  async insertTimers(sagaId: string, timers: NewTimerRow[], now: number): Promise<void> {
    if (timers.length === 0) return;
    await this.manager.query(
      `INSERT INTO skald.timer (saga_id, kind, step, phase, attempt, command_id, delay_ms, due_at)
       SELECT $1, t.kind, t.step, t.phase, t.attempt, t."commandId",
              CASE WHEN t."commandId" IS NULL THEN NULL ELSE t."dueAt" - $3 END,
              CASE WHEN t."commandId" IS NULL THEN to_timestamp(t."dueAt" / 1000.0) END
       FROM jsonb_to_recordset($2::jsonb)
         AS t(kind text, step text, phase text, attempt int, "commandId" uuid, "dueAt" float8)`,
      [sagaId, JSON.stringify(timers), now],
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

  /** Records replies' message ids; returns those recorded now (the others are duplicate deliveries). */
  async recordInbox(messageIds: string[]): Promise<Set<string>> {
    const rows: { id: string }[] = await this.manager.query(
      `INSERT INTO skald.inbox (message_id) SELECT unnest($1::uuid[])
       ON CONFLICT DO NOTHING RETURNING message_id AS id`,
      [messageIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The execution rows of these commands, by command id (unknown ids are absent). */
  async findExecutions(commandIds: string[]): Promise<Map<string, ExecutionRecord>> {
    const rows: ExecutionRecord[] = await this.manager.query(
      `SELECT command_id AS "commandId", saga_id AS "sagaId", step, phase, attempt, participant, outcome
       FROM skald.step_execution WHERE command_id = ANY($1::uuid[])`,
      [commandIds],
    );
    return new Map(rows.map((r) => [r.commandId, r]));
  }

  /**
   * Stores the reply on its execution row (the first reply only: later ones are duplicates) and
   * takes the command out of its participant's in-flight count.
   */
  async recordReply(
    commandId: string,
    outcome: string,
    reply: unknown,
    now: number,
  ): Promise<void> {
    await this.manager.query(
      `UPDATE skald.step_execution
         SET outcome = COALESCE(outcome, $2), reply = CASE WHEN outcome IS NULL THEN $3 ELSE reply END,
             replied_at = COALESCE(replied_at, $4), released_at = COALESCE(released_at, $4)
       WHERE command_id = $1`,
      [commandId, outcome, json(reply), new Date(now)],
    );
  }

  /** Takes a command out of its participant's in-flight count (it timed out). */
  async releaseCommand(commandId: string, now: number): Promise<void> {
    await this.manager.query(
      `UPDATE skald.step_execution SET released_at = $2
       WHERE command_id = $1 AND released_at IS NULL`,
      [commandId, new Date(now)],
    );
  }

  /** A finished saga awaits nothing: none of its commands count as in flight any more. */
  async releaseSaga(sagaId: string, now: number): Promise<void> {
    await this.manager.query(
      `UPDATE skald.step_execution SET released_at = $2
       WHERE saga_id = $1 AND released_at IS NULL`,
      [sagaId, new Date(now)],
    );
  }

  /** Claims one due timer (SKIP LOCKED, so instances share them); delete it before commit. */
  async claimDueTimer(now: number): Promise<TimerRecord | undefined> {
    const rows: TimerRecord[] = await this.manager.query(
      `SELECT t.id, t.saga_id AS "sagaId", t.kind, t.step, t.phase, t.attempt,
              t.command_id AS "commandId", e.participant
       FROM skald.timer t LEFT JOIN skald.step_execution e ON e.command_id = t.command_id
       WHERE t.due_at <= $1 ORDER BY t.due_at LIMIT 1 FOR UPDATE OF t SKIP LOCKED`,
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
   * Claims unpublished records, oldest first: up to `slots` of each named participant (what its
   * breaker and bulkhead allow) and up to `ungated` written before flow control existed. A saga's
   * records go to one relay at a time (transaction-scoped advisory lock on the saga id), so several
   * relays keep per-saga order; SKIP LOCKED keeps them from publishing the same row twice.
   */
  async claimOutbox(
    allowances: { participant: string; slots: number }[],
    ungated: number,
  ): Promise<OutboxRecord[]> {
    const columns = `id, saga_id AS "sagaId", topic, message_key AS key, headers, payload,
                     participant, command_id AS "commandId", attempt`;
    const sagaLock = `pg_try_advisory_xact_lock(hashtext('skald.outbox'), hashtext(saga_id::text))`;
    return this.manager.query(
      `SELECT o.* FROM unnest($1::text[], $2::int[]) AS a(participant, slots)
       CROSS JOIN LATERAL (
         SELECT ${columns} FROM skald.outbox
         WHERE participant = a.participant AND ${sagaLock}
         ORDER BY id LIMIT a.slots FOR UPDATE SKIP LOCKED) o
       UNION ALL
       SELECT u.* FROM (
         SELECT ${columns} FROM skald.outbox
         WHERE participant IS NULL AND ${sagaLock}
         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) u
       ORDER BY id`,
      [allowances.map((a) => a.participant), allowances.map((a) => a.slots), ungated],
    );
  }

  /**
   * Marks commands as sent, before they are: they now count against their participant's bulkhead,
   * and their step timeouts start. (A reply cannot overtake this: it waits on these rows' locks.)
   */
  async markDispatched(commandIds: string[], now: number): Promise<void> {
    if (commandIds.length === 0) return;
    await this.manager.query(
      `UPDATE skald.step_execution SET dispatched_at = $2
       WHERE command_id = ANY($1::uuid[]) AND released_at IS NULL`,
      [commandIds, new Date(now)],
    );
    await this.manager.query(
      `UPDATE skald.timer SET due_at = $2::timestamptz + delay_ms * interval '1 millisecond'
       WHERE command_id = ANY($1::uuid[]) AND due_at IS NULL`,
      [commandIds, new Date(now)],
    );
  }

  async deleteOutbox(ids: string[]): Promise<void> {
    await this.manager.query('DELETE FROM skald.outbox WHERE id = ANY($1::bigint[])', [ids]);
  }
}

/** Runs the engine's transactions on the orchestrator's DataSource. */
export class SagaStore {
  /** Participants known to have a skald.participant row (rows are never deleted). */
  private readonly knownParticipants = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /** One transaction; rolled back if `work` throws. */
  async transaction<T>(work: (tx: SagaTransaction) => Promise<T>): Promise<T> {
    let tx!: SagaTransaction;
    const result = await this.dataSource.transaction(async (manager) => {
      tx = new SagaTransaction(manager, this.knownParticipants);
      const value = await work(tx);
      // delivered on commit: wakes the relays of every orchestrator instance (once per transaction)
      if (tx.queuedCommands) await manager.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
      return value;
    });
    // only once committed: a rolled-back registration must be tried again
    for (const name of tx.participants.registered) this.knownParticipants.add(name);
    return result;
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
