/** PostgreSQL could not be reached; the message names the server (never the password). */
export class DatabaseUnreachableError extends Error {
  override readonly name = 'DatabaseUnreachableError';
  readonly code = 'DATABASE_UNREACHABLE';
  readonly retryable = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A list cursor that this API did not issue (or that was altered). Bad input, never retried. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'INVALID_CURSOR';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A write guarded by a lease was refused: the lease has a newer fencing token, so this process
 * lost it (e.g. it was paused past its lease) and must not act on what it decided before.
 */
export class StaleLeaseError extends Error {
  override readonly name = 'StaleLeaseError';
  readonly code = 'STALE_LEASE';
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
