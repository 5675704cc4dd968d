import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { TwoPhaseView } from '@skald/persistence';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';
import { BeginTransactionDto } from './dto/transaction.dto';
import { idempotencyKey } from './idempotency-key';

const TransactionId = () =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

/** The transaction resource of DESIGN.md §4. */
function transactionResource(tx: TwoPhaseView) {
  return {
    id: tx.id,
    status: tx.status,
    decision: tx.decision ?? undefined,
    reason: tx.reason ?? undefined,
    timeoutMs: tx.timeoutMs,
    participants: tx.participants.map((p) => ({
      participant: p.participant,
      command: p.command,
      payload: p.payload,
      vote: p.vote ?? undefined,
      acknowledged: p.acknowledged,
      error: p.error ?? undefined,
    })),
    createdAt: tx.createdAt.toISOString(),
    updatedAt: tx.updatedAt.toISOString(),
    prepareDeadlineAt: new Date(tx.prepareDeadlineAt).toISOString(),
    decidedAt: tx.decidedAt?.toISOString(),
    endedAt: tx.endedAt?.toISOString(),
  };
}

@ApiTags('transactions')
@Controller('v1/transactions')
export class TransactionsController {
  constructor(private readonly coordinator: TwoPhaseCoordinator) {}

  @Post()
  @ApiOperation({ summary: 'Start a two-phase-commit transaction: prepare every participant' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiResponse({ status: 201, description: 'created; prepares are on their way' })
  @ApiResponse({
    status: 200,
    description: 'already created with this idempotency key and request',
  })
  @ApiResponse({ status: 409, description: 'idempotency key used for a different request' })
  async begin(
    @Body() body: BeginTransactionDto,
    @Headers('idempotency-key') header: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { id, created } = await this.coordinator.begin({
      participants: body.participants.map((p) => ({
        participant: p.participant,
        command: p.command,
        payload: p.payload,
      })),
      timeoutMs: body.timeoutMs,
      idempotencyKey: idempotencyKey(body, header),
    });
    res.status(created ? 201 : 200);
    return transactionResource(await this.coordinator.get(id));
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'Inspect: preparing, committing, committed, aborting or aborted, with each vote (404: never decided, presume abort)',
  })
  async get(@Param('id', TransactionId()) id: string) {
    return transactionResource(await this.coordinator.get(id));
  }
}
