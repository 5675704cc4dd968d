// Errors of flow control an operator meets; api/ maps their codes to HTTP.
import { SkaldError } from '@skald/protocol';

export const RESILIENCE_ERROR_CODES = {
  participantUnknown: 'PARTICIPANT_UNKNOWN',
} as const;

/** No saga definition addresses the participant, no command went to it, and it has no limits. */
export class ParticipantUnknownError extends SkaldError {
  readonly code = RESILIENCE_ERROR_CODES.participantUnknown;
  readonly retryable = false;

  constructor(
    readonly participant: string,
    known: readonly string[],
  ) {
    super(
      `unknown participant "${participant}"; known participants: ${known.length ? known.join(', ') : '(none)'}`,
    );
  }
}
