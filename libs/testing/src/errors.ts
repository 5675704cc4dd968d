import { SkaldError } from '@skald/protocol';

export const TESTING_ERROR_CODES = { localStack: 'LOCAL_STACK' } as const;

/** A local server could not be started; the message says what is missing and what to do instead. */
export class LocalStackError extends SkaldError {
  readonly code = TESTING_ERROR_CODES.localStack;
  readonly retryable = false;
}
