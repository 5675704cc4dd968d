// The engine's SQL. Every method of SagaTransaction runs inside the caller's transaction.
// ⚠ Lock order is saga row first, timer/outbox rows second (or SKIP LOCKED): keep it, or
// reply processing and the timer poller can deadlock.
import type { DataSource, EntityManager } from 'typeorm';
import type { HistoryEntry, SagaPhase } from '@skald/saga';
import { OutboxTransaction } from './outbox-transaction';
import { ParticipantTransaction } from './participant-flow';
import { SAGA_COLUMNS, sagaRecordsFromRows, type SagaRecord } from './saga-records';
import { DueTimeListeners, TimerTransaction } from './timers';

/** The LISTEN/NOTIFY channel the engine pings when it commits outbox rows. */
export const OUTBOX_CHANNEL = 'skald_outbox';

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

const TERMINAL = ['completed', 'compensated', 'failed'];

export class SagaTransaction {
  /** Per-participant flow control (breaker, bulkhead, retry budget), in this same transaction. */
  readonly participants: ParticipantTransaction;
  /** Retries, deadlines and step timeouts, in this same transaction. */
  readonly timers: TimerTransaction;
  /** The relay's claim and dispatch, in this same transaction. */
  readonly outbox: OutboxTransaction;

  constructor(
    private readonly manager: EntityManager,
    knownParticipants: ReadonlySet<string>,
  ) {
    this.participants = new ParticipantTransaction(manager, knownParticipants);
    this.timers = new TimerTransaction(manager);
    this.outbox = new OutboxTransaction(manager, this.timers);
  }

  /** Inserts new sagas; returns the ids inserted (absent: another saga holds its idempotency key). */
  async insertSagas(sagas: SagaRecord[], now: number): Promise<Set<string>> {
    if (sagas.length === 0) return new Set();
    const rows: { id: string }[] = await this.manager.query(
      `INSERT INTO skald.saga_instance
         (id, type, version, status, input, data, stage, steps, error, deadline_at, idempotency_key, request_hash,
          created_at, updated_at, ended_at)
       SELECT s.id, s.type, s.version, s.status, COALESCE(s.input, 'null'::jsonb), s.data, s.stage, s.steps, s.error,
              to_timestamp(s."deadlineAt" / 1000.0), s."idempotencyKey", s."requestHash", $2, $2,
              CASE WHEN s.status = ANY($3::text[]) THEN $2::timestamptz END
       FROM jsonb_to_recordset($1::jsonb) AS s(ord int, id uuid, type text, version int, status text,
            input jsonb, data jsonb, stage int, steps jsonb, error jsonb, "deadlineAt" float8,
            "idempotencyKey" text, "requestHash" text)
       ORDER BY s.ord
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [JSON.stringify(sagas.map((saga, ord) => ({ ord, ...saga }))), new Date(now), TERMINAL],
    );
    return new Set(rows.map((r) => r.id));
  }

  async findByIdempotencyKey(key: string): Promise<SagaRecord | undefined> {
    const rows: unknown[] = await this.manager.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE idempotency_key = $1`,
      [key],
    );
    return sagaRecordsFromRows(rows)[0];
  }

  /** Locks the saga row until commit: the one place that serialises work on a saga. */
  async lockSaga(id: string): Promise<SagaRecord | undefined> {
    const rows: unknown[] = await this.manager.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return sagaRecordsFromRows(rows)[0];
  }

  /** Locks several saga rows until commit, in id order (so two batches cannot deadlock). */
  async lockSagas(ids: string[]): Promise<Map<string, SagaRecord>> {
    const rows: unknown[] = await this.manager.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return new Map(sagaRecordsFromRows(rows).map((saga) => [saga.id, saga]));
  }

  async updateSagas(sagas: SagaRecord[], now: number): Promise<void> {
    if (sagas.length === 0) return;
    await this.manager.query(
      `UPDATE skald.saga_instance AS t
         SET status = s.status, data = s.data, stage = s.stage, steps = s.steps, error = s.error,
             updated_at = $2::timestamptz,
             ended_at = CASE WHEN s.status = ANY($3::text[]) THEN $2::timestamptz ELSE NULL END
       FROM jsonb_to_recordset($1::jsonb)
         AS s(id uuid, status text, data jsonb, stage int, steps jsonb, error jsonb)
       WHERE t.id = s.id`,
      [JSON.stringify(sagas), new Date(now), TERMINAL],
    );
  }

  /** Appends history entries (of one or more sagas), in the order given. */
  async appendHistory(entries: (HistoryEntry & { sagaId: string })[], now: number): Promise<void> {
    if (entries.length === 0) return;
    await this.manager.query(
      `INSERT INTO skald.saga_history (saga_id, type, step, details, at)
       SELECT e."sagaId", e.type, e.step, e.details, $2
       FROM jsonb_to_recordset($1::jsonb) AS e(ord int, "sagaId" uuid, type text, step text, details jsonb)
       ORDER BY e.ord`,
      [JSON.stringify(entries.map((e, ord) => ({ ord, ...e }))), new Date(now)],
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

  /**
   * Finished sagas await nothing: their timers go, and none of their commands counts as in
   * flight any more.
   */
  async finishSagas(sagaIds: string[], now: number): Promise<void> {
    if (sagaIds.length === 0) return;
    await this.manager.query(
      `DELETE FROM skald.timer WHERE id IN (
         SELECT id FROM skald.timer WHERE saga_id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)`,
      [sagaIds],
    );
    await this.manager.query(
      `UPDATE skald.step_execution SET released_at = $2
       WHERE saga_id = ANY($1::uuid[]) AND released_at IS NULL`,
      [sagaIds, new Date(now)],
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
   * Stores replies on their execution rows (the first reply only: later ones are duplicates) and
   * takes the commands out of their participants' in-flight counts.
   */
  async recordReplies(
    replies: { commandId: string; outcome: string; reply: unknown }[],
    now: number,
  ): Promise<void> {
    if (replies.length === 0) return;
    await this.manager.query(
      `UPDATE skald.step_execution AS e
         SET outcome = COALESCE(e.outcome, r.outcome),
             reply = CASE WHEN e.outcome IS NULL THEN r.reply ELSE e.reply END,
             replied_at = COALESCE(e.replied_at, $2::timestamptz),
             released_at = COALESCE(e.released_at, $2::timestamptz)
       FROM jsonb_to_recordset($1::jsonb) AS r("commandId" uuid, outcome text, reply jsonb)
       WHERE e.command_id = r."commandId"`,
      [JSON.stringify(replies.map((r) => ({ ...r, reply: r.reply ?? null }))), new Date(now)],
    );
  }
}

/** Runs the engine's transactions on the orchestrator's DataSource. */
export class SagaStore {
  /** Participants known to have a skald.participant row (rows are never deleted). */
  private readonly knownParticipants = new Set<string>();
  private readonly dueTimes = new DueTimeListeners();

  /**
   * @param notifyAs the payload of this store's outbox notifications, so a relay can skip the
   *   ones its own process sent (it is woken in-process for those)
   */
  constructor(
    private readonly dataSource: DataSource,
    readonly notifyAs = '',
  ) {}

  /** One transaction; rolled back if `work` throws. */
  async transaction<T>(work: (tx: SagaTransaction) => Promise<T>): Promise<T> {
    let tx!: SagaTransaction;
    const result = await this.dataSource.transaction(async (manager) => {
      tx = new SagaTransaction(manager, this.knownParticipants);
      const value = await work(tx);
      // delivered on commit: wakes the relays of every orchestrator instance (once per transaction)
      if (tx.queuedCommands) {
        await manager.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, this.notifyAs]);
      }
      return value;
    });
    // only once committed: a rolled-back registration must be tried again
    for (const name of tx.participants.registered) this.knownParticipants.add(name);
    this.dueTimes.emit(tx.timers.earliestDue);
    return result;
  }

  /** Calls `listener` after each commit that set timers' due times, with the earliest (ms since epoch). */
  onTimersCommitted(listener: (dueAt: number) => void): () => void {
    return this.dueTimes.add(listener);
  }

  /**
   * The earliest due time (ms since epoch) of the saga timers and of the 2PC transactions' timers,
   * due or not, locked or not; absent when there is none. One statement, two index lookups.
   */
  async nextTimersDue(): Promise<{ saga?: number; transaction?: number }> {
    const ms = (column: string) => `(extract(epoch FROM min(due_at)) * 1000)::float8 AS ${column}`;
    const rows: { saga: number | null; transaction: number | null }[] = await this.dataSource.query(
      `SELECT (SELECT ${ms('saga')} FROM skald.timer) AS saga,
                (SELECT ${ms('transaction')} FROM skald.two_phase_transaction) AS transaction`,
    );
    return { saga: rows[0].saga ?? undefined, transaction: rows[0].transaction ?? undefined };
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
