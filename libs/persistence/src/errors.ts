// Errors of the persistence layer: each a SkaldError with a stable `code` and its `retryable` answer.
import { SkaldError } from '@skald/protocol';

export const PERSISTENCE_ERROR_CODES = {
  databaseUnreachable: 'DATABASE_UNREACHABLE',
  invalidCursor: 'INVALID_CURSOR',
  staleLease: 'STALE_LEASE',
} as const;

/** PostgreSQL could not be reached; the message names the server (never the password). */
export class DatabaseUnreachableError extends SkaldError {
  readonly code = PERSISTENCE_ERROR_CODES.databaseUnreachable;
  readonly retryable = true;
}

/** A list cursor that this API did not issue (or that was altered). Bad input, never retried. */
export class InvalidCursorError extends SkaldError {
  readonly code = PERSISTENCE_ERROR_CODES.invalidCursor;
  readonly retryable = false;
}

/**
 * A write guarded by a lease was refused: the lease has a newer fencing token, so this process
 * lost it (e.g. it was paused past its lease) and must not act on what it decided before.
 */
export class StaleLeaseError extends SkaldError {
  readonly code = PERSISTENCE_ERROR_CODES.staleLease;
  readonly retryable = false;

  constructor(
    readonly lease: string,
    readonly token: number,
    readonly currentToken: number | undefined,
  ) {
    super(
      `lease "${lease}" is now at fencing token ${currentToken ?? '(none)'}; a write with stale token ${token} was refused`,
    );
  }
}
