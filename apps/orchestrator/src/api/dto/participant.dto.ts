// GET /v1/participants for the OpenAPI document: what SagaViews.participants() answers; and the
// body of POST /v1/participants/:name/breaker.
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import {
  BREAKER_MODES,
  BREAKER_STATES,
  MANUAL_BREAKER_STATES,
  type BreakerMode,
  type BreakerState,
  type ManualBreakerState,
} from '../../resilience/flow-control';

const MANUAL_STATES = Object.values(MANUAL_BREAKER_STATES);

@ApiSchema({
  name: 'ManualBreaker',
  description:
    'How an operator last set the breaker by hand. Opened by hand, it stays open until closed by hand.',
})
export class ManualBreakerDto {
  @ApiProperty({ enum: MANUAL_STATES, example: MANUAL_BREAKER_STATES.open })
  state!: ManualBreakerState;

  @ApiProperty({ example: 'hotels maintenance, ticket OPS-7' })
  reason!: string;

  @ApiProperty({ example: 'ops', description: "the API key's name" })
  actor!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.101Z' })
  at!: string;
}

@ApiSchema({ name: 'Breaker', description: "A participant's circuit breaker" })
export class BreakerDto {
  @ApiProperty({ enum: Object.values(BREAKER_STATES), example: BREAKER_STATES.closed })
  state!: BreakerState;

  @ApiProperty({ type: 'integer', example: 0 })
  consecutiveFailures!: number;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T05:54:01.101Z' })
  openedAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-02T05:54:31.101Z',
    description: 'when an open breaker lets probes through (never while opened by hand)',
  })
  probesFrom?: string;

  @ApiPropertyOptional({ type: ManualBreakerDto })
  manual?: ManualBreakerDto;
}

@ApiSchema({ name: 'BreakerLimits', description: "The thresholds of a participant's breaker" })
export class BreakerLimitsDto {
  @ApiProperty({ type: 'integer', example: 5 })
  failureThreshold!: number;

  @ApiProperty({ type: 'integer', example: 10_000 })
  openMs!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  halfOpenProbes!: number;

  @ApiProperty({ enum: Object.values(BREAKER_MODES), example: BREAKER_MODES.wait })
  mode!: BreakerMode;
}

@ApiSchema({
  name: 'ParticipantLimits',
  description: 'The flow-control limits a participant runs with: its own, or the global ones',
})
export class ParticipantLimitsDto {
  @ApiProperty({
    enum: ['participant', 'global'],
    example: 'participant',
    description: 'participant: set in SKALD_PARTICIPANT_LIMITS; global: the SKALD_* defaults',
  })
  source!: 'participant' | 'global';

  @ApiProperty({ type: 'integer', example: 4 })
  maxInFlight!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 20,
    description: 'commands of any attempt sent per second; null: no limit',
  })
  ratePerSecond!: number | null;

  @ApiProperty({ type: 'integer', example: 100 })
  retriesPerSecond!: number;

  @ApiProperty({ type: BreakerLimitsDto })
  breaker!: BreakerLimitsDto;
}

@ApiSchema({
  name: 'TopicHold',
  description:
    "Why this instance's relay holds a participant's commands back: the broker refuses its topic",
})
export class TopicHoldDto {
  @ApiProperty({ example: 'skald.commands.hotels' })
  topic!: string;

  @ApiProperty({ example: 'UNKNOWN_TOPIC_OR_PARTITION', description: "the broker's error code" })
  error!: string;

  @ApiProperty({ example: 'This server does not host this topic-partition' })
  message!: string;

  @ApiProperty({ type: 'integer', example: 3, description: 'failed sends and checks in a row' })
  failures!: number;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.101Z' })
  since!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:03.101Z' })
  nextAttemptAt!: string;
}

@ApiSchema({ name: 'Participant', description: 'A participant commands were sent to' })
export class ParticipantDto {
  @ApiProperty({ example: 'hotels' })
  name!: string;

  @ApiProperty({ type: BreakerDto })
  breaker!: BreakerDto;

  @ApiProperty({ type: 'integer', example: 2, description: 'commands sent and not yet answered' })
  inFlight!: number;

  @ApiProperty({ type: 'integer', example: 100 })
  maxInFlight!: number;

  @ApiProperty({ type: 'integer', example: 0, description: 'commands waiting in the outbox' })
  queued!: number;

  @ApiProperty({ type: ParticipantLimitsDto })
  limits!: ParticipantLimitsDto;

  @ApiPropertyOptional({ type: TopicHoldDto })
  held?: TopicHoldDto;
}

export class SetBreakerDto {
  @ApiProperty({ enum: MANUAL_STATES, example: MANUAL_BREAKER_STATES.open })
  @IsIn(MANUAL_STATES, { message: `state must be one of ${MANUAL_STATES.join(', ')}` })
  state!: ManualBreakerState;

  @ApiProperty({ example: 'hotels maintenance, ticket OPS-7' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}

@ApiSchema({ name: 'ParticipantList' })
export class ParticipantListDto {
  @ApiProperty({ type: [ParticipantDto] })
  items!: ParticipantDto[];
}
