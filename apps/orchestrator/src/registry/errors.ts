// Errors of the saga definitions this orchestrator runs; api/ maps their codes to HTTP.
import { SkaldError } from '@skald/protocol';

export const REGISTRY_ERROR_CODES = {
  unknownSagaType: 'UNKNOWN_SAGA_TYPE',
  definitionMissing: 'DEFINITION_MISSING',
  invalidSagaInput: 'INVALID_SAGA_INPUT',
} as const;

export class UnknownSagaTypeError extends SkaldError {
  readonly code = REGISTRY_ERROR_CODES.unknownSagaType;
  readonly retryable = false;

  constructor(
    readonly type: string,
    readonly knownTypes: string[],
  ) {
    super(
      `unknown saga type "${type}"; known types: ${knownTypes.length ? knownTypes.join(', ') : '(none registered)'}`,
    );
  }
}

/** A saga's type/version is not registered in this instance, so it cannot be advanced here. */
export class DefinitionMissingError extends SkaldError {
  readonly code = REGISTRY_ERROR_CODES.definitionMissing;
  readonly retryable = false;

  constructor(type: string, version: number) {
    super(
      `saga definition ${type} v${version} is not registered in this orchestrator; register every version that still has running sagas (SKALD_SAGAS, or SkaldModule.forRoot({ sagas })) and try again`,
    );
  }
}

/** Problems listed in the message at most; the error keeps them all. */
const MAX_LISTED_PROBLEMS = 20;

/** A new saga's input does not match the input schema of its type's latest version. */
export class InvalidSagaInputError extends SkaldError {
  readonly code = REGISTRY_ERROR_CODES.invalidSagaInput;
  readonly retryable = false;

  constructor(
    readonly type: string,
    readonly version: number,
    /** One per bad field, e.g. `input.car.model must be string`. */
    readonly problems: readonly string[],
  ) {
    const more = problems.length - MAX_LISTED_PROBLEMS;
    super(
      `input of saga type "${type}" is invalid: ${problems.slice(0, MAX_LISTED_PROBLEMS).join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
    );
  }
}
