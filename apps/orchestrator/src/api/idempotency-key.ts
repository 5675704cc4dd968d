import { BadRequestException } from '@nestjs/common';

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
