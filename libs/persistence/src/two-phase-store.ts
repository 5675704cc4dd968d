// The 2PC coordinator's SQL. Every method of TwoPhaseTransaction runs inside the caller's
// transaction. ⚠ The status change to committing/aborting (the decision) and the outbox rows that
// announce it commit together: never write a decision's messages outside that transaction.
import type { DataSource, EntityManager } from 'typeorm';
import { TERMINAL_TRANSACTION_STATUSES, type TransactionState } from '@skald/two-phase';
import { decodeCursor, pageOf, type Page } from './keyset-page';
import { OUTBOX_CHANNEL } from './saga-store';
import { DueTimeListeners, earlierDue, TIMER_CHANNEL } from './timers';

/** A transaction row: the protocol state plus its timer and idempotency keys. */
export interface TwoPhaseRecord extends TransactionState {
  /** Epoch ms of the transaction's next timer (resend, prepare timeout); null when finished. */
  dueAt: number | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** W3C `traceparent` of the transaction's span: its prepare, commit and abort spans are its children. */
  traceParent: string | null;
}

/** A transaction as the API shows it: the record plus its timestamps. */
export interface TwoPhaseView extends TwoPhaseRecord {
  createdAt: Date;
  updatedAt: Date;
  decidedAt: Date | null;
  endedAt: Date | null;
}

export interface TransactionListFilter {
  status?: string;
  limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface TwoPhaseCommandRow {
  commandId: string;
  transactionId: string;
  index: number;
  participant: string;
  phase: string;
  attempt: number;
  /** The Kafka record to publish. */
  topic: string;
  key: string;
  headers: Record<string, string>;
  payload: string;
}

export interface TwoPhaseCommandRecord {
  commandId: string;
  transactionId: string;
  index: number;
  phase: string;
}

const COLUMNS = `id, status, participants, decision, reason, timeout_ms AS "timeoutMs",
  prepare_deadline_at AS "prepareDeadlineAt", round, due_at AS "dueAt",
  acknowledge_deadline_at AS "acknowledgeDeadlineAt", resends, resolution,
  idempotency_key AS "idempotencyKey", request_hash AS "requestHash", trace_parent AS "traceParent",
  created_at AS "createdAt", updated_at AS "updatedAt", decided_at AS "decidedAt", ended_at AS "endedAt"`;

type Row = Omit<TwoPhaseView, 'prepareDeadlineAt' | 'dueAt' | 'acknowledgeDeadlineAt'> & {
  prepareDeadlineAt: Date;
  dueAt: Date | null;
  acknowledgeDeadlineAt: Date | null;
};

const ms = (date: Date | null) => (date ? date.getTime() : null);

function toView(row: Row): TwoPhaseView {
  return {
    ...row,
    prepareDeadlineAt: row.prepareDeadlineAt.getTime(),
    dueAt: ms(row.dueAt),
    acknowledgeDeadlineAt: ms(row.acknowledgeDeadlineAt),
  };
}

const at = (ms: number | null) => (ms === null ? null : new Date(ms));
const json = (value: unknown) => JSON.stringify(value ?? null);

export class TwoPhaseTransaction {
  /** Messages were queued in skald.outbox: the relays are notified on commit. */
  queuedMessages = false;
  /** The earliest timer set (ms since epoch): the timer pollers are notified on commit. */
  earliestDue: number | undefined;

  constructor(private readonly manager: EntityManager) {}

  /** Inserts a new transaction; false when another one already holds its idempotency key. */
  async insert(tx: TwoPhaseRecord, now: number): Promise<boolean> {
    const rows: unknown[] = await this.manager.query(
      `INSERT INTO skald.two_phase_transaction
         (id, status, participants, decision, reason, timeout_ms, prepare_deadline_at, round, due_at,
          idempotency_key, request_hash, created_at, updated_at, trace_parent)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)
       ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        tx.id,
        tx.status,
        json(tx.participants),
        tx.decision,
        tx.reason ? json(tx.reason) : null,
        tx.timeoutMs,
        new Date(tx.prepareDeadlineAt),
        tx.round,
        at(tx.dueAt),
        tx.idempotencyKey,
        tx.requestHash,
        new Date(now),
        tx.traceParent,
      ],
    );
    if (rows.length === 1) this.earliestDue = earlierDue(this.earliestDue, tx.dueAt ?? undefined);
    return rows.length === 1;
  }

  async findByIdempotencyKey(key: string): Promise<TwoPhaseView | undefined> {
    const rows: Row[] = await this.manager.query(
      `SELECT ${COLUMNS} FROM skald.two_phase_transaction WHERE idempotency_key = $1`,
      [key],
    );
    return rows[0] && toView(rows[0]);
  }

  /** Locks the transaction row until commit: the one place that serialises work on a transaction. */
  async lock(id: string): Promise<TwoPhaseView | undefined> {
    const rows: Row[] = await this.manager.query(
      `SELECT ${COLUMNS} FROM skald.two_phase_transaction WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] && toView(rows[0]);
  }

  /**
   * Writes the new state; `decided_at` is set once, by the write that logs the decision, and
   * `ended_at` by the write that reaches a terminal status (a late acknowledgement keeps it).
   */
  async update(tx: TwoPhaseRecord, now: number): Promise<void> {
    await this.manager.query(
      `UPDATE skald.two_phase_transaction
         SET status = $2::text, participants = $3, decision = $4, reason = $5, round = $6, due_at = $7,
             updated_at = $8::timestamptz,
             decided_at = CASE WHEN $4::text IS NOT NULL THEN coalesce(decided_at, $8::timestamptz) END,
             ended_at = CASE WHEN $2::text = ANY($9::text[])
               THEN CASE WHEN status = $2::text THEN coalesce(ended_at, $8::timestamptz) ELSE $8::timestamptz END
             END,
             acknowledge_deadline_at = $10, resends = $11, resolution = $12
       WHERE id = $1`,
      [
        tx.id,
        tx.status,
        json(tx.participants),
        tx.decision,
        tx.reason ? json(tx.reason) : null,
        tx.round,
        at(tx.dueAt),
        new Date(now),
        TERMINAL_TRANSACTION_STATUSES,
        at(tx.acknowledgeDeadlineAt),
        tx.resends,
        tx.resolution ? json(tx.resolution) : null,
      ],
    );
    this.earliestDue = earlierDue(this.earliestDue, tx.dueAt ?? undefined);
  }

  /** Records each message and queues its Kafka record in skald.outbox (keyed by transaction id). */
  async insertCommands(commands: TwoPhaseCommandRow[], now: number): Promise<void> {
    if (commands.length === 0) return;
    const sentAt = new Date(now);
    await this.manager.query(
      `INSERT INTO skald.two_phase_command (command_id, transaction_id, participant_index, participant, phase, attempt, sent_at)
       SELECT c."commandId", c."transactionId", c.index, c.participant, c.phase, c.attempt, $2
       FROM jsonb_to_recordset($1::jsonb) AS c("commandId" uuid, "transactionId" uuid, index int,
            participant text, phase text, attempt int)`,
      [JSON.stringify(commands), sentAt],
    );
    // the outbox's saga_id column holds the transaction id: the relay keeps its messages in order.
    // No participant column: 2PC messages bypass the saga breaker and bulkhead (a held prepare
    // would only run into the prepare timeout, and a held decision would prolong the blocking).
    await this.manager.query(
      `INSERT INTO skald.outbox (saga_id, topic, message_key, headers, payload, created_at)
       SELECT c."transactionId", c.topic, c.key, c.headers, c.payload, $2
       FROM jsonb_to_recordset($1::jsonb) AS c(ord int, "transactionId" uuid, topic text, key text,
            headers jsonb, payload text)
       ORDER BY c.ord`,
      [JSON.stringify(commands.map((c, ord) => ({ ord, ...c }))), sentAt],
    );
    this.queuedMessages = true;
  }

  async findCommand(commandId: string): Promise<TwoPhaseCommandRecord | undefined> {
    const rows: TwoPhaseCommandRecord[] = await this.manager.query(
      `SELECT command_id AS "commandId", transaction_id AS "transactionId", participant_index AS index, phase
       FROM skald.two_phase_command WHERE command_id = $1`,
      [commandId],
    );
    return rows[0];
  }

  async recordReply(commandId: string, outcome: string, now: number): Promise<void> {
    await this.manager.query(
      `UPDATE skald.two_phase_command SET outcome = $2, replied_at = $3
       WHERE command_id = $1 AND outcome IS NULL`,
      [commandId, outcome, new Date(now)],
    );
  }

  /** Claims and locks one transaction whose timer is due (SKIP LOCKED, so instances share them). */
  async claimDue(now: number): Promise<TwoPhaseView | undefined> {
    const rows: Row[] = await this.manager.query(
      `SELECT ${COLUMNS} FROM skald.two_phase_transaction
       WHERE due_at <= $1 ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [new Date(now)],
    );
    return rows[0] && toView(rows[0]);
  }
}

/** Runs the coordinator's transactions on the orchestrator's DataSource. */
export class TwoPhaseStore {
  private readonly dueTimes = new DueTimeListeners();

  constructor(private readonly dataSource: DataSource) {}

  /** One transaction; rolled back if `work` throws. */
  async transaction<T>(work: (tx: TwoPhaseTransaction) => Promise<T>): Promise<T> {
    let tx!: TwoPhaseTransaction;
    const result = await this.dataSource.transaction(async (manager) => {
      tx = new TwoPhaseTransaction(manager);
      const value = await work(tx);
      // delivered on commit, in one statement: the relays and the timer pollers of every instance
      const notify: [channel: string, payload: string][] = [];
      if (tx.queuedMessages) notify.push([OUTBOX_CHANNEL, '']);
      if (tx.earliestDue !== undefined) notify.push([TIMER_CHANNEL, String(tx.earliestDue)]);
      if (notify.length > 0) {
        const calls = notify.map((_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`);
        await manager.query(`SELECT ${calls.join(', ')}`, notify.flat());
      }
      return value;
    });
    this.dueTimes.emit(tx.earliestDue);
    return result;
  }

  /** Calls `listener` after each commit that set a transaction's timer, with its due time (ms since epoch). */
  onTimersCommitted(listener: (dueAt: number) => void): () => void {
    return this.dueTimes.add(listener);
  }

  async find(id: string): Promise<TwoPhaseView | undefined> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM skald.two_phase_transaction WHERE id = $1`,
      [id],
    );
    return rows[0] && toView(rows[0]);
  }

  /** Newest first, optionally of one status; keyset-paged like the saga list. */
  async list(filter: TransactionListFilter): Promise<Page<TwoPhaseView>> {
    const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const rows: Row[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM skald.two_phase_transaction
       WHERE ($1::text IS NULL OR status = $1)
         AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
       ORDER BY created_at DESC, id DESC LIMIT $4`,
      [filter.status ?? null, after?.createdAt ?? null, after?.id ?? null, filter.limit + 1],
    );
    return pageOf(rows.map(toView), filter.limit);
  }
}
