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
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, RequiresScope } from '../auth/api-key.guard';
import { SagaEngine } from '../engine/saga-engine.service';
import { SagaPausing } from '../engine/saga-pausing.service';
import { PauseSagaDto, SkipStepDto } from './dto/pause.dto';
import {
  CancelSagaDto,
  ListSagasQueryDto,
  SkipCompensationDto,
  StartSagaDto,
} from './dto/saga.dto';
import { HistoryEntryDto } from './dto/history-entry.dto';
import { SagaDto, SagaPageDto } from './dto/saga-resource.dto';
import { ApiErrorResponses, BODY_ERRORS, ERROR_CASES } from './error-responses';
import { ApiIdempotentCreate, idempotencyKey } from './idempotency-key';
import { ApiTraceParent } from './trace-parent';
import { SagaViews } from './saga-views';

const SagaId = () =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

/** What every route on one saga can answer: a bad id, no such saga, the database down. */
const ONE_SAGA_ERRORS = [
  ERROR_CASES.idNotUuid,
  ERROR_CASES.sagaNotFound,
  ERROR_CASES.databaseUnavailable,
];
/** What an operator action can also answer: its state forbids it, or its definition is gone. */
const ACTION_ERRORS = [
  ...ONE_SAGA_ERRORS,
  ERROR_CASES.sagaStateForbids,
  ERROR_CASES.definitionMissing,
];

@ApiTags('sagas')
@Controller('v1/sagas')
export class SagasController {
  constructor(
    private readonly engine: SagaEngine,
    private readonly pausing: SagaPausing,
    private readonly views: SagaViews,
  ) {}

  @Post()
  @RequiresScope('start')
  @ApiOperation({ summary: 'Start a saga' })
  @ApiIdempotentCreate(SagaDto, 'started', 'already started with this idempotency key and request')
  @ApiTraceParent('saga')
  @ApiErrorResponses(
    ...BODY_ERRORS,
    ERROR_CASES.unknownSagaType,
    ERROR_CASES.invalidSagaInput,
    ERROR_CASES.databaseUnavailable,
  )
  async start(
    @Body() body: StartSagaDto,
    @Headers('idempotency-key') header: string | undefined,
    @Headers('traceparent') traceParent: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SagaDto> {
    const { saga, created } = await this.engine.start({
      type: body.type,
      input: body.input,
      idempotencyKey: idempotencyKey(body, header),
      traceParent,
    });
    res.status(created ? 201 : 200);
    // a new saga is answered from what was just written: no read-back on the hot path
    return created ? this.views.resourceOf(saga) : this.views.saga(saga.id);
  }

  @Get()
  @RequiresScope('read')
  @ApiOperation({ summary: 'List sagas, newest first, with cursor paging' })
  @ApiOkResponse({ type: SagaPageDto })
  @ApiErrorResponses(
    ERROR_CASES.invalidQuery,
    ERROR_CASES.invalidCursor,
    ERROR_CASES.databaseUnavailable,
  )
  list(@Query() query: ListSagasQueryDto): Promise<SagaPageDto> {
    return this.views.list({ ...query, limit: query.limit ?? 50 });
  }

  @Get(':id')
  @RequiresScope('read')
  @ApiOperation({ summary: 'Inspect a saga' })
  @ApiOkResponse({ type: SagaDto })
  @ApiErrorResponses(...ONE_SAGA_ERRORS)
  get(@Param('id', SagaId()) id: string): Promise<SagaDto> {
    return this.views.saga(id);
  }

  @Get(':id/history')
  @RequiresScope('read')
  @ApiOperation({ summary: 'Every transition of a saga, in order' })
  @ApiOkResponse({ type: [HistoryEntryDto] })
  @ApiErrorResponses(...ONE_SAGA_ERRORS)
  history(@Param('id', SagaId()) id: string): Promise<HistoryEntryDto[]> {
    return this.views.history(id);
  }

  @Post(':id/cancel')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Stop forward progress and compensate, running or paused (409 when terminal or past the pivot)',
  })
  @ApiAcceptedResponse({ type: SagaDto, description: 'cancel requested; the saga as it is now' })
  @ApiErrorResponses(...BODY_ERRORS, ...ACTION_ERRORS)
  async cancel(
    @Param('id', SagaId()) id: string,
    @Body() body: CancelSagaDto,
    @Actor() actor: string,
  ): Promise<SagaDto> {
    await this.engine.act(id, { kind: 'cancel', reason: body.reason, actor });
    return this.views.saga(id);
  }

  @Post(':id/retry')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({ summary: "Resume a failed saga's compensation (409 unless failed)" })
  @ApiAcceptedResponse({ type: SagaDto, description: 'resumed; the saga as it is now' })
  @ApiErrorResponses(...ACTION_ERRORS)
  async retry(@Param('id', SagaId()) id: string, @Actor() actor: string): Promise<SagaDto> {
    await this.engine.act(id, { kind: 'resume', actor });
    return this.views.saga(id);
  }

  @Post(':id/steps/:step/skip-compensation')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Operator: treat a failed compensation as done, with a reason (recorded in the history)',
  })
  @ApiAcceptedResponse({ type: SagaDto, description: 'skipped; the saga as it is now' })
  @ApiErrorResponses(...BODY_ERRORS, ...ACTION_ERRORS)
  async skipCompensation(
    @Param('id', SagaId()) id: string,
    @Param('step') step: string,
    @Body() body: SkipCompensationDto,
    @Actor() actor: string,
  ): Promise<SagaDto> {
    await this.engine.act(id, { kind: 'skip-compensation', step, reason: body.reason, actor });
    return this.views.saga(id);
  }

  @Post(':id/pause')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Hold a running saga where it is: replies still apply to their steps, it moves on once resumed (409 unless running)',
  })
  @ApiAcceptedResponse({ type: SagaDto, description: 'paused; the saga as it is now' })
  @ApiErrorResponses(...BODY_ERRORS, ...ACTION_ERRORS)
  async pause(
    @Param('id', SagaId()) id: string,
    @Body() body: PauseSagaDto,
    @Actor() actor: string,
  ): Promise<SagaDto> {
    await this.pausing.pause(id, body.reason, actor);
    return this.views.saga(id);
  }

  @Post(':id/resume')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Resume a paused saga: its paused step runs again from attempt 1 (409 unless paused)',
  })
  @ApiAcceptedResponse({ type: SagaDto, description: 'resumed; the saga as it is now' })
  @ApiErrorResponses(...ACTION_ERRORS)
  async resume(@Param('id', SagaId()) id: string, @Actor() actor: string): Promise<SagaDto> {
    await this.pausing.resume(id, actor);
    return this.views.saga(id);
  }

  @Post(':id/steps/:step/skip')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Skip a paused step whose definition sets skippable, with a reason, and resume the saga (409 otherwise)',
  })
  @ApiAcceptedResponse({ type: SagaDto, description: 'skipped and resumed; the saga as it is now' })
  @ApiErrorResponses(...BODY_ERRORS, ...ACTION_ERRORS)
  async skipStep(
    @Param('id', SagaId()) id: string,
    @Param('step') step: string,
    @Body() body: SkipStepDto,
    @Actor() actor: string,
  ): Promise<SagaDto> {
    await this.pausing.skipStep(id, step, body.reason, actor);
    return this.views.saga(id);
  }
}
