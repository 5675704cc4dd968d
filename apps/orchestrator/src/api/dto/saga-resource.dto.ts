// The saga resource of docs/rest-api.md (Sagas) for the OpenAPI document: what saga-resource.ts
// answers, property by property. The controllers' return types hold the two together.
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  SAGA_STATUS,
  SAGA_WAIT_REASONS,
  STEP_STATUS,
  type RecordedError,
  type SagaStatus,
  type StepStatus,
} from '@skald/saga';
import { WAIT_REASONS } from '../../resilience/flow-control';
import { EXAMPLE_CURSOR } from './page-query.dto';
import { ANY_JSON_VALUE } from './json-value';

const SAGA_ID = '0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11';

@ApiSchema({ name: 'RecordedError', description: 'Why a saga or a step failed' })
export class RecordedErrorDto implements RecordedError {
  @ApiProperty({
    example: 'NO_SEATS',
    description:
      "the participant's code, or Skald's: RETRIES_EXHAUSTED, STEP_TIMEOUT, DEADLINE_EXCEEDED, CANCELLED, ...",
  })
  code!: string;

  @ApiProperty({ example: 'flight full' })
  message!: string;

  @ApiPropertyOptional({ example: 'book-flight', description: 'the step it happened in' })
  step?: string;

  @ApiPropertyOptional({
    ...ANY_JSON_VALUE,
    description: 'anything the participant added (any JSON value)',
    example: { flight: 'SK 4411' },
  })
  details?: unknown;
}

@ApiSchema({ name: 'StepWaiting', description: "Why a step's command has not left the outbox yet" })
export class StepWaitingDto {
  @ApiProperty({ example: 'hotels' })
  participant!: string;

  @ApiProperty({ enum: Object.values(WAIT_REASONS), example: WAIT_REASONS.circuitOpen })
  reason!: string;
}

@ApiSchema({ name: 'SagaStep', description: 'One step of a saga, in definition order' })
export class SagaStepDto {
  @ApiProperty({ example: 'reserve-hotel' })
  name!: string;

  @ApiProperty({ enum: Object.values(STEP_STATUS), example: STEP_STATUS.succeeded })
  status!: StepStatus;

  @ApiProperty({
    type: 'integer',
    example: 1,
    description: "forward attempts so far (within the step's run)",
  })
  attempts!: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 2,
    description: 'present once an operator retried the step: ce_steprun of its commands',
  })
  run?: number;

  @ApiProperty({ type: 'integer', example: 0 })
  compensationAttempts!: number;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T05:54:01.120Z' })
  startedAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T05:54:01.187Z' })
  endedAt?: string;

  @ApiPropertyOptional({ type: RecordedErrorDto })
  error?: RecordedErrorDto;

  @ApiPropertyOptional({
    example: 'hotel cancelled by phone, ticket OPS-42',
    description: "the operator's reason, when its compensation was skipped",
  })
  skipReason?: string;

  @ApiPropertyOptional({ type: StepWaitingDto })
  waiting?: StepWaitingDto;
}

@ApiSchema({ name: 'Saga', description: 'A saga: its status, data, error and steps' })
export class SagaDto {
  @ApiProperty({ format: 'uuid', example: SAGA_ID })
  id!: string;

  @ApiProperty({ example: 'book-trip' })
  type!: string;

  @ApiProperty({ type: 'integer', example: 1, description: 'the definition version it runs on' })
  version!: number;

  @ApiProperty({
    enum: Object.values(SAGA_STATUS),
    example: SAGA_STATUS.completed,
    description: 'completed, compensated and failed are terminal; failed needs an operator',
  })
  status!: SagaStatus;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { customer: 'ada', amount: 900 },
    description: 'the input it was started with',
  })
  input!: unknown;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { carId: 'car-17', hotelId: 'hotel-4' },
    description: "what the steps' replies mapped into it",
  })
  data!: Record<string, unknown>;

  @ApiPropertyOptional({ type: RecordedErrorDto })
  error?: RecordedErrorDto;

  @ApiPropertyOptional({
    enum: SAGA_WAIT_REASONS,
    example: 'paused',
    description:
      'Why the saga waits on an operator: `paused` (resume, cancel or skip the step) or `definition-missing` (its type and version are no longer registered)',
  })
  waitReason?: string;

  @ApiProperty({ type: [SagaStepDto] })
  steps!: SagaStepDto[];

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.101Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.342Z' })
  updatedAt!: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T05:54:01.342Z' })
  endedAt?: string;
}

@ApiSchema({ name: 'SagaPage', description: 'A page of sagas, newest first' })
export class SagaPageDto {
  @ApiProperty({ type: [SagaDto] })
  items!: SagaDto[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: EXAMPLE_CURSOR,
    description: 'pass as cursor for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
