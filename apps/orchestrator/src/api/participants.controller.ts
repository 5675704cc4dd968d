import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../auth/api-key.guard';
import { ParticipantListDto } from './dto/participant.dto';
import { ApiErrorResponses, ERROR_CASES } from './error-responses';
import { SagaViews } from './saga-views';

@ApiTags('participants')
@Controller('v1/participants')
export class ParticipantsController {
  constructor(private readonly views: SagaViews) {}

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
}
