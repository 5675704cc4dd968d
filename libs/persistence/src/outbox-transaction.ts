// The relay's SQL: a batch costs one read statement (claim) and, once Kafka acknowledged it, one
// write statement (dispatched). Each runs inside the caller's transaction (SagaTransaction.outbox).
// ⚠ Lock order as the engine's (saga-store.ts): the relay takes no saga row; it locks timer rows
// before execution rows (as finishSagas does) and participant rows last.
import type { RunStatement } from './statements';
import {
  IN_FLIGHT_SQL,
  SEND_ALLOWANCE_SQL,
  UNLEASED_SQL,
  type ParticipantWithWork,
} from './participant-flow';
import { earlierDue, notifyEarliestDue, TIMER_CHANNEL, type TimerTransaction } from './timers';

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
  /** Epoch ms of the transaction that queued it. */
  createdAt: number;
}

/** The limits a claim applies to one participant. */
export interface SendLimits {
  /** The bulkhead: commands sent to a participant and not answered nor timed out. */
  maxInFlight: number;
  /** Commands in flight allowed while a breaker is half-open. */
  halfOpenProbes: number;
  /** How long an open breaker stays open before it turns half-open. */
  openMs: number;
  /** Commands (every attempt) sent per second; null: no limit. */
  ratePerSecond: number | null;
}

/** What the relay may claim: its batch size and the flow-control limits of every participant. */
export interface ClaimLimits {
  /** Records claimed at most per participant, and at most without one. */
  batchSize: number;
  /** The limits of every participant not in `participants`. */
  defaults: SendLimits;
  /** Participants with limits of their own. */
  participants: ReadonlyMap<string, SendLimits>;
  /** Topics the broker refuses right now: their records stay queued. */
  heldTopics: readonly string[];
}

/** A participant with queued commands, and how many the relay claimed room for (`slots`). */
export interface ParticipantClaim extends ParticipantWithWork {
  slots: number;
}

export interface ClaimedBatch {
  /**
   * Every participant with queued commands; `slots` is 0 where there is no room, or where another
   * relay or a handoff is sending to it right now.
   */
  participants: ParticipantClaim[];
  /** The records claimed, oldest first. */
  records: OutboxRecord[];
  /**
   * When the earliest lease another process holds runs out (epoch ms): if that process died, its
   * rows are the relay's to send from then on.
   */
  leasedUntil: number | undefined;
}

/** What Kafka acknowledged, to record in one statement. */
export interface DispatchedBatch {
  /** Outbox rows to delete. */
  outboxIds: string[];
  /** Their commands: now in flight, their step timeouts start. */
  commandIds: string[];
  /** Retry budgets spent in this batch: tokens left per participant. */
  retryTokens: ReadonlyMap<string, number>;
  /** Rate limits spent in this batch: tokens left per participant. @default none */
  rateTokens?: ReadonlyMap<string, number>;
}

const MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8`;

const RECORD_JSON = `json_build_object('id', id::text, 'sagaId', saga_id, 'topic', topic,
  'key', message_key, 'headers', headers, 'payload', payload, 'participant', participant,
  'commandId', command_id, 'attempt', attempt, 'createdAt', ${MS('created_at')})`;

export class OutboxTransaction {
  constructor(
    private readonly run: RunStatement,
    private readonly timers: TimerTransaction,
    /** This process, as its leases name it. */
    private readonly leaseHolder: string,
  ) {}

  /**
   * Claims unpublished records in one statement, oldest first: for each participant with queued
   * commands, up to what its breaker, bulkhead and rate limit allow, by its own limits or the
   * defaults (the rules of `sendAllowance` and `rateTokens` in the orchestrator's flow-control.ts,
   * computed here so that counting and claiming are one round trip; a breaker opened by hand
   * allows none), and up to `batchSize` without one (2PC messages, and rows written before flow control
   * existed); none addressed to a held topic. A participant is sent by one relay at a time
   * (transaction-scoped advisory lock on its name, so two relays never both fill its bulkhead;
   * tried only where there is room),
   * and a saga's records by one relay at a time (advisory lock on the saga id, so several relays,
   * or several rounds of one relay, keep per-saga order); SKIP LOCKED keeps them from publishing
   * a row twice. Rows a handoff leased are left to it until the lease runs out (OutboxInserts). It also
   * lets the transaction commit without waiting for the WAL flush: a relay transaction lost in a
   * crash only means publishing its rows again.
   */
  async claim(limits: ClaimLimits, now: number): Promise<ClaimedBatch> {
    const sagaLock = `pg_try_advisory_xact_lock(hashtext('skald.outbox'), hashtext(saga_id::text))`;
    const rows = await this.run<{
      participants: ParticipantClaim[] | null;
      records: OutboxRecord[] | null;
      leasedUntil: number | null;
    }>(
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
         sending AS (
           SELECT p.*, ${IN_FLIGHT_SQL} AS in_flight,
                  COALESCE(l.max_in_flight, $2::int) AS max_in_flight,
                  COALESCE(l.half_open_probes, $3::int) AS half_open_probes,
                  COALESCE(l.open_ms, $4::float8) AS open_ms,
                  CASE WHEN l.name IS NULL THEN $7::float8 ELSE l.rate END AS rate
           FROM skald.participant p
           LEFT JOIN jsonb_to_recordset($8::jsonb) AS l(name text, max_in_flight int,
                       half_open_probes int, open_ms float8, rate float8) ON l.name = p.name
           WHERE EXISTS (SELECT 1 FROM skald.outbox o
                         WHERE o.participant = p.name AND ${UNLEASED_SQL('o')})),
         room AS (
           SELECT s.*, GREATEST(0, LEAST($1::int, ${SEND_ALLOWANCE_SQL('s', '$5::timestamptz')},
             -- whole tokens of the rate limit's bucket: one second's worth, refilled continuously
             CASE WHEN s.rate IS NULL THEN $1::int
               ELSE floor(LEAST(GREATEST(1, s.rate), COALESCE(s.rate_tokens + GREATEST(0,
                      extract(epoch FROM $5::timestamptz - s.rate_tokens_at)) * s.rate,
                      GREATEST(1, s.rate))))::int END)) AS room
           FROM sending s),
         allowed AS (
           -- CASE: the lock is tried only where there is room. A lock taken for nothing would keep
           -- the next claim off the participant until COMMIT, and no round would look at it again.
           SELECT r.*, CASE WHEN r.room > 0 AND pg_try_advisory_xact_lock(
                              hashtext('skald.participant'), hashtext(r.name))
                         THEN r.room ELSE 0 END AS slots
           FROM room r),
         claimed AS (
           SELECT c.* FROM allowed a CROSS JOIN LATERAL (
             SELECT * FROM skald.outbox
             WHERE participant = a.name AND topic <> ALL($6::text[]) AND ${UNLEASED_SQL('outbox')}
               AND ${sagaLock}
             ORDER BY id LIMIT a.slots FOR UPDATE SKIP LOCKED) c
           WHERE a.slots > 0
           UNION ALL
           SELECT * FROM (
             SELECT * FROM skald.outbox
             WHERE participant IS NULL AND topic <> ALL($6::text[]) AND ${sagaLock}
             ORDER BY id LIMIT $1::int FOR UPDATE SKIP LOCKED) u)
         SELECT
           (SELECT json_agg(json_build_object('name', name, 'breakerState', breaker_state,
                     'manualState', manual_state, 'consecutiveFailures', consecutive_failures,
                     'failingOperations', failing_operations, 'openedAt', ${MS('opened_at')},
                     'retryTokens', retry_tokens, 'tokensAt', ${MS('tokens_at')},
                     'rateTokens', rate_tokens, 'rateTokensAt', ${MS('rate_tokens_at')},
                     'inFlight', in_flight, 'slots', slots)) FROM allowed) AS participants,
           (SELECT json_agg(${RECORD_JSON} ORDER BY id) FROM claimed) AS records,
           (SELECT ${MS('min(leased_until)')} FROM skald.outbox
            WHERE leased_until > now() AND leased_by IS DISTINCT FROM $9) AS "leasedUntil"
         FROM relaxed`,
      [
        limits.batchSize,
        limits.defaults.maxInFlight,
        limits.defaults.halfOpenProbes,
        limits.defaults.openMs,
        new Date(now),
        limits.heldTopics,
        limits.defaults.ratePerSecond,
        JSON.stringify(
          [...limits.participants].map(([name, l]) => ({
            name,
            max_in_flight: l.maxInFlight,
            half_open_probes: l.halfOpenProbes,
            open_ms: l.openMs,
            rate: l.ratePerSecond,
          })),
        ),
        this.leaseHolder,
      ],
    );
    return {
      participants: rows[0].participants ?? [],
      records: rows[0].records ?? [],
      leasedUntil: rows[0].leasedUntil ?? undefined,
    };
  }

  /**
   * Records what Kafka acknowledged, in one statement: the commands count as sent (against their
   * participant's bulkhead: a reply applied in between has already released its command, which
   * the in-flight count then leaves out; its dispatch time is recorded all the same), their step
   * timeouts start (the earliest due time NOTIFYs the timer pollers),
   * their outbox rows go, and the retry budgets and rate limits spent are saved. Each part writes rows of its own
   * table, so no row is modified twice in the statement.
   */
  async dispatched(batch: DispatchedBatch, now: number): Promise<void> {
    const names = new Set([...batch.retryTokens.keys(), ...(batch.rateTokens?.keys() ?? [])]);
    const budgets = [...names].map((name) => ({
      name,
      retry: batch.retryTokens.get(name) ?? null,
      rate: batch.rateTokens?.get(name) ?? null,
    }));
    // the target list is evaluated in order: participants first, as the engine's transactions lock
    // them (a reply's read, a timer's claim) before they write executions and timers; the other
    // way round, a reply applied while its command's dispatch is recorded deadlocks with it
    // committed without waiting for the WAL flush, as a claim's transaction (a dispatch lost in a
    // crash only means sending its commands again); it may run as a transaction of its own
    const rows = await this.run<{ dueAt: number | null }>(
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)),
       armed AS (
         UPDATE skald.timer SET due_at = $2::timestamptz + delay_ms * interval '1 millisecond'
         WHERE command_id = ANY($1::uuid[]) AND due_at IS NULL
         RETURNING due_at),
       earliest AS (${notifyEarliestDue('armed', '$5')}),
       sent AS (
         UPDATE skald.step_execution SET dispatched_at = $2
         WHERE command_id = ANY($1::uuid[])
         RETURNING 1),
       deleted AS (DELETE FROM skald.outbox WHERE id = ANY($3::bigint[]) RETURNING 1),
       budgets AS (
         UPDATE skald.participant p SET
           retry_tokens = COALESCE(t.retry, p.retry_tokens),
           tokens_at = CASE WHEN t.retry IS NULL THEN p.tokens_at ELSE $2 END,
           rate_tokens = COALESCE(t.rate, p.rate_tokens),
           rate_tokens_at = CASE WHEN t.rate IS NULL THEN p.rate_tokens_at ELSE $2 END
         FROM jsonb_to_recordset($4::jsonb) AS t(name text, retry float8, rate float8)
         WHERE p.name = t.name
         RETURNING 1)
       SELECT (SELECT count(*) FROM budgets) AS budgets,
              (SELECT "dueAt" FROM earliest) AS "dueAt",
              (SELECT count(*) FROM sent) AS sent,
              (SELECT count(*) FROM deleted) AS deleted
       FROM relaxed`,
      [batch.commandIds, new Date(now), batch.outboxIds, JSON.stringify(budgets), TIMER_CHANNEL],
    );
    this.timers.earliestDue = earlierDue(this.timers.earliestDue, rows[0]?.dueAt ?? undefined);
  }

  /** Gives leased rows back to the relays (a handoff that could not send them). */
  async release(outboxIds: readonly string[]): Promise<void> {
    await this.run(
      `WITH released AS (UPDATE skald.outbox SET leased_until = NULL, leased_by = NULL
                         WHERE id = ANY($1::bigint[]) RETURNING 1)
       SELECT count(*) FROM released`,
      [outboxIds],
    );
  }
}
