// GET /v1/saga-types for the OpenAPI document: SagaDefinition.describe() of @skald/saga.
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  EXHAUSTED_POLICIES,
  type CompiledRetryPolicy,
  type ExhaustedPolicy,
  type SagaDescription,
} from '@skald/saga';

type StageDescription = SagaDescription['stages'][number];
type StepDescription = StageDescription['steps'][number];

@ApiSchema({ name: 'RetryPolicy', description: 'How a step (or its compensation) is retried' })
export class RetryPolicyDto implements CompiledRetryPolicy {
  @ApiProperty({ type: 'integer', example: 3 })
  maxAttempts!: number;

  @ApiProperty({ enum: ['exponential', 'fixed'], example: 'exponential' })
  backoff!: 'exponential' | 'fixed';

  @ApiProperty({ type: 'integer', example: 100 })
  initialMs!: number;

  @ApiProperty({ type: 'integer', example: 10_000 })
  maxMs!: number;

  @ApiProperty({ enum: ['full', 'none'], example: 'full' })
  jitter!: 'full' | 'none';

  @ApiProperty({
    type: [String],
    example: ['CARD_DECLINED'],
    description: 'error codes never retried',
  })
  nonRetryableCodes!: readonly string[];
}

@ApiSchema({ name: 'SagaTypeStep', description: 'A step of a stage, as its definition says' })
export class SagaTypeStepDto implements StepDescription {
  @ApiProperty({ example: 'reserve-car' })
  name!: string;

  @ApiProperty({ example: false, description: 'after the pivot: forward retries only' })
  pivot!: boolean;

  @ApiProperty({ example: true })
  compensatable!: boolean;

  @ApiProperty({ example: false, description: 'runs only when its `when` holds' })
  conditional!: boolean;

  @ApiProperty({ type: 'integer', example: 10_000 })
  timeoutMs!: number;

  @ApiProperty({ type: RetryPolicyDto })
  retry!: RetryPolicyDto;

  @ApiProperty({ type: RetryPolicyDto })
  compensationRetry!: RetryPolicyDto;

  @ApiProperty({
    enum: EXHAUSTED_POLICIES,
    example: 'compensate',
    description: 'when its forward retries run out: fail and compensate, or pause the saga',
  })
  onExhausted!: ExhaustedPolicy;

  @ApiProperty({ example: false, description: 'an operator may skip it once it is paused' })
  skippable!: boolean;
}

@ApiSchema({ name: 'SagaTypeStage', description: 'One step, or a parallel group of steps' })
export class SagaTypeStageDto implements StageDescription {
  @ApiProperty({ example: 'reserve-car' })
  name!: string;

  @ApiProperty({ enum: ['step', 'parallel'], example: 'step' })
  kind!: 'step' | 'parallel';

  @ApiProperty({ type: [SagaTypeStepDto] })
  steps!: SagaTypeStepDto[];
}

@ApiSchema({ name: 'SagaType', description: 'A registered saga definition (one version)' })
export class SagaTypeDto implements SagaDescription {
  @ApiProperty({ example: 'book-trip', description: 'the saga type' })
  type!: string;

  @ApiProperty({ example: 'book-trip', description: 'the same as type' })
  name!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  version!: number;

  @ApiPropertyOptional({ example: 'A car, a hotel and a flight, then the charge' })
  description?: string;

  @ApiPropertyOptional({ type: 'integer', example: 300_000 })
  deadlineMs?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: {
      type: 'object',
      required: ['customer'],
      properties: { customer: { type: 'string' } },
    },
    description:
      'JSON Schema (draft 2020-12) a new saga of this version must match; absent: any JSON object',
  })
  inputSchema?: Record<string, unknown>;

  @ApiProperty({
    type: [String],
    example: ['reserve-car', 'reserve-hotel', 'book-flight', 'charge-card'],
    description: 'every step name in order, parallel members included',
  })
  steps!: string[];

  @ApiProperty({ type: [SagaTypeStageDto] })
  stages!: SagaTypeStageDto[];
}

@ApiSchema({ name: 'SagaTypeList', description: 'Every registered (type, version)' })
export class SagaTypeListDto {
  @ApiProperty({ type: [SagaTypeDto] })
  items!: SagaTypeDto[];
}
