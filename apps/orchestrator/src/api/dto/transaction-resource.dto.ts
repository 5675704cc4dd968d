// The 2PC transaction resource of docs/rest-api.md (Transactions) for the OpenAPI document: what
// transactionResource() in transactions.controller.ts answers.
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PHASES, type TwoPhaseDecision } from '@skald/protocol';
import { TRANSACTION_STATUS, VOTES, type TransactionStatus, type Vote } from '@skald/two-phase';
import { EXAMPLE_CURSOR } from './page-query.dto';
import { DECISIONS } from './transaction.dto';
import { ANY_JSON_VALUE } from './json-value';

@ApiSchema({
  name: 'TwoPhaseError',
  description: 'Why a transaction aborted, or what a participant answered',
})
export class TwoPhaseErrorDto {
  @ApiProperty({ example: 'INSUFFICIENT_FUNDS' })
  code!: string;

  @ApiProperty({ example: 'alice has 5, not 10' })
  message!: string;

  @ApiPropertyOptional({ example: 'bank-a' })
  participant?: string;
}

@ApiSchema({ name: 'TransactionResolution', description: "An operator's resolution" })
export class TransactionResolutionDto {
  @ApiProperty({ enum: DECISIONS, example: PHASES.abort })
  outcome!: TwoPhaseDecision;

  @ApiProperty({ example: 'bank-b applied the abort by hand, ticket OPS-42' })
  reason!: string;

  @ApiPropertyOptional({
    example: 'ops',
    description: 'the API key it was made with (`anonymous` without keys)',
  })
  actor?: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T06:10:00.000Z' })
  at!: string;

  @ApiProperty({
    type: [String],
    example: ['bank-b'],
    description: 'who had not acknowledged the decision then',
  })
  unacknowledged!: string[];
}

@ApiSchema({
  name: 'TransactionParticipantState',
  description: 'A participant of a transaction: its command, vote and acknowledgement',
})
export class TransactionParticipantStateDto {
  @ApiProperty({ example: 'bank-a' })
  participant!: string;

  @ApiProperty({ example: 'debit' })
  command!: string;

  @ApiProperty({
    ...ANY_JSON_VALUE,
    description: 'any JSON value',
    example: { account: 'alice', amount: 10 },
  })
  payload!: unknown;

  @ApiPropertyOptional({ enum: Object.values(VOTES), example: VOTES.yes })
  vote?: Vote;

  @ApiProperty({ example: true, description: 'it confirmed it applied the decision' })
  acknowledged!: boolean;

  @ApiPropertyOptional({ type: TwoPhaseErrorDto })
  error?: TwoPhaseErrorDto;
}

@ApiSchema({ name: 'Transaction', description: 'A two-phase-commit transaction' })
export class TransactionDto {
  @ApiProperty({ format: 'uuid', example: '5f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f' })
  id!: string;

  @ApiProperty({
    enum: Object.values(TRANSACTION_STATUS),
    example: TRANSACTION_STATUS.committed,
    description: 'may gain values: rely on decision',
  })
  status!: TransactionStatus;

  @ApiPropertyOptional({ enum: DECISIONS, example: PHASES.commit, description: 'set once' })
  decision?: TwoPhaseDecision;

  @ApiPropertyOptional({ type: TwoPhaseErrorDto, description: 'why it aborted' })
  reason?: TwoPhaseErrorDto;

  @ApiPropertyOptional({
    type: [String],
    example: ['bank-b'],
    description:
      'who has not acknowledged the decision, once the coordinator stopped re-sending it',
  })
  unacknowledged?: string[];

  @ApiPropertyOptional({ type: TransactionResolutionDto })
  resolution?: TransactionResolutionDto;

  @ApiProperty({ type: 'integer', example: 30_000, description: 'the prepare timeout' })
  timeoutMs!: number;

  @ApiProperty({ type: [TransactionParticipantStateDto] })
  participants!: TransactionParticipantStateDto[];

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.101Z' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.260Z' })
  updatedAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:31.101Z' })
  prepareDeadlineAt!: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T06:04:01.190Z' })
  acknowledgeDeadlineAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T05:54:01.190Z' })
  decidedAt?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-02T05:54:01.260Z' })
  endedAt?: string;
}

@ApiSchema({ name: 'TransactionPage', description: 'A page of transactions, newest first' })
export class TransactionPageDto {
  @ApiProperty({ type: [TransactionDto] })
  items!: TransactionDto[];

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: EXAMPLE_CURSOR,
    description: 'pass as cursor for the next page; null on the last page',
  })
  nextCursor!: string | null;
}
