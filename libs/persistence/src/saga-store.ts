// The engine's SQL. Every method of SagaTransaction runs inside the caller's transaction. The
// engine's writes are queued and run as ONE statement (write-statement.ts): before any read of
// the transaction, and before COMMIT.
// ⚠ Lock order is saga row first, timer/outbox rows second (or SKIP LOCKED): keep it, or
// reply processing and the timer poller can deadlock.
import type { DataSource, EntityManager } from 'typeorm';
import type { HistoryEntry } from '@skald/saga';
import {
  CLAIM_DUE_TIMER_SQL,
  claimedTimer,
  REPLY_BATCH_SQL,
  replyBatchParameters,
  replyBatchRead,
  type ClaimedTimer,
  type ReplyBatchRead,
  type ReplyKey,
} from './engine-reads';
import { BulkItemTransaction } from './bulk-jobs';
import { OutboxInserts, type CommandLease, type QueuedCommand } from './outbox-inserts';
import { OutboxTransaction } from './outbox-transaction';
import { ParticipantTransaction, type ManualBreaker } from './participant-flow';
import {
  SAGA_COLUMNS,
  sagaRecordsFromRows,
  type NewSagaRecord,
  type SagaRecord,
} from './saga-records';
import {
  StepExecutions,
  type AnsweredCommandRow,
  type ExecutionRecord,
  type NewCommandRow,
} from './step-executions';
import { DueTimeListeners, TimerTransaction } from './timers';
import { statementRunner } from './statements';
import { Later, QueuedWrites, type WriteStatement } from './write-statement';

/** The LISTEN/NOTIFY channel the engine pings when it commits outbox rows. */
export const OUTBOX_CHANNEL = 'skald_outbox';

export type { AnsweredCommandRow, ExecutionRecord, NewCommandRow };

const TERMINAL = ['completed', 'compensated', 'failed'];

export class SagaTransaction {
  /** Per-participant flow control (breaker, bulkhead, retry budget), in this same transaction. */
  readonly participants: ParticipantTransaction;
  /** Retries, deadlines and step timeouts, in this same transaction. */
  readonly timers: TimerTransaction;
  /** The relay's claim and dispatch, in this same transaction. */
  readonly outbox: OutboxTransaction;
  /** A bulk job's item, ended in the same transaction as its action. */
  readonly bulkItems: BulkItemTransaction;
  private readonly writes: QueuedWrites;
  /** History entries queued for the next statement: one INSERT keeps their order. */
  private history: (HistoryEntry & { sagaId: string; at: Date })[] = [];
  private readonly executions: StepExecutions;
  private readonly outboxRows: OutboxInserts;
  private relaysNotified = false;
  private readonly commands: QueuedCommand[] = [];

  constructor(
    manager: EntityManager,
    knownParticipants: ReadonlySet<string>,
    private readonly notifyAs: string,
    preparedStatements: boolean,
  ) {
    const run = statementRunner(manager, preparedStatements);
    this.writes = new QueuedWrites(run);
    this.participants = new ParticipantTransaction(knownParticipants, this.writes);
    this.timers = new TimerTransaction(this.writes);
    this.executions = new StepExecutions(this.writes);
    this.writes.beforeRun((statement) => this.queueHistory(statement));
    this.outboxRows = new OutboxInserts(this.writes, notifyAs);
    this.outbox = new OutboxTransaction(run, this.timers, notifyAs);
    this.bulkItems = new BulkItemTransaction(this.writes);
  }

  /** Runs the queued writes now, as one statement (the store runs what is left before COMMIT). */
  flush(): Promise<void> {
    return this.writes.flush();
  }

  /**
   * Queues new sagas; once the statement ran, the ids inserted (absent: another saga holds its
   * idempotency key, and nothing of that saga queued in the same statement is written).
   */
  insertSagas(sagas: NewSagaRecord[], now: number): Later<Set<string>> {
    const inserted = new Later<Set<string>>();
    if (sagas.length === 0) {
      inserted.set(new Set());
      return inserted;
    }
    const cte = this.writes.add(
      `INSERT INTO skald.saga_instance
         (id, type, version, status, input, data, stage, steps, error, wait_reason, deadline_at, idempotency_key,
          request_hash, definition_hash, created_at, updated_at, ended_at, trace_parent)
       SELECT s.id, s.type, s.version, s.status, COALESCE(s.input, 'null'::jsonb), s.data, s.stage, s.steps, s.error,
              s."waitReason", to_timestamp(s."deadlineAt" / 1000.0), s."idempotencyKey", s."requestHash",
              s."definitionHash", $2, $2, CASE WHEN s.status = ANY($3::text[]) THEN $2::timestamptz END,
              s."traceParent"
       FROM jsonb_to_recordset($1::jsonb) AS s(ord int, id uuid, type text, version int, status text,
            input jsonb, data jsonb, stage int, steps jsonb, error jsonb, "waitReason" text, "deadlineAt" float8,
            "idempotencyKey" text, "requestHash" text, "definitionHash" text, "traceParent" text)
       ORDER BY s.ord
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [JSON.stringify(sagas.map((saga, ord) => ({ ord, ...saga }))), new Date(now), TERMINAL],
      (rows) => inserted.set(new Set((rows as { id: string }[]).map((r) => r.id))),
    );
    this.writes.insertsSagas(
      cte,
      sagas.map((saga) => saga.id),
    );
    return inserted;
  }

  async findByIdempotencyKey(key: string): Promise<SagaRecord | undefined> {
    const rows: unknown[] = await this.writes.read(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE idempotency_key = $1`,
      [key],
    );
    return sagaRecordsFromRows(rows)[0];
  }

  /** Locks the saga row until commit: the one place that serialises work on a saga. */
  async lockSaga(id: string): Promise<SagaRecord | undefined> {
    const rows: unknown[] = await this.writes.read(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return sagaRecordsFromRows(rows)[0];
  }

  /**
   * The read that opens a batch of replies, in one statement: records their message ids in the
   * inbox, reads the execution rows they answer, locks their sagas in id order and then the rows
   * of the participants whose breakers may change in name order (ReplyBatchRead.flows): the
   * write statement changes no other participant row, so lock order holds.
   */
  async readReplies(replies: readonly ReplyKey[]): Promise<ReplyBatchRead> {
    const [row] = await this.writes.read<Parameters<typeof replyBatchRead>[0]>(
      REPLY_BATCH_SQL,
      replyBatchParameters(replies),
    );
    return replyBatchRead(row);
  }

  /** Claims one due timer (SKIP LOCKED, so instances share them), its saga locked; see ClaimedTimer. */
  async claimDueTimer(now: number): Promise<ClaimedTimer | undefined> {
    const [row] = await this.writes.read<Parameters<typeof claimedTimer>[0]>(CLAIM_DUE_TIMER_SQL, [
      new Date(now),
    ]);
    return claimedTimer(row);
  }

  updateSagas(sagas: SagaRecord[], now: number): void {
    if (sagas.length === 0) return;
    this.writes.add(
      `UPDATE skald.saga_instance AS t
         SET status = s.status, data = s.data, stage = s.stage, steps = s.steps, error = s.error,
             wait_reason = s."waitReason", updated_at = $2::timestamptz,
             ended_at = CASE WHEN s.status = ANY($3::text[]) THEN $2::timestamptz ELSE NULL END
       FROM jsonb_to_recordset($1::jsonb)
         AS s(id uuid, status text, data jsonb, stage int, steps jsonb, error jsonb, "waitReason" text)
       WHERE t.id = s.id AND t.id = ANY($4::uuid[])`,
      [JSON.stringify(sagas), new Date(now), TERMINAL, sagas.map((s) => s.id)],
    );
  }

  /** Appends history entries (of one or more sagas), in the order given. */
  appendHistory(entries: (HistoryEntry & { sagaId: string })[], now: number): void {
    this.history.push(...entries.map((entry) => ({ ...entry, at: new Date(now) })));
  }

  /** Leases the commands of this transaction's statements from now on, where `lease` allows. */
  leaseWith(lease: CommandLease): void {
    this.outboxRows.leaseWith(lease);
  }

  /** The commands this transaction queued in the outbox so far (a handoff may lease them). */
  get queuedCommands(): readonly QueuedCommand[] {
    return this.commands;
  }

  /** Queues each command's execution row and its Kafka record in the outbox. */
  insertCommands(commands: NewCommandRow[], now: number): void {
    if (commands.length === 0) return;
    this.executions.insert(commands, now);
    for (const { commandId, participant, attempt, topic } of commands)
      this.commands.push({ commandId, participant, attempt, topic });
    this.outboxRows.add(commands, now);
    this.participants.register(commands.map((c) => c.participant));
    if (this.relaysNotified) return;
    // delivered on commit: wakes the relays of every orchestrator instance (once per transaction)
    this.writes.select('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, this.notifyAs]);
    this.relaysNotified = true;
  }

  /** Queues the execution rows of commands answered without being sent (fail-fast), answered. */
  insertAnswered(commands: AnsweredCommandRow[], now: number): void {
    this.executions.insert(
      commands.map((c) => ({ ...c, released: true })),
      now,
    );
  }

  /**
   * Finished sagas await nothing: their timers go, and none of their commands counts as in
   * flight any more (commands they emit in this same transaction: see NewCommandRow.released).
   */
  finishSagas(sagaIds: string[], now: number): void {
    if (sagaIds.length === 0) return;
    this.timers.deleteOfSagas(sagaIds);
    this.executions.release({ sagaIds }, now);
  }

  /** A fired timeout's command is no longer in flight: it stops counting against the bulkhead. */
  releaseCommand(commandId: string, now: number): void {
    this.executions.release({ commandIds: [commandId] }, now);
  }

  /**
   * Stores replies on their execution rows (the first reply only: later ones are duplicates) and
   * takes the commands out of their participants' in-flight counts.
   */
  recordReplies(
    replies: { commandId: string; outcome: string; reply: unknown }[],
    now: number,
  ): void {
    this.executions.recordReplies(replies, now);
  }

  /** The history collected across calls, queued as one INSERT just before the statement runs. */
  private queueHistory(statement: WriteStatement): void {
    if (this.history.length > 0) {
      const parameters: unknown[] = [JSON.stringify(this.history.map((e, ord) => ({ ord, ...e })))];
      statement.add(
        `INSERT INTO skald.saga_history (saga_id, type, step, details, at)
         SELECT e."sagaId", e.type, e.step, e.details, e.at
         FROM jsonb_to_recordset($1::jsonb) AS e(ord int, "sagaId" uuid, type text, step text, details jsonb,
              at timestamptz)
         WHERE ${this.writes.ofWrittenSagas('e."sagaId"', parameters)}
         ORDER BY e.ord`,
        parameters,
      );
      this.history = [];
    }
  }
}

export type { QueuedCommand };

export interface StoreOptions {
  /**
   * The payload of this store's outbox notifications, so a relay can skip the ones its own process
   * sent (it is woken in-process for those). @default ''
   */
  notifyAs?: string;
  /** Run the engine's statements as named prepared statements (statements.ts). @default true */
  preparedStatements?: boolean;
}

/** Runs the engine's transactions on the orchestrator's DataSource. */
export class SagaStore {
  /** Participants known to have a skald.participant row (rows are never deleted). */
  private readonly knownParticipants = new Set<string>();
  private readonly dueTimes = new DueTimeListeners();

  readonly notifyAs: string;
  private readonly preparedStatements: boolean;

  constructor(
    private readonly dataSource: DataSource,
    options: StoreOptions = {},
  ) {
    this.notifyAs = options.notifyAs ?? '';
    this.preparedStatements = options.preparedStatements ?? true;
  }

  /** One transaction; rolled back if `work` throws. */
  async transaction<T>(work: (tx: SagaTransaction) => Promise<T>): Promise<T> {
    let tx!: SagaTransaction;
    const result = await this.dataSource.transaction(async (manager) => {
      tx = new SagaTransaction(
        manager,
        this.knownParticipants,
        this.notifyAs,
        this.preparedStatements,
      );
      const value = await work(tx);
      await tx.flush();
      return value;
    });
    // only once committed: a rolled-back registration must be tried again
    for (const name of tx.participants.registered) this.knownParticipants.add(name);
    this.dueTimes.emit(tx.timers.earliestDue);
    return result;
  }

  /**
   * Runs `work` on a connection of its own outside any transaction: each of its statements commits
   * by itself (a handoff's dispatch, once the engine's transaction has committed).
   */
  async autocommit<T>(work: (tx: SagaTransaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const tx = new SagaTransaction(
        runner.manager,
        this.knownParticipants,
        this.notifyAs,
        this.preparedStatements,
      );
      const value = await work(tx);
      await tx.flush();
      this.dueTimes.emit(tx.timers.earliestDue);
      return value;
    } finally {
      await runner.release();
    }
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
      // a paused saga's held timers (due 'infinity') come due only once it is resumed
      `SELECT (SELECT ${ms('saga')} FROM skald.timer WHERE due_at < 'infinity') AS saga,
                (SELECT ${ms('transaction')} FROM skald.two_phase_transaction) AS transaction`,
    );
    return { saga: rows[0].saga ?? undefined, transaction: rows[0].transaction ?? undefined };
  }

  /**
   * Sets a participant's breaker by hand, creating its row if no command went to it yet: `open`
   * holds it open until closed by hand; `closed` closes it and forgets the failures counted. One
   * statement, locking only that row; on commit it wakes the relays of every instance (a closed
   * breaker frees the commands it held).
   */
  async setManualBreaker(name: string, manual: ManualBreaker): Promise<void> {
    const open = manual.state === 'open';
    const at = new Date(manual.at);
    await this.dataSource.query(
      `WITH set AS (
         INSERT INTO skald.participant AS p (name, breaker_state, opened_at, manual_state,
                manual_reason, manual_actor, manual_at, updated_at)
         VALUES ($1, $2, $3::timestamptz, $2, $4, $5, $6, $6)
         ON CONFLICT (name) DO UPDATE SET
           breaker_state = EXCLUDED.breaker_state, opened_at = EXCLUDED.opened_at,
           consecutive_failures = CASE WHEN $7 THEN p.consecutive_failures ELSE 0 END,
           failing_operations = CASE WHEN $7 THEN p.failing_operations ELSE '{}' END,
           manual_state = EXCLUDED.manual_state, manual_reason = EXCLUDED.manual_reason,
           manual_actor = EXCLUDED.manual_actor, manual_at = EXCLUDED.manual_at,
           updated_at = EXCLUDED.updated_at
         RETURNING 1)
       SELECT pg_notify($8, $9) FROM set`,
      [
        name,
        manual.state,
        open ? at : null,
        manual.reason,
        manual.actor,
        at,
        open,
        OUTBOX_CHANNEL,
        this.notifyAs,
      ],
    );
    this.knownParticipants.add(name);
  }

  /**
   * Running sagas waiting on `participant` (a step of theirs has a command there in flight, being
   * retried or asked about by a fence), by id after `afterId`: a page of an operator's pause.
   */
  async sagasWaitingOn(participant: string, afterId: string | null, limit: number) {
    return this.sagaIdPage(
      `status = 'running' AND EXISTS (
         SELECT 1 FROM jsonb_each(steps) e
         WHERE e.value->>'participant' = $1 AND e.value->>'status' IN ('running', 'retrying', 'resolving'))`,
      participant,
      afterId,
      limit,
    );
  }

  /** Paused sagas whose latest pause names `participant` (paused on it, or a step of its exhausted). */
  async sagasPausedOn(participant: string, afterId: string | null, limit: number) {
    return this.sagaIdPage(
      `status = 'paused' AND (
         SELECT h.details->>'participant' FROM skald.saga_history h
         WHERE h.saga_id = s.id AND h.type = 'paused' ORDER BY h.id DESC LIMIT 1) = $1`,
      participant,
      afterId,
      limit,
    );
  }

  private async sagaIdPage(
    condition: string,
    participant: string,
    afterId: string | null,
    limit: number,
  ): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT s.id FROM skald.saga_instance s
       WHERE ${condition} AND ($2::uuid IS NULL OR s.id > $2::uuid)
       ORDER BY s.id LIMIT $3`,
      [participant, afterId, limit],
    );
    return rows.map((r) => r.id);
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
