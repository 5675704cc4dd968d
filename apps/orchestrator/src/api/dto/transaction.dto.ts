import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PHASES, type TwoPhaseDecision } from '@skald/protocol';
import { TRANSACTION_STATUS } from '@skald/two-phase';
import { PageQueryDto } from './page-query.dto';
import { NON_NULL_JSON_VALUE } from './json-value';

/** The outcomes of a transaction: a decision, or an operator's resolution. */
export const DECISIONS: TwoPhaseDecision[] = [PHASES.commit, PHASES.abort];

export class TransactionParticipantDto {
  @ApiProperty({ example: 'bank-a', description: 'Consumes <prefix>.commands.<participant>' })
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, {
    message: 'participant must be 1-100 letters, digits, ".", "_" or "-"',
  })
  participant!: string;

  @ApiProperty({
    example: 'debit',
    description: 'The command its onPrepare/onCommit/onAbort handle',
  })
  @IsString()
  @Length(1, 100)
  command!: string;

  @ApiProperty({ ...NON_NULL_JSON_VALUE, example: { account: 'alice', amount: 10 } })
  @IsDefined({ message: 'payload is required (any JSON value; null is allowed)' })
  payload!: unknown;
}

export class BeginTransactionDto {
  @ApiProperty({ type: [TransactionParticipantDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => TransactionParticipantDto)
  participants!: TransactionParticipantDto[];

  @ApiPropertyOptional({
    description:
      'Prepare timeout: no decision by then → abort. Default SKALD_TWO_PHASE_TIMEOUT_MS (30 s).',
    type: 'integer',
    example: 30_000,
    minimum: 100,
    maximum: 3_600_000,
  })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  timeoutMs?: number;

  @ApiPropertyOptional({
    example: 'transfer-42',
    description:
      'Same key + same request → the same transaction (200); same key, other request → 409. Or use the Idempotency-Key header.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  idempotencyKey?: string;
}

export class ListTransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: Object.values(TRANSACTION_STATUS),
    example: TRANSACTION_STATUS.unacknowledged,
  })
  @IsOptional()
  @IsIn(Object.values(TRANSACTION_STATUS))
  status?: string;
}

export class ResolveTransactionDto {
  @ApiProperty({
    enum: DECISIONS,
    example: PHASES.abort,
    description:
      "The transaction's own decision (committing, aborting, unacknowledged → committed / aborted), or abort for one still preparing",
  })
  @IsIn(DECISIONS)
  outcome!: TwoPhaseDecision;

  @ApiProperty({ example: 'bank-b applied the abort by hand, ticket OPS-42' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}
