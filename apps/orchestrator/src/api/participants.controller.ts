import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, RequiresScope } from '../auth/api-key.guard';
import { SagaPausing } from '../engine/saga-pausing.service';
import { ManualBreakers } from './manual-breakers';
import { ParticipantDto, ParticipantListDto, SetBreakerDto } from './dto/participant.dto';
import { PauseSagaDto, SagaCountDto } from './dto/pause.dto';
import { ApiErrorResponses, BODY_ERRORS, ERROR_CASES } from './error-responses';
import { SagaViews } from './saga-views';

@ApiTags('participants')
@Controller('v1/participants')
export class ParticipantsController {
  constructor(
    private readonly views: SagaViews,
    private readonly breakers: ManualBreakers,
    private readonly pausing: SagaPausing,
  ) {}

  @Get()
  @RequiresScope('read')
  @ApiOperation({
    summary:
      'Participants commands were sent to: circuit breaker (closed, open, half-open), commands in flight and waiting, and `held` when the broker refuses its topic',
  })
  @ApiOkResponse({ type: ParticipantListDto })
  @ApiErrorResponses(ERROR_CASES.databaseUnavailable)
  list(): Promise<ParticipantListDto> {
    return this.views.participants();
  }

  @Post(':name/breaker')
  @RequiresScope('operate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Operator: open or close a participant's circuit breaker by hand, with a reason; opened by hand, it stays open until closed by hand",
  })
  @ApiOkResponse({ type: ParticipantDto, description: 'the participant as it is now' })
  @ApiErrorResponses(
    ...BODY_ERRORS,
    ERROR_CASES.participantUnknown,
    ERROR_CASES.databaseUnavailable,
  )
  async setBreaker(
    @Param('name') name: string,
    @Body() body: SetBreakerDto,
    @Actor() actor: string,
  ): Promise<ParticipantDto> {
    await this.breakers.set(name, { state: body.state, reason: body.reason, actor });
    const participant = (await this.views.participants()).items.find((p) => p.name === name);
    // the row was just written; only a concurrent schema reset could lose it
    if (!participant) throw new NotFoundException(`participant "${name}" has no row`);
    return participant;
  }

  @Post(':name/pause-sagas')
  @RequiresScope('operate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Pause every running saga waiting on this participant (a command of theirs to it is out, retried or asked about), each as POST /v1/sagas/:id/pause does',
  })
  @ApiOkResponse({ type: SagaCountDto, description: 'how many sagas were paused' })
  @ApiErrorResponses(...BODY_ERRORS, ERROR_CASES.databaseUnavailable)
  async pauseSagas(
    @Param('name') name: string,
    @Body() body: PauseSagaDto,
    @Actor() actor: string,
  ): Promise<SagaCountDto> {
    return { count: await this.pausing.pauseSagasOf(name, body.reason, actor) };
  }

  @Post(':name/resume-sagas')
  @RequiresScope('operate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Resume every paused saga whose latest pause names this participant (paused on it, or a step of its exhausted), each as POST /v1/sagas/:id/resume does',
  })
  @ApiOkResponse({ type: SagaCountDto, description: 'how many sagas were resumed' })
  @ApiErrorResponses(ERROR_CASES.databaseUnavailable)
  async resumeSagas(@Param('name') name: string, @Actor() actor: string): Promise<SagaCountDto> {
    return { count: await this.pausing.resumeSagasOf(name, actor) };
  }
}
