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
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor, RequiresScope } from '../auth/api-key.guard';
import { SagaEngine } from '../engine/saga-engine.service';
import {
  CancelSagaDto,
  ListSagasQueryDto,
  SkipCompensationDto,
  StartSagaDto,
} from './dto/saga.dto';
import { ApiIdempotentCreate, idempotencyKey } from './idempotency-key';
import { SagaViews } from './saga-views';

const SagaId = () =>
  new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') });

@ApiTags('sagas')
@Controller('v1/sagas')
export class SagasController {
  constructor(
    private readonly engine: SagaEngine,
    private readonly views: SagaViews,
  ) {}

  @Post()
  @RequiresScope('start')
  @ApiOperation({ summary: 'Start a saga' })
  @ApiIdempotentCreate('started', 'already started with this idempotency key and request')
  async start(
    @Body() body: StartSagaDto,
    @Headers('idempotency-key') header: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { saga, created } = await this.engine.start({
      type: body.type,
      input: body.input,
      idempotencyKey: idempotencyKey(body, header),
    });
    res.status(created ? 201 : 200);
    // a new saga is answered from what was just written: no read-back on the hot path
    return created ? this.views.written(saga) : this.views.saga(saga.id);
  }

  @Get()
  @RequiresScope('read')
  @ApiOperation({ summary: 'List sagas, newest first, with cursor paging' })
  list(@Query() query: ListSagasQueryDto) {
    return this.views.list({ ...query, limit: query.limit ?? 50 });
  }

  @Get(':id')
  @RequiresScope('read')
  @ApiOperation({ summary: 'Inspect a saga' })
  get(@Param('id', SagaId()) id: string) {
    return this.views.saga(id);
  }

  @Get(':id/history')
  @RequiresScope('read')
  @ApiOperation({ summary: 'Every transition of a saga, in order' })
  history(@Param('id', SagaId()) id: string) {
    return this.views.history(id);
  }

  @Post(':id/cancel')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Stop forward progress and compensate (409 when terminal or past the pivot)',
  })
  async cancel(
    @Param('id', SagaId()) id: string,
    @Body() body: CancelSagaDto,
    @Actor() actor: string,
  ) {
    await this.engine.act(id, { kind: 'cancel', reason: body.reason, actor });
    return this.views.saga(id);
  }

  @Post(':id/retry')
  @RequiresScope('operate')
  @HttpCode(202)
  @ApiOperation({ summary: "Resume a failed saga's compensation (409 unless failed)" })
  async retry(@Param('id', SagaId()) id: string, @Actor() actor: string) {
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
  async skipCompensation(
    @Param('id', SagaId()) id: string,
    @Param('step') step: string,
    @Body() body: SkipCompensationDto,
    @Actor() actor: string,
  ) {
    await this.engine.act(id, { kind: 'skip-compensation', step, reason: body.reason, actor });
    return this.views.saga(id);
  }
}
