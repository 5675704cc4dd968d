import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../auth/api-key.guard';
import { SagaDefinitions } from '../registry/saga-definitions';
import { SagaTypeListDto } from './dto/saga-type.dto';

@ApiTags('sagas')
@Controller('v1/saga-types')
export class SagaTypesController {
  constructor(private readonly definitions: SagaDefinitions) {}

  @Get()
  @RequiresScope('read')
  @ApiOperation({ summary: 'Registered saga definitions, every version, with their steps' })
  @ApiOkResponse({ type: SagaTypeListDto })
  list(): SagaTypeListDto {
    return { items: this.definitions.list().map((d) => d.describe()) };
  }
}
