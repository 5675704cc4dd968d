import { applyDecorators, BadRequestException, type Type } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { ApiErrorResponses, ERROR_CASES } from './error-responses';

/** The request's idempotency key: the `Idempotency-Key` header or `idempotencyKey` in the body. */
export function idempotencyKey(
  body: { idempotencyKey?: string },
  header: string | undefined,
): string | undefined {
  if (header === undefined) return body.idempotencyKey;
  if (header.length < 1 || header.length > 200) {
    throw new BadRequestException('Idempotency-Key header must be 1 to 200 characters');
  }
  if (body.idempotencyKey !== undefined && body.idempotencyKey !== header) {
    throw new BadRequestException(
      'Idempotency-Key header and idempotencyKey in the body differ; send one',
    );
  }
  return header;
}

/**
 * OpenAPI of a create that takes an idempotency key: 201 new, 200 the same request again (both
 * answering `type`), 409 another request.
 */
export function ApiIdempotentCreate(type: Type, created: string, again: string) {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'instead of idempotencyKey in the body (1-200 characters)',
      example: 'trip-42',
    }),
    ApiResponse({ status: 201, description: created, type }),
    ApiResponse({ status: 200, description: again, type }),
    ApiErrorResponses(ERROR_CASES.idempotencyConflict),
  );
}
