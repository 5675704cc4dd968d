import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger, NotFoundException, type ArgumentsHost } from '@nestjs/common';
import { DatabaseUnreachableError, InvalidCursorError } from '@skald/persistence';
import { ProtocolError } from '@skald/protocol';
import { IllegalTransitionError } from '@skald/saga';
import { TransactionNotFoundError } from '@skald/two-phase';
import { IdempotencyConflictError, SagaNotFoundError } from '../engine/errors';
import {
  DefinitionMissingError,
  InvalidSagaInputError,
  UnknownSagaTypeError,
} from '../registry/errors';
import { ErrorFilter } from './error.filter';

/** The status and JSON body the filter answers `error` with. */
function answer(error: unknown): { status: number; body: unknown } {
  const sent: { status: number; body: unknown } = { status: 0, body: undefined };
  const response = {
    status(status: number) {
      sent.status = status;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as ArgumentsHost;
  new ErrorFilter().catch(error, host);
  return sent;
}

const shaped = (message: string, fields: Record<string, unknown>) =>
  Object.assign(new Error(message), fields);

describe('ErrorFilter', () => {
  // the REST error bodies are a contract: `{ statusCode, error, message, code? }`, code on 4xx only
  const cases: [unknown, number, string, string, string?][] = [
    [
      new UnknownSagaTypeError('trip', ['order']),
      400,
      'Bad Request',
      'unknown saga type "trip"; known types: order',
      'UNKNOWN_SAGA_TYPE',
    ],
    [
      new InvalidSagaInputError('order', 2, ['input.total must be number']),
      400,
      'Bad Request',
      'input of saga type "order" is invalid: input.total must be number',
      'INVALID_SAGA_INPUT',
    ],
    [
      new InvalidCursorError('cursor is not one this API issued'),
      400,
      'Bad Request',
      'cursor is not one this API issued',
      'INVALID_CURSOR',
    ],
    [new SagaNotFoundError('s-1'), 404, 'Not Found', 'saga s-1 does not exist', 'SAGA_NOT_FOUND'],
    [
      new TransactionNotFoundError('t-1'),
      404,
      'Not Found',
      'the coordinator has no record of transaction t-1',
      'TRANSACTION_UNKNOWN',
    ],
    [
      new IdempotencyConflictError('k', 's-1'),
      409,
      'Conflict',
      'idempotency key "k" was already used for a different request (saga s-1); use a new key for a new request',
      'IDEMPOTENCY_CONFLICT',
    ],
    [
      new IllegalTransitionError('saga s-1 is completed: cannot cancel'),
      409,
      'Conflict',
      'saga s-1 is completed: cannot cancel',
      'ILLEGAL_TRANSITION',
    ],
    [
      new DefinitionMissingError('order', 3),
      409,
      'Conflict',
      'saga definition order v3 is not registered in this orchestrator; register every version that still has running sagas (SKALD_SAGAS, or SkaldModule.forRoot({ sagas })) and try again',
      'DEFINITION_MISSING',
    ],
    [new NotFoundException('no such route'), 404, 'Not Found', 'no such route'],
    [
      new DatabaseUnreachableError('Cannot reach PostgreSQL at db:5432/skald'),
      503,
      'Service Unavailable',
      'the database is unavailable; retry later',
    ],
    [
      shaped('Query failed', { driverError: shaped('terminating connection', { code: '57P01' }) }),
      503,
      'Service Unavailable',
      'the database is unavailable; retry later',
    ],
    // retryable, but the database is up: an internal error, not "unavailable"
    [
      shaped('deadlock detected', { code: '40P01' }),
      500,
      'Internal Server Error',
      'internal error',
    ],
    [new ProtocolError('missing header ce_id'), 500, 'Internal Server Error', 'internal error'],
    [new TypeError('x is undefined'), 500, 'Internal Server Error', 'internal error'],
  ];
  for (const [error, statusCode, reason, message, code] of cases) {
    const { name, code: errorCode } = error as { name: string; code?: string };
    it(`answers ${name}${errorCode ? ` ${errorCode}` : ''} with ${statusCode}`, () => {
      Logger.overrideLogger(false);
      assert.deepEqual(answer(error), {
        status: statusCode,
        body: { statusCode, error: reason, message, ...(code ? { code } : {}) },
      });
    });
  }
});
