import { applyDecorators, BadRequestException } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';

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

/** OpenAPI of a create that takes an idempotency key: 201 new, 200 the same request again, 409 another. */
export function ApiIdempotentCreate(created: string, again: string) {
  return applyDecorators(
    ApiHeader({ name: 'Idempotency-Key', required: false }),
    ApiResponse({ status: 201, description: created }),
    ApiResponse({ status: 200, description: again }),
    ApiResponse({ status: 409, description: 'idempotency key used for a different request' }),
  );
}
