// Errors of the 2PC model. Each carries a string `code` and says whether retrying can help.
// An illegal status change throws the saga model's IllegalTransitionError: one error, one meaning.

export class TransactionNotFoundError extends Error {
  override readonly name = 'TransactionNotFoundError';
  readonly code = 'TRANSACTION_NOT_FOUND';
  readonly retryable = false;

  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} does not exist`);
  }
}
