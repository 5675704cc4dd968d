import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';
import { SAGA_STATUS } from '@skald/saga';
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

export class ListSagasQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'book-trip' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;

  @ApiPropertyOptional({ enum: Object.values(SAGA_STATUS), example: SAGA_STATUS.failed })
  @IsOptional()
  @IsIn(Object.values(SAGA_STATUS))
  status?: string;
}

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
