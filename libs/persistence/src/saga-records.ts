// A saga as stored: the one shape the orchestrator reads and writes above this lib (the engine's
// writes, the API's reads). SagaRow is how PostgreSQL hands it over; only this file converts.
import type { RecordedError, SagaStatus, SagaWaitReason, StepState } from '@skald/saga';

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
  /** Why it needs an operator to move on (`paused`, `definition-missing`); null otherwise. */
  waitReason: SagaWaitReason | null;
  /** Epoch ms; null when the saga has no deadline. */
  deadlineAt: number | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** Epoch ms of the transaction that started it. */
  createdAt: number;
  /** Epoch ms of the transaction that last changed it. */
  updatedAt: number;
  /** Epoch ms of the transaction that finished it; null while it runs. */
  endedAt: number | null;
  /** W3C `traceparent` of the saga's span: its steps' spans are its children. Null: no trace. */
  traceParent: string | null;
}

/** A saga as its start writes it: with the hash of its definition's shape (not read back). */
export interface NewSagaRecord extends SagaRecord {
  definitionHash: string;
}

/** One entry of a saga's history, in the order written (`seq`). */
export interface SagaHistoryRecord {
  seq: number;
  type: string;
  step: string | null;
  details: Record<string, unknown> | null;
  /** Epoch ms. */
  at: number;
}

/** A saga row as selected with SAGA_COLUMNS: the record's fields, timestamps still Dates. */
type SagaRow = Omit<SagaRecord, 'deadlineAt' | 'createdAt' | 'updatedAt' | 'endedAt'> & {
  deadlineAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
};

/** The columns of skald.saga_instance, named as SagaRow's fields. */
export const SAGA_COLUMNS = `id, type, version, status, input, data, stage, steps, error, wait_reason AS "waitReason",
  deadline_at AS "deadlineAt",
  idempotency_key AS "idempotencyKey", request_hash AS "requestHash",
  created_at AS "createdAt", updated_at AS "updatedAt", ended_at AS "endedAt", trace_parent AS "traceParent"`;

const epochMs = (date: Date | null) => (date ? date.getTime() : null);

function sagaRecordFromRow(row: SagaRow): SagaRecord {
  return {
    ...row,
    deadlineAt: epochMs(row.deadlineAt),
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
    endedAt: epochMs(row.endedAt),
  };
}

/** The saga rows a query selected with SAGA_COLUMNS, as records. */
export function sagaRecordsFromRows(rows: unknown[]): SagaRecord[] {
  return (rows as SagaRow[]).map(sagaRecordFromRow);
}

const ms = (column: string, as: string) =>
  `(extract(epoch FROM ${column}) * 1000)::float8 AS "${as}"`;

/** SAGA_COLUMNS with times in ms since epoch: a row read as JSON is a SagaRecord as it is. */
export const SAGA_JSON_COLUMNS = `id, type, version, status, input, data, stage, steps, error, wait_reason AS "waitReason",
  ${ms('deadline_at', 'deadlineAt')}, idempotency_key AS "idempotencyKey", request_hash AS "requestHash",
  ${ms('created_at', 'createdAt')}, ${ms('updated_at', 'updatedAt')}, ${ms('ended_at', 'endedAt')},
  trace_parent AS "traceParent"`;
