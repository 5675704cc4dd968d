// Errors of the saga model. Each carries a string `code` and says whether retrying can help.

/** A definition breaks a rule; the message names the saga, the step and the fix. */
export class SagaDefinitionError extends Error {
  override readonly name = 'SagaDefinitionError';
  readonly code = 'INVALID_SAGA_DEFINITION';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A persisted saga no longer matches its definition (a step was renamed or removed in place). */
export class DefinitionMismatchError extends Error {
  override readonly name = 'DefinitionMismatchError';
  readonly code = 'DEFINITION_MISMATCH';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The event is not allowed in the saga's current state (cancel a finished saga, ...). */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'ILLEGAL_TRANSITION';
  readonly retryable = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Why a compensation must go to the participant that ran the step (checked by build() and by decide() on every send). */
export function misroutedCompensation(step: string, ran: string, compensatedAt: string): string {
  return (
    `step ${step}: its compensation goes to participant "${compensatedAt}" but its command went to "${ran}"; ` +
    `only the participant that ran a step knows whether there is anything to undo (and can refuse a late command), ` +
    `so a compensation must go to the same participant`
  );
}

const PROGRAMMER_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

/** The one retry decision: explicit `retryable` wins; programmer errors never; unknown errors do. */
export function isRetryable(error: unknown): boolean {
  if (typeof error === 'object' && error !== null && 'retryable' in error) {
    return (error as { retryable: unknown }).retryable === true;
  }
  return !PROGRAMMER_ERRORS.some((type) => error instanceof type);
}
