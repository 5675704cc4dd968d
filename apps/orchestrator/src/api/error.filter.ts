// The one place that maps errors to HTTP: `{ statusCode, error, message, code? }` (docs/rest-api.md#errors).
import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import { isDatabaseUnavailable, PERSISTENCE_ERROR_CODES } from '@skald/persistence';
import { PROTOCOL_ERROR_CODES, SkaldError } from '@skald/protocol';
import { SAGA_ERROR_CODES } from '@skald/saga';
import { AUTH_ERROR_CODES } from '../auth/errors';
import { BULK_ERROR_CODES } from '../bulk/errors';
import { ENGINE_ERROR_CODES } from '../engine/errors';
import { REGISTRY_ERROR_CODES } from '../registry/errors';
import { RESILIENCE_ERROR_CODES } from '../resilience/errors';
import { parseFailureMessage } from './json-body';

/** The `error` of each status Skald answers (the OpenAPI examples use it too). */
export const ERROR_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The HTTP status of each Skald error a request can meet; any other error is a 5xx. */
const STATUS_BY_CODE = new Map<string, number>([
  [REGISTRY_ERROR_CODES.unknownSagaType, 400],
  [REGISTRY_ERROR_CODES.invalidSagaInput, 400],
  [PERSISTENCE_ERROR_CODES.invalidCursor, 400],
  [AUTH_ERROR_CODES.apiKeyRequired, 401],
  [AUTH_ERROR_CODES.apiKeyScope, 403],
  [ENGINE_ERROR_CODES.sagaNotFound, 404],
  [PROTOCOL_ERROR_CODES.transactionUnknown, 404],
  [RESILIENCE_ERROR_CODES.participantUnknown, 404],
  [ENGINE_ERROR_CODES.idempotencyConflict, 409],
  [SAGA_ERROR_CODES.illegalTransition, 409],
  // a saga whose definition is no longer registered is a state the system reaches: not a 5xx
  [REGISTRY_ERROR_CODES.definitionMissing, 409],
  [BULK_ERROR_CODES.tooManySagas, 400],
  [BULK_ERROR_CODES.jobNotFound, 404],
  [BULK_ERROR_CODES.jobNotRunning, 409],
  [BULK_ERROR_CODES.tooManyJobs, 429],
]);

/** body-parser's errors carry a `type`; Nest wraps them in an HttpException with the original as `cause`. */
function bodyParserError(error: unknown): { status: number; message: string } | undefined {
  const e = (error instanceof HttpException ? error.cause : error) as
    { type?: string; limit?: number; message?: string } | undefined;
  if (e?.type === 'entity.too.large')
    return { status: 413, message: `request body is larger than the limit of ${e.limit} bytes` };
  if (e?.type === 'entity.parse.failed')
    return { status: 400, message: parseFailureMessage(e.message ?? '') };
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return { status: 415, message: e.message ?? 'unsupported encoding' };
  return undefined;
}

/** The HTTP status and message an error is answered with (the console shows the same). */
export function describeError(error: unknown): { status: number; message: string } {
  const parser = bodyParserError(error);
  if (parser) return parser;
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : ((response as { message?: string | string[] }).message ?? error.message);
    return {
      status: error.getStatus(),
      message: Array.isArray(message) ? message.join('; ') : message,
    };
  }
  if (error instanceof SkaldError) {
    const status = STATUS_BY_CODE.get(error.code);
    if (status) return { status, message: error.message };
  }
  if (isDatabaseUnavailable(error))
    return { status: 503, message: 'the database is unavailable; retry later' };
  return { status: 500, message: 'internal error' };
}

/**
 * The `code` of Skald's own errors answered with a 4xx (e.g. TRANSACTION_UNKNOWN, on which a
 * participant in doubt presumes abort): machine-readable where the message is for people.
 */
function codeOf(error: unknown, status: number): string | undefined {
  if (status >= 500 || error instanceof HttpException || !(error instanceof Error))
    return undefined;
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? code : undefined;
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    this.send(host.switchToHttp().getResponse<Response>(), error);
  }

  /** Answers `error` in the one shape; also for express middleware outside Nest's routes (/docs). */
  send(res: Response, error: unknown): void {
    // bodies that are not errors, such as the health report of a 503, pass through unchanged
    const own = error instanceof HttpException ? error.getResponse() : undefined;
    if (own && typeof own === 'object' && !('message' in own)) {
      res.status((error as HttpException).getStatus()).json(own);
      return;
    }
    const { status, message } = describeError(error);
    if (status >= 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    const code = codeOf(error, status);
    res.status(status).json({
      statusCode: status,
      error: ERROR_REASONS[status] ?? HttpStatus[status] ?? 'Error',
      message,
      ...(code ? { code } : {}),
    });
  }
}
