// Errors of the 2PC model. Each carries a string `code` and says whether retrying can help.

/** A transaction status change the protocol forbids (e.g. committing after an abort was logged). */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'ILLEGAL_TRANSITION';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class TransactionNotFoundError extends Error {
  override readonly name = 'TransactionNotFoundError';
  readonly code = 'TRANSACTION_NOT_FOUND';
  readonly retryable = false;

  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} does not exist`);
  }
}

/** The idempotency key was used for a different transaction request. */
export class TransactionIdempotencyConflictError extends Error {
  override readonly name = 'TransactionIdempotencyConflictError';
  readonly code = 'IDEMPOTENCY_CONFLICT';
  readonly retryable = false;

  constructor(
    readonly idempotencyKey: string,
    readonly existingTransactionId: string,
  ) {
    super(
      `idempotency key "${idempotencyKey}" was already used for a different request (transaction ${existingTransactionId}); use a new key for a new request`,
    );
  }
}
