// Errors of the deploy-time definition check.
import { SkaldError } from '@skald/protocol';
import { describeProblems, type DefinitionCheckReport } from './definition-report';

export const DEFINITIONS_ERROR_CODES = { breakingDefinitions: 'BREAKING_DEFINITIONS' } as const;

/** The registered definitions would break unfinished sagas: the orchestrator does not start. */
export class BreakingDefinitionsError extends SkaldError {
  readonly code = DEFINITIONS_ERROR_CODES.breakingDefinitions;
  readonly retryable = false;

  constructor(readonly report: DefinitionCheckReport) {
    super(
      `${describeProblems(report)}\n` +
        'Register the old versions again (SKALD_SAGAS, or SkaldModule.forRoot({ sagas })) and restart; ' +
        'or, to start anyway, set SKALD_ALLOW_BREAKING_DEFINITIONS=true: sagas whose version is not ' +
        "registered are then marked waitReason 'definition-missing' until it is again " +
        '(GET /v1/sagas?waitReason=definition-missing)',
    );
  }
}
