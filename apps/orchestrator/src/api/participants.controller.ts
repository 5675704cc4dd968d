import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SagaViews } from './saga-views';

@ApiTags('participants')
@Controller('v1/participants')
export class ParticipantsController {
  constructor(private readonly views: SagaViews) {}

  @Get()
  @ApiOperation({
    summary:
      'Participants commands were sent to: circuit breaker (closed, open, half-open), commands in flight and waiting, and `held` when the broker refuses its topic',
  })
  list() {
    return this.views.participants();
  }
}
