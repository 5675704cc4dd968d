import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, RequiresScope } from '../auth/api-key.guard';
import { ManualBreakers } from './manual-breakers';
import { ParticipantDto, ParticipantListDto, SetBreakerDto } from './dto/participant.dto';
import { ApiErrorResponses, BODY_ERRORS, ERROR_CASES } from './error-responses';
import { SagaViews } from './saga-views';

@ApiTags('participants')
@Controller('v1/participants')
export class ParticipantsController {
  constructor(
    private readonly views: SagaViews,
    private readonly breakers: ManualBreakers,
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
}
