import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../auth/api-key.guard';
import { DefinitionCheck } from '../definitions/definition-check.service';
import { DefinitionCheckDto } from './dto/definition-check.dto';
import { ApiErrorResponses, ERROR_CASES } from './error-responses';

@ApiTags('sagas')
@Controller('v1/definitions')
export class DefinitionsController {
  constructor(private readonly check: DefinitionCheck) {}

  @Get('check')
  @RequiresScope('read')
  @ApiOperation({
    summary:
      'Would the registered definitions break sagas that are not finished? Versions no longer registered, steps changed without a version bump, steps that no longer exist',
  })
  @ApiOkResponse({ type: DefinitionCheckDto })
  @ApiErrorResponses(ERROR_CASES.databaseUnavailable)
  definitionsCheck(): Promise<DefinitionCheckDto> {
    return this.check.run();
  }
}
