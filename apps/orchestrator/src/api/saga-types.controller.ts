import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SagaDefinitions } from '../registry/saga-definitions';

@ApiTags('sagas')
@Controller('v1/saga-types')
export class SagaTypesController {
  constructor(private readonly definitions: SagaDefinitions) {}

  @Get()
  @ApiOperation({ summary: 'Registered saga definitions, every version, with their steps' })
  list() {
    return { items: this.definitions.list().map((d) => d.describe()) };
  }
}
