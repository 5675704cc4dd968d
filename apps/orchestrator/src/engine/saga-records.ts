// The two saga shapes the engine converts between: SagaState, what decide() reads and returns
// (absent values undefined), and SagaRecord, what the store holds (absent values null, plus
// idempotency keys and timestamps).
import type { SagaRecord } from '@skald/persistence';
import { TERMINAL_SAGA_STATUSES, type SagaState } from '@skald/saga';

/** What a decision does not change about a stored saga: idempotency keys, creation time, trace. */
export type SagaBase = Pick<
  SagaRecord,
  'idempotencyKey' | 'requestHash' | 'createdAt' | 'traceParent'
>;

export function sagaStateOf({
  idempotencyKey: _key,
  requestHash: _hash,
  createdAt: _created,
  updatedAt: _updated,
  endedAt: _ended,
  traceParent: _trace,
  error,
  deadlineAt,
  ...rest
}: SagaRecord): SagaState {
  return { ...rest, error: error ?? undefined, deadlineAt: deadlineAt ?? undefined };
}

/** The record of `state` as a transaction at `now` writes it. */
export function sagaRecordOf(
  { error, deadlineAt, ...rest }: SagaState,
  base: SagaBase,
  now: number,
): SagaRecord {
  return {
    ...rest,
    error: error ?? null,
    deadlineAt: deadlineAt ?? null,
    // from the status: a transition means the definition is registered, so it clears
    // `definition-missing` (which only the start-up check sets)
    waitReason: rest.status === 'paused' ? 'paused' : null,
    idempotencyKey: base.idempotencyKey,
    requestHash: base.requestHash,
    createdAt: base.createdAt,
    traceParent: base.traceParent,
    updatedAt: now,
    endedAt: TERMINAL_SAGA_STATUSES.includes(rest.status) ? now : null,
  };
}
