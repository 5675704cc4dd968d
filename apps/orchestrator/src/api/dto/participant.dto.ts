// GET /v1/participants for the OpenAPI document: what SagaViews.participants() answers.
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { BREAKER_STATES, type BreakerState } from '../../resilience/flow-control';

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
    description: 'when an open breaker lets probes through',
  })
  probesFrom?: string;
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

  @ApiPropertyOptional({ type: TopicHoldDto })
  held?: TopicHoldDto;
}

@ApiSchema({ name: 'ParticipantList' })
export class ParticipantListDto {
  @ApiProperty({ type: [ParticipantDto] })
  items!: ParticipantDto[];
}
