import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiTraceParent } from './trace-parent';
import type { Response } from 'express';
import { Actor, RequiresScope } from '../auth/api-key.guard';
import { TwoPhaseCoordinator } from '../two-phase/two-phase-coordinator.service';
import {
  BeginTransactionDto,
  ListTransactionsQueryDto,
  ResolveTransactionDto,
} from './dto/transaction.dto';
import { TransactionDto, TransactionPageDto } from './dto/transaction-resource.dto';
import { transactionResource } from './transaction-resource';
import { ApiErrorResponses, BODY_ERRORS, ERROR_CASES } from './error-responses';
import { ApiIdempotentCreate, idempotencyKey } from './idempotency-key';

const TransactionId = () =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

@ApiTags('transactions')
@Controller('v1/transactions')
export class TransactionsController {
  constructor(private readonly coordinator: TwoPhaseCoordinator) {}

  @Post()
  @RequiresScope('start')
  @ApiOperation({ summary: 'Start a two-phase-commit transaction: prepare every participant' })
  @ApiIdempotentCreate(
    TransactionDto,
    'created; prepares are on their way',
    'already created with this idempotency key and request',
  )
  @ApiTraceParent('transaction')
  @ApiErrorResponses(...BODY_ERRORS, ERROR_CASES.databaseUnavailable)
  async begin(
    @Body() body: BeginTransactionDto,
    @Headers('idempotency-key') header: string | undefined,
    @Headers('traceparent') traceParent: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TransactionDto> {
    const { id, created } = await this.coordinator.begin({
      participants: body.participants.map((p) => ({
        participant: p.participant,
        command: p.command,
        payload: p.payload,
      })),
      timeoutMs: body.timeoutMs,
      idempotencyKey: idempotencyKey(body, header),
      traceParent,
    });
    res.status(created ? 201 : 200);
    return transactionResource(await this.coordinator.get(id));
  }

  @Get()
  @RequiresScope('read')
  @ApiOperation({ summary: 'List transactions, newest first, with cursor paging' })
  @ApiOkResponse({ type: TransactionPageDto })
  @ApiErrorResponses(
    ERROR_CASES.invalidQuery,
    ERROR_CASES.invalidCursor,
    ERROR_CASES.databaseUnavailable,
  )
  async list(@Query() query: ListTransactionsQueryDto): Promise<TransactionPageDto> {
    const page = await this.coordinator.list({ ...query, limit: query.limit ?? 50 });
    return { items: page.items.map(transactionResource), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @RequiresScope('read')
  @ApiOperation({
    summary:
      'Inspect: preparing, committing, committed, aborting, aborted or unacknowledged, with each vote and acknowledgement',
  })
  @ApiOkResponse({ type: TransactionDto })
  @ApiErrorResponses(
    ERROR_CASES.idNotUuid,
    ERROR_CASES.transactionUnknown,
    ERROR_CASES.databaseUnavailable,
  )
  async get(@Param('id', TransactionId()) id: string): Promise<TransactionDto> {
    return transactionResource(await this.coordinator.get(id));
  }

  @Post(':id/resolve')
  @RequiresScope('operate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Operator: resolve a transaction by hand with a reason — end a decided one (committing, aborting, unacknowledged) with its own decision, or abort one still preparing',
  })
  @ApiOkResponse({
    type: TransactionDto,
    description: 'resolved; the transaction with its resolution',
  })
  @ApiErrorResponses(
    ...BODY_ERRORS,
    ERROR_CASES.idNotUuid,
    ERROR_CASES.transactionUnknown,
    ERROR_CASES.transactionStateForbids,
    ERROR_CASES.databaseUnavailable,
  )
  async resolve(
    @Param('id', TransactionId()) id: string,
    @Body() body: ResolveTransactionDto,
    @Actor() actor: string,
  ): Promise<TransactionDto> {
    await this.coordinator.resolve(id, { outcome: body.outcome, reason: body.reason, actor });
    return transactionResource(await this.coordinator.get(id));
  }
}
