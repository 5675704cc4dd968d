// Errors the engine raises for a caller to act on; api/ maps their codes to HTTP, nothing else here knows HTTP.
import { SkaldError } from '@skald/protocol';

export const ENGINE_ERROR_CODES = {
  sagaNotFound: 'SAGA_NOT_FOUND',
  idempotencyConflict: 'IDEMPOTENCY_CONFLICT',
} as const;

export class SagaNotFoundError extends SkaldError {
  readonly code = ENGINE_ERROR_CODES.sagaNotFound;
  readonly retryable = false;

  constructor(readonly sagaId: string) {
    super(`saga ${sagaId} does not exist`);
  }
}

export class IdempotencyConflictError extends SkaldError {
  readonly code = ENGINE_ERROR_CODES.idempotencyConflict;
  readonly retryable = false;

  constructor(
    readonly idempotencyKey: string,
    readonly existingSagaId: string,
    /** What the key names: a saga, or a 2PC transaction. */
    resource: 'saga' | 'transaction' = 'saga',
  ) {
    super(
      `idempotency key "${idempotencyKey}" was already used for a different request (${resource} ${existingSagaId}); use a new key for a new request`,
    );
  }
}
