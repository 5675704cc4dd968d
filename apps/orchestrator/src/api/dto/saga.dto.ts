import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import {
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';
import { SAGA_STATUS, SAGA_WAIT_REASONS } from '@skald/saga';
import { PageQueryDto } from './page-query.dto';

export class StartSagaDto {
  @ApiProperty({ example: 'book-trip', description: 'A registered saga type (GET /v1/saga-types)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  type!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    // replaced at set-up by an example of a registered saga type (api/start-saga-example.ts)
    example: {},
    description:
      "Must match the inputSchema of the type's newest version (GET /v1/saga-types), if it has one",
  })
  @IsObject()
  input!: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'trip-42',
    description:
      'Same key + same request → the same saga (200); same key, other request → 409. Or use the Idempotency-Key header.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotencyKey?: string;
}

/** Which sagas: GET /v1/sagas' query, and the `filter` of POST /v1/sagas/bulk (one definition). */
export class SagaFilterDto {
  @ApiPropertyOptional({ example: 'book-trip' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ enum: Object.values(SAGA_STATUS), example: SAGA_STATUS.failed })
  @IsOptional()
  @IsIn(Object.values(SAGA_STATUS))
  status?: string;

  @ApiPropertyOptional({
    example: '2026-12-01T00:00:00Z',
    description: 'Only sagas started before this time (ISO 8601), e.g. the stuck ones',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdBefore must be an ISO 8601 date-time' })
  createdBefore?: string;

  @ApiPropertyOptional({
    example: '2026-11-30T00:00:00Z',
    description: 'Only sagas started at or after this time (ISO 8601)',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'createdAfter must be an ISO 8601 date-time' })
  createdAfter?: string;

  @ApiPropertyOptional({
    example: 'CARD_DECLINED',
    description: "Only sagas whose last error (the saga's `error`) has this code",
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  errorCode?: string;

  @ApiPropertyOptional({
    enum: SAGA_WAIT_REASONS,
    example: 'paused',
    description: 'Only sagas that wait on an operator for this reason',
  })
  @IsOptional()
  @IsIn(SAGA_WAIT_REASONS, { message: `waitReason must be one of ${SAGA_WAIT_REASONS.join(', ')}` })
  waitReason?: string;
}

export class ListSagasQueryDto extends IntersectionType(SagaFilterDto, PageQueryDto) {}

export class CancelSagaDto {
  @ApiPropertyOptional({ example: 'customer changed their mind' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

export class SkipCompensationDto {
  @ApiProperty({ example: 'hotel cancelled by phone, ticket OPS-42' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}
