// POST /v1/sagas/bulk and the bulk job resource (docs/rest-api.md#bulk-actions).
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { BULK_ITEM_OUTCOME, BULK_JOB_STATUS, type BulkItemOutcome } from '@skald/persistence';
import { SAGA_STATUS } from '@skald/saga';
import { BULK_ACTIONS } from '../../bulk/bulk-actions';
import { EXAMPLE_CURSOR } from './page-query.dto';
import { SagaFilterDto } from './saga.dto';

const JOB_ID = '7d1e5a3c-2b4f-4e6a-9c8d-1f2e3a4b5c6d';
const SAGA_ID = '0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11';
const OUTCOMES: (BulkItemOutcome | 'pending')[] = [...Object.values(BULK_ITEM_OUTCOME), 'pending'];

export class BulkRequestDto {
  @ApiProperty({
    enum: BULK_ACTIONS,
    example: 'retry',
    description:
      'cancel: as POST /v1/sagas/:id/cancel; retry: as POST /v1/sagas/:id/retry; resume: a paused saga',
  })
  @IsIn(BULK_ACTIONS, { message: `action must be one of ${BULK_ACTIONS.join(', ')}` })
  action!: (typeof BULK_ACTIONS)[number];

  @ApiProperty({
    type: SagaFilterDto,
    example: { type: 'book-trip', status: SAGA_STATUS.failed, errorCode: 'ROOMS_DOWN' },
    description: 'Which sagas: the fields of GET /v1/sagas (each given must match)',
  })
  @IsObject({ message: 'filter must be an object of the fields of GET /v1/sagas' })
  @ValidateNested()
  @Type(() => SagaFilterDto)
  filter!: SagaFilterDto;

  @ApiPropertyOptional({
    example: 'hotels outage of 2 Dec, ticket OPS-77',
    description: "recorded in each saga's history (cancel)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({
    example: true,
    default: false,
    description: 'true: answer the count and a sample, change nothing',
  })
  @IsOptional()
  @IsBoolean()
  dryRun?: boolean;
}

@ApiSchema({ name: 'BulkSampleSaga', description: 'A saga a bulk action would act on' })
export class BulkSampleSagaDto {
  @ApiProperty({ format: 'uuid', example: SAGA_ID })
  id!: string;

  @ApiProperty({ example: 'book-trip' })
  type!: string;

  @ApiProperty({ enum: Object.values(SAGA_STATUS), example: SAGA_STATUS.failed })
  status!: string;
}

@ApiSchema({ name: 'BulkDryRun', description: 'What a bulk action would act on; nothing changed' })
export class BulkDryRunDto {
  @ApiProperty({ enum: [true], example: true })
  dryRun!: true;

  @ApiProperty({ enum: BULK_ACTIONS, example: 'retry' })
  action!: string;

  @ApiProperty({ type: 'integer', example: 214, description: 'sagas the filter matches now' })
  count!: number;

  @ApiProperty({ type: 'integer', example: 10000, description: 'the most one job may act on' })
  maxSagas!: number;

  @ApiProperty({ type: [BulkSampleSagaDto], description: 'the newest of them, at most 20' })
  sample!: BulkSampleSagaDto[];
}

@ApiSchema({ name: 'BulkItemError', description: 'Why the action on a saga was refused' })
export class BulkItemErrorDto {
  @ApiProperty({
    example: 'ILLEGAL_TRANSITION',
    description: 'the code the single-saga endpoint answers with (ILLEGAL_TRANSITION: its 409)',
  })
  code!: string;

  @ApiProperty({ example: `saga ${SAGA_ID} is completed; only a failed saga can be retried` })
  message!: string;
}

@ApiSchema({ name: 'BulkItem', description: 'What a bulk job did to one saga' })
export class BulkItemDto {
  @ApiProperty({ format: 'uuid', example: SAGA_ID })
  sagaId!: string;

  @ApiProperty({ enum: OUTCOMES, example: BULK_ITEM_OUTCOME.succeeded })
  outcome!: string;

  @ApiPropertyOptional({ type: BulkItemErrorDto })
  error?: BulkItemErrorDto;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T06:10:00.120Z' })
  endedAt?: string;
}

@ApiSchema({ name: 'BulkJob', description: 'A bulk action by filter and its progress' })
export class BulkJobDto {
  @ApiProperty({ format: 'uuid', example: JOB_ID })
  id!: string;

  @ApiProperty({ enum: BULK_ACTIONS, example: 'retry' })
  action!: string;

  @ApiProperty({
    enum: Object.values(BULK_JOB_STATUS),
    example: BULK_JOB_STATUS.running,
    description: 'completed: every saga acted on; cancelled: stopped by an operator',
  })
  status!: string;

  @ApiProperty({ type: SagaFilterDto, example: { type: 'book-trip', status: SAGA_STATUS.failed } })
  filter!: SagaFilterDto;

  @ApiPropertyOptional({ example: 'hotels outage of 2 Dec, ticket OPS-77' })
  reason?: string;

  @ApiPropertyOptional({ example: 'ops', description: 'the API key name that created the job' })
  actor?: string;

  @ApiProperty({ type: 'integer', example: 214, description: 'sagas in the snapshot' })
  total!: number;

  @ApiProperty({
    type: 'integer',
    example: 120,
    description: 'sagas acted on (succeeded + failed)',
  })
  done!: number;

  @ApiProperty({ type: 'integer', example: 118 })
  succeeded!: number;

  @ApiProperty({ type: 'integer', example: 2 })
  failed!: number;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T06:09:58.001Z' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T06:10:03.100Z' })
  endedAt?: string;
}

@ApiSchema({ name: 'BulkJobWithResults', description: 'A bulk job with its per-saga results' })
export class BulkJobWithResultsDto extends BulkJobDto {
  @ApiProperty({
    type: [BulkItemDto],
    description: 'per saga, in the job order (oldest saga first), as ?outcome and ?limit select',
  })
  results!: BulkItemDto[];
}

@ApiSchema({ name: 'BulkJobPage', description: 'A page of bulk jobs, newest first' })
export class BulkJobPageDto {
  @ApiProperty({ type: [BulkJobDto] })
  items!: BulkJobDto[];

  @ApiProperty({ type: 'string', nullable: true, example: EXAMPLE_CURSOR })
  nextCursor!: string | null;
}

export class BulkJobResultsQueryDto {
  @ApiPropertyOptional({
    enum: OUTCOMES,
    example: BULK_ITEM_OUTCOME.failed,
    description: 'only the results with this outcome (pending: not acted on yet)',
  })
  @IsOptional()
  @IsIn(OUTCOMES, { message: `outcome must be one of ${OUTCOMES.join(', ')}` })
  outcome?: (typeof OUTCOMES)[number];

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1000, default: 100, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  limit?: number;
}
