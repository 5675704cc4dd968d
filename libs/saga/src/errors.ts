// Errors of the saga model: each a SkaldError with a stable `code` and its `retryable` answer.
import { SkaldError } from '@skald/protocol';

export const SAGA_ERROR_CODES = {
  invalidDefinition: 'INVALID_SAGA_DEFINITION',
  definitionMismatch: 'DEFINITION_MISMATCH',
  illegalTransition: 'ILLEGAL_TRANSITION',
} as const;

/** A definition breaks a rule; the message names the saga, the step and the fix. */
export class SagaDefinitionError extends SkaldError {
  readonly code = SAGA_ERROR_CODES.invalidDefinition;
  readonly retryable = false;
}

/** A persisted saga no longer matches its definition (a step was renamed or removed in place). */
export class DefinitionMismatchError extends SkaldError {
  readonly code = SAGA_ERROR_CODES.definitionMismatch;
  readonly retryable = false;
}

/** The event is not allowed in the saga's current state (cancel a finished saga, ...). */
export class IllegalTransitionError extends SkaldError {
  readonly code = SAGA_ERROR_CODES.illegalTransition;
  readonly retryable = false;
}

/** Why a compensation must go to the participant that ran the step (checked by build() and by decide() on every send). */
export function misroutedCompensation(step: string, ran: string, compensatedAt: string): string {
  return (
    `step ${step}: its compensation goes to participant "${compensatedAt}" but its command went to "${ran}"; ` +
    `only the participant that ran a step knows whether there is anything to undo (and can refuse a late command), ` +
    `so a compensation must go to the same participant`
  );
}
