// Errors of the 2PC model: each a SkaldError with a stable `code` and its `retryable` answer.
// An illegal status change throws the saga model's IllegalTransitionError: one error, one meaning.
import { PROTOCOL_ERROR_CODES, SkaldError } from '@skald/protocol';

/**
 * The coordinator has no record of the transaction. Its code is on the wire (the 404 body of
 * GET /v1/transactions/:id): a participant in doubt presumes abort on it, and on nothing else.
 */
export class TransactionNotFoundError extends SkaldError {
  readonly code = PROTOCOL_ERROR_CODES.transactionUnknown;
  readonly retryable = false;

  constructor(readonly transactionId: string) {
    super(`the coordinator has no record of transaction ${transactionId}`);
  }
}
