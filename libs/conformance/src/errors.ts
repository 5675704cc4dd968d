// Errors of the conformance kit: each a SkaldError with a stable `code` and its `retryable` answer.
import { SkaldError } from '@skald/protocol';

export const CONFORMANCE_ERROR_CODES = {
  usage: 'CONFORMANCE_USAGE',
  setup: 'CONFORMANCE_SETUP',
} as const;

/** The kit was called wrongly (a missing or bad option); the message names the option. */
export class ConformanceUsageError extends SkaldError {
  readonly code = CONFORMANCE_ERROR_CODES.usage;
  readonly retryable = false;
}

/**
 * The kit could not start checking: Kafka is unreachable, or the participant's command topic does
 * not exist (it is not running). Another try may succeed once that is fixed.
 */
export class ConformanceSetupError extends SkaldError {
  readonly code = CONFORMANCE_ERROR_CODES.setup;
  readonly retryable = true;
}
