// The OpenAPI of the errors each route answers (401 and 403 come with RequiresScope): one
// ErrorBody schema, and per status an example of each case, with the message Skald sends.
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PERSISTENCE_ERROR_CODES } from '@skald/persistence';
import { PROTOCOL_ERROR_CODES } from '@skald/protocol';
import { SAGA_ERROR_CODES } from '@skald/saga';
import { BULK_ERROR_CODES } from '../bulk/errors';
import { ENGINE_ERROR_CODES } from '../engine/errors';
import { REGISTRY_ERROR_CODES } from '../registry/errors';
import { RESILIENCE_ERROR_CODES } from '../resilience/errors';
import { ErrorBodyDto } from './dto/error-body.dto';
import { ERROR_REASONS } from './error.filter';

/** One way a route fails: its status, what it means, and the body of an example. */
export interface ErrorCase {
  status: 400 | 404 | 409 | 413 | 429 | 503;
  /** The example's key in the document. */
  name: string;
  description: string;
  message: string;
  code?: string;
}

const SAGA_ID = '0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11';
const TRANSACTION_ID = '5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
const BULK_JOB_ID = '7d1e5a3c-2b4f-4e6a-9c8d-1f2e3a4b5c6d';

/** Every error case of the API, by name; routes pick theirs. */
export const ERROR_CASES = {
  invalidBody: {
    status: 400,
    name: 'invalid-body',
    description: 'the body is not valid JSON, has an unknown field, or a field has a bad value',
    message: 'property colour should not exist',
  },
  idNotUuid: {
    status: 400,
    name: 'id-not-uuid',
    description: 'the id in the path is not a UUID',
    message: 'id must be a UUID',
  },
  invalidQuery: {
    status: 400,
    name: 'invalid-query',
    description: 'a query parameter has a bad value',
    message: 'limit must not be greater than 500',
  },
  invalidCursor: {
    status: 400,
    name: 'invalid-cursor',
    description: 'the cursor is not a nextCursor this API returned',
    message: 'cursor is not one this API returned (pass nextCursor unchanged)',
    code: PERSISTENCE_ERROR_CODES.invalidCursor,
  },
  unknownSagaType: {
    status: 400,
    name: 'unknown-saga-type',
    description: 'no saga type of that name is registered (the message names the known ones)',
    message: 'unknown saga type "book-tirp"; known types: book-trip, transfer',
    code: REGISTRY_ERROR_CODES.unknownSagaType,
  },
  invalidSagaInput: {
    status: 400,
    name: 'invalid-saga-input',
    description: "the input does not match the type's inputSchema (each bad field named)",
    message: 'input of saga type "book-trip" is invalid: input.amount must be number',
    code: REGISTRY_ERROR_CODES.invalidSagaInput,
  },
  sagaNotFound: {
    status: 404,
    name: 'saga-not-found',
    description: 'no saga has this id',
    message: `saga ${SAGA_ID} does not exist`,
    code: ENGINE_ERROR_CODES.sagaNotFound,
  },
  transactionUnknown: {
    status: 404,
    name: 'transaction-unknown',
    description:
      'no record of the transaction: code TRANSACTION_UNKNOWN, on which (and only on which) a participant in doubt presumes abort',
    message: `the coordinator has no record of transaction ${TRANSACTION_ID}`,
    code: PROTOCOL_ERROR_CODES.transactionUnknown,
  },
  participantUnknown: {
    status: 404,
    name: 'participant-unknown',
    description:
      'no definition addresses the participant, no command went to it and it has no limits of its own (the message names the known ones)',
    message: 'unknown participant "hotel"; known participants: cars, hotels',
    code: RESILIENCE_ERROR_CODES.participantUnknown,
  },
  idempotencyConflict: {
    status: 409,
    name: 'idempotency-conflict',
    description: 'the idempotency key was used for a different request',
    message: `idempotency key "trip-42" was already used for a different request (saga ${SAGA_ID}); use a new key for a new request`,
    code: ENGINE_ERROR_CODES.idempotencyConflict,
  },
  sagaStateForbids: {
    status: 409,
    name: 'saga-state',
    description: "the saga's state does not allow the action",
    message: `saga ${SAGA_ID} is completed; only a running or paused saga can be cancelled`,
    code: SAGA_ERROR_CODES.illegalTransition,
  },
  definitionMissing: {
    status: 409,
    name: 'definition-missing',
    description: "the saga's definition (type and version) is no longer registered",
    message:
      'saga definition book-trip v1 is not registered in this orchestrator; register every version that still has running sagas (SKALD_SAGAS, or SkaldModule.forRoot({ sagas })) and try again',
    code: REGISTRY_ERROR_CODES.definitionMissing,
  },
  transactionStateForbids: {
    status: 409,
    name: 'transaction-state',
    description: 'the outcome contradicts the logged decision, or the transaction is finished',
    message: `transaction ${TRANSACTION_ID} was decided "abort"; a logged decision is never changed, so it can only be resolved with outcome "abort"`,
    code: SAGA_ERROR_CODES.illegalTransition,
  },
  bulkTooManySagas: {
    status: 400,
    name: 'bulk-too-many-sagas',
    description:
      'the filter matches more sagas than one bulk job may act on (SKALD_BULK_MAX_SAGAS)',
    message:
      'the filter matches 12000 sagas, more than the 10000 one bulk job may act on (SKALD_BULK_MAX_SAGAS); narrow the filter, e.g. with createdBefore/createdAfter',
    code: BULK_ERROR_CODES.tooManySagas,
  },
  bulkJobNotFound: {
    status: 404,
    name: 'bulk-job-not-found',
    description: 'no bulk job has this id',
    message: `bulk job ${BULK_JOB_ID} does not exist`,
    code: BULK_ERROR_CODES.jobNotFound,
  },
  bulkJobNotRunning: {
    status: 409,
    name: 'bulk-job-not-running',
    description: 'the bulk job has already ended',
    message: `bulk job ${BULK_JOB_ID} is completed; only a running job can be cancelled`,
    code: BULK_ERROR_CODES.jobNotRunning,
  },
  bulkTooManyJobs: {
    status: 429,
    name: 'bulk-too-many-jobs',
    description: 'as many bulk jobs as may run at once are running (SKALD_BULK_MAX_JOBS)',
    message:
      '2 bulk jobs are running, the most allowed at once (SKALD_BULK_MAX_JOBS); wait for one to end or cancel one',
    code: BULK_ERROR_CODES.tooManyJobs,
  },
  tooLarge: {
    status: 413,
    name: 'too-large',
    description: 'the body is larger than SKALD_BODY_LIMIT',
    message: 'request body is larger than the limit of 1048576 bytes',
  },
  databaseUnavailable: {
    status: 503,
    name: 'database-unavailable',
    description: 'PostgreSQL is unreachable',
    message: 'the database is unavailable; retry later',
  },
} as const satisfies Record<string, ErrorCase>;

/** The error answers of a route besides 401/403: an ErrorBody per status, an example per case. */
export function ApiErrorResponses(...cases: ErrorCase[]) {
  const statuses = [...new Set(cases.map((c) => c.status))];
  return applyDecorators(
    ...statuses.map((status) => {
      const these = cases.filter((c) => c.status === status);
      return ApiResponse({
        status,
        type: ErrorBodyDto,
        description: these.map((c) => c.description).join('; or '),
        examples: Object.fromEntries(
          these.map((c) => [
            c.name,
            {
              summary: c.description,
              value: {
                statusCode: status,
                error: ERROR_REASONS[status],
                message: c.message,
                ...(c.code ? { code: c.code } : {}),
              },
            },
          ]),
        ),
      });
    }),
  );
}

/** What a route with a JSON body can also answer: a bad body (400), one too large (413). */
export const BODY_ERRORS = [ERROR_CASES.invalidBody, ERROR_CASES.tooLarge];
