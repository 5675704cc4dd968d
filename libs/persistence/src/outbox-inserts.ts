// The outbox rows of a transaction's commands: collected across calls and inserted by ONE INSERT
// just before its statement runs (write-statement.ts), which keeps their order. A handoff may have
// them inserted leased (`leaseWith`): the lease then costs no statement of its own.
import type { OutboxRecord } from './outbox-transaction';
import { IN_FLIGHT_SQL, SEND_ALLOWANCE_SQL, UNLEASED_SQL } from './participant-flow';
import type { NewCommandRow } from './step-executions';
import type { QueuedWrites, WriteStatement } from './write-statement';

/** A participant's bulkhead and breaker, for a handoff's lease (no rate limit: see CommandLease). */
export interface LeaseLimits {
  name: string;
  maxInFlight: number;
  halfOpenProbes: number;
  openMs: number;
}

/** A command a transaction queued in the outbox. */
export interface QueuedCommand {
  commandId: string;
  participant: string;
  attempt: number;
  topic: string;
}

/**
 * How a handoff leases the commands of a transaction's statements (`OutboxInserts.leaseWith`).
 * Each statement that inserts outbox rows inserts them leased until `until()`, for each
 * participant that `limits` names and that has nothing else queued (they would overtake it), that
 * no relay is claiming (the claim's advisory lock, held until COMMIT) and whose breaker and
 * bulkhead have room for all of them (leased rows count as in flight): all of a participant's
 * rows or none, so none of a saga's commands to it overtakes another. The statement's snapshot
 * does not see the rows it inserts nor what it releases: the count errs towards the relay. Once
 * committed, the handoff sends the leased records and records them as `dispatched`.
 */
export interface CommandLease {
  /**
   * The participants whose commands the statement about to run may lease, with their limits
   * (none: it leases nothing). Participants with a rate limit, and retries (the retry budget),
   * are the relay's: leave them out.
   */
  limits(commands: readonly QueuedCommand[]): readonly LeaseLimits[];
  /** Until when a lease keeps relays off its rows (epoch ms). */
  until(): number;
  /** Runs a statement that leases (it counts commands in flight, as a claim does). */
  around<T>(statement: () => Promise<T>): Promise<T>;
  /** The records a statement leased, oldest first, once it ran. */
  leased(records: OutboxRecord[]): void;
}

type OutboxRow = NewCommandRow & { createdAt: number };

export class OutboxInserts {
  private rows: OutboxRow[] = [];
  private lease: CommandLease | undefined;

  constructor(
    private readonly writes: QueuedWrites,
    /** This process, as its leases name it. */
    private readonly leaseHolder: string,
  ) {
    writes.beforeRun((statement) => this.queueInsert(statement));
  }

  /** Queues the outbox rows of these commands for the next statement. */
  add(commands: readonly NewCommandRow[], now: number): void {
    for (const command of commands) this.rows.push({ ...command, createdAt: now });
  }

  /** Leases the commands of this transaction's statements from now on, where `lease` allows. */
  leaseWith(lease: CommandLease): void {
    this.lease = lease;
  }

  private queueInsert(statement: WriteStatement): void {
    const rows = this.rows;
    this.rows = [];
    if (rows.length === 0) return;
    const limits = this.lease?.limits(rows) ?? [];
    const leasing = limits.length > 0 ? this.lease : undefined;
    const parameters: unknown[] = [JSON.stringify(rows.map((row, ord) => ({ ord, ...row })))];
    const ofSagas = this.writes.ofWrittenSagas('c."sagaId"', parameters);
    let leaseColumns = 'NULL, NULL';
    if (leasing) {
      // the CTE of the participants whose rows may be leased comes first: the INSERT reads it
      const allowed = this.queueAllowed(statement, rows, limits);
      parameters.push(new Date(leasing.until()), this.leaseHolder);
      const isAllowed = `c.participant IN (SELECT name FROM ${allowed})`;
      leaseColumns = `CASE WHEN ${isAllowed} THEN $${parameters.length - 1}::timestamptz END,
                      CASE WHEN ${isAllowed} THEN $${parameters.length}::text END`;
    }
    const cte = statement.add(
      `INSERT INTO skald.outbox (saga_id, topic, message_key, headers, payload, participant, command_id,
         attempt, created_at, leased_until, leased_by)
       SELECT c."sagaId", c.topic, c.key, c.headers, c.payload, c.participant, c."commandId", c.attempt,
              to_timestamp(c."createdAt" / 1000.0), ${leaseColumns}
       FROM jsonb_to_recordset($1::jsonb) AS c(ord int, "sagaId" uuid, topic text, key text,
            headers jsonb, payload text, participant text, "commandId" uuid, attempt int,
            "createdAt" float8)
       WHERE ${ofSagas}
       ORDER BY c.ord
       ${leasing ? 'RETURNING id, command_id, leased_until' : ''}`,
      parameters,
    );
    if (!leasing) return;
    statement.around = (run) => leasing.around(run);
    statement.select(
      `SELECT coalesce(json_agg(json_build_object('id', id::text, 'commandId', command_id)
                ORDER BY id), '[]'::json)
       FROM ${cte} WHERE leased_until IS NOT NULL`,
      [],
      (value) => {
        const byCommand = new Map(rows.map((row) => [row.commandId, row]));
        leasing.leased(
          (value as { id: string; commandId: string }[]).map(({ id, commandId }) => {
            const row = byCommand.get(commandId)!;
            const { sagaId, topic, key, headers, payload, participant, attempt, createdAt } = row;
            return {
              id,
              sagaId,
              topic,
              key,
              headers,
              payload,
              participant,
              commandId,
              attempt,
              createdAt,
            };
          }),
        );
      },
    );
  }

  /**
   * Queues the CTE of the participants whose rows may be leased: nothing else of theirs queued,
   * room for all of these rows, and their lock taken. Returns its name.
   */
  private queueAllowed(
    statement: WriteStatement,
    rows: readonly OutboxRow[],
    limits: readonly LeaseLimits[],
  ): string {
    return statement.add(
      `SELECT s.name FROM (
         -- a participant without its row yet (this statement registers it) has a closed breaker
         SELECT p.*, ${IN_FLIGHT_SQL} AS in_flight, m.n, r.manual_state, r.opened_at,
                COALESCE(r.breaker_state, 'closed') AS breaker_state
         FROM jsonb_to_recordset($2::jsonb)
           AS p(name text, max_in_flight int, half_open_probes int, open_ms float8)
         JOIN (SELECT participant, count(*)::int AS n FROM unnest($1::text[]) AS participant
               GROUP BY participant) m ON m.participant = p.name
         LEFT JOIN skald.participant r ON r.name = p.name
         WHERE NOT EXISTS (SELECT 1 FROM skald.outbox o
                           WHERE o.participant = p.name AND ${UNLEASED_SQL('o')})) s
       -- CASE: the lock is tried only where there is room (a lock taken for nothing would keep
       -- relays off the participant until COMMIT)
       WHERE CASE WHEN s.n <= ${SEND_ALLOWANCE_SQL('s', 'now()')}
         THEN pg_try_advisory_xact_lock(hashtext('skald.participant'), hashtext(s.name))
         ELSE false END`,
      [
        rows.map((row) => row.participant),
        JSON.stringify(
          limits.map((l) => ({
            name: l.name,
            max_in_flight: l.maxInFlight,
            half_open_probes: l.halfOpenProbes,
            open_ms: l.openMs,
          })),
        ),
      ],
    );
  }
}
