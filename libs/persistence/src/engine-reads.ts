// The reads that open the engine's transactions, each ONE statement: what a batch of replies
// needs (inbox, execution rows, saga rows locked), and a due timer with its saga. Rows come back
// as JSON (one statement, one result), times in ms since epoch.
// ⚠ Lock order (saga-store.ts): saga rows in id order first, participant rows in name order
// after them. The participant CTE reads the locked sagas' CTE, so it runs after it.
import type { ExecutionRecord } from './step-executions';
import type { ParticipantRecord } from './participant-flow';
import { PARTICIPANT_JSON_COLUMNS } from './participant-flow';
import { SAGA_JSON_COLUMNS, type SagaRecord } from './saga-records';
import type { TimerRecord } from './timers';

/** A consumed reply, as far as the read statement needs it. */
export interface ReplyKey {
  id: string;
  correlationId: string;
  sagaId: string;
  outcome: string;
}

/** What a batch of replies read. */
export interface ReplyBatchRead {
  /** Message ids seen for the first time (the inbox recorded them just now). */
  fresh: Set<string>;
  /** The execution row of each command answered, by command id. */
  executions: Map<string, ExecutionRecord>;
  /** The sagas the replies correlate to, locked, by id. */
  locked: Map<string, SagaRecord>;
  /**
   * The rows of the participants whose breakers the batch may change, locked: those that answered
   * `error`, and those whose breaker is not clean (open, or failures counted). A healthy answer
   * from a participant whose row is clean changes nothing, and locks nothing.
   */
  flows: Map<string, ParticipantRecord>;
}

/** An execution row's `sent_at` column, in ms since epoch, as `"sentAt"`. */
const SENT_AT_MS = (column: string) => `(extract(epoch FROM ${column}) * 1000)::float8 AS "sentAt"`;
const EXECUTION_COLUMNS = `command_id AS "commandId", saga_id AS "sagaId", step, phase, attempt, participant, outcome,
  ${SENT_AT_MS('sent_at')}`;
const asJson = (cte: string) => `(SELECT coalesce(json_agg(r), '[]'::json) FROM ${cte} r)`;

/** Records the replies in the inbox, reads what they answer and locks the sagas they correlate to. */
export const REPLY_BATCH_SQL = `
  WITH fresh AS (
    INSERT INTO skald.inbox (message_id) SELECT r.id FROM jsonb_to_recordset($1::jsonb) AS r(id uuid)
    ON CONFLICT DO NOTHING RETURNING message_id AS id),
  replies AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r("correlationId" uuid, "sagaId" uuid, outcome text)),
  executions AS MATERIALIZED (
    SELECT ${EXECUTION_COLUMNS} FROM skald.step_execution
    WHERE command_id = ANY($2::uuid[])),
  correlated AS MATERIALIZED (
    SELECT e.*, r.outcome AS answer FROM executions e
    JOIN replies r ON r."correlationId" = e."commandId" AND r."sagaId" = e."sagaId"),
  locked AS MATERIALIZED (
    SELECT ${SAGA_JSON_COLUMNS} FROM skald.saga_instance
    WHERE id = ANY($3::uuid[]) AND id IN (SELECT "sagaId" FROM correlated) ORDER BY id FOR UPDATE),
  flows AS MATERIALIZED (
    SELECT ${PARTICIPANT_JSON_COLUMNS} FROM skald.participant p
    WHERE p.name IN (SELECT participant FROM correlated WHERE "sagaId" IN (SELECT id FROM locked)
                     AND (answer = 'error' OR p.consecutive_failures > 0 OR p.breaker_state <> 'closed'))
    ORDER BY p.name FOR UPDATE)
  SELECT (SELECT coalesce(json_agg(id), '[]'::json) FROM fresh) AS fresh,
         ${asJson('executions')} AS executions, ${asJson('locked')} AS locked,
         ${asJson('flows')} AS flows`;

export function replyBatchParameters(replies: readonly ReplyKey[]): unknown[] {
  return [
    JSON.stringify(
      replies.map(({ id, correlationId, sagaId, outcome }) => ({
        id,
        correlationId,
        sagaId,
        outcome,
      })),
    ),
    replies.map((r) => r.correlationId),
    replies.map((r) => r.sagaId),
  ];
}

export function replyBatchRead(row: {
  fresh: string[];
  executions: ExecutionRecord[];
  locked: SagaRecord[];
  flows: ParticipantRecord[];
}): ReplyBatchRead {
  return {
    fresh: new Set(row.fresh),
    executions: new Map(row.executions.map((e) => [e.commandId, e])),
    locked: new Map(row.locked.map((s) => [s.id, s])),
    flows: new Map(row.flows.map((p) => [p.name, p])),
  };
}

/** A due timer claimed, its saga locked, and for a step timeout its participant's row locked. */
export interface ClaimedTimer {
  timer: TimerRecord;
  saga: SagaRecord;
  /** Absent unless the timer is a step timeout of a sent command. */
  flow: ParticipantRecord | undefined;
}

/** Claims one due timer (SKIP LOCKED, so instances share them) and locks what firing it changes. */
export const CLAIM_DUE_TIMER_SQL = `
  WITH due AS MATERIALIZED (
    SELECT t.id::text, t.saga_id AS "sagaId", t.kind, t.step, t.phase, t.attempt,
           t.command_id AS "commandId", e.participant, ${SENT_AT_MS('e.sent_at')}
    FROM skald.timer t LEFT JOIN skald.step_execution e ON e.command_id = t.command_id
    WHERE t.due_at <= $1 ORDER BY t.due_at LIMIT 1 FOR UPDATE OF t SKIP LOCKED),
  saga AS MATERIALIZED (
    SELECT ${SAGA_JSON_COLUMNS} FROM skald.saga_instance
    WHERE id IN (SELECT "sagaId" FROM due) FOR UPDATE),
  flow AS MATERIALIZED (
    SELECT ${PARTICIPANT_JSON_COLUMNS} FROM skald.participant p
    WHERE p.name IN (SELECT participant FROM due
                     WHERE kind = 'step-timeout' AND "sagaId" IN (SELECT id FROM saga))
    FOR UPDATE)
  SELECT (SELECT row_to_json(r) FROM due r) AS timer, (SELECT row_to_json(r) FROM saga r) AS saga,
         (SELECT row_to_json(r) FROM flow r) AS flow`;

export function claimedTimer(row: {
  timer: TimerRecord | null;
  saga: SagaRecord | null;
  flow: ParticipantRecord | null;
}): ClaimedTimer | undefined {
  if (!row.timer || !row.saga) return undefined;
  return { timer: row.timer, saga: row.saga, flow: row.flow ?? undefined };
}
