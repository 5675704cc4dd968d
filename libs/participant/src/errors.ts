// Errors of the participant SDK: each a SkaldError with a stable `code` and its `retryable` answer.
import { SkaldError } from '@skald/protocol';

export const PARTICIPANT_ERROR_CODES = {
  invalidConfig: 'INVALID_PARTICIPANT_CONFIG',
} as const;

/**
 * Throw from a handler to refuse a command for a business reason: the participant answers
 * `failure` and the orchestrator does not retry (it compensates instead). Any other error is
 * transient: the participant answers `error` and the orchestrator retries per the step's policy.
 */
export class BusinessRefusal extends SkaldError {
  readonly retryable = false;

  constructor(
    /** Stable machine-readable reason, e.g. `CARD_DECLINED`. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Participant options are wrong; the message names the option. */
export class ParticipantConfigError extends SkaldError {
  readonly code = PARTICIPANT_ERROR_CODES.invalidConfig;
  readonly retryable = false;
}
