import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SagaDefinitions } from '../registry/saga-definitions';

@ApiTags('sagas')
@Controller('v1/saga-types')
export class SagaTypesController {
  constructor(private readonly definitions: SagaDefinitions) {}

  @Get()
  @ApiOperation({ summary: 'Registered saga definitions, every version, with their steps' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'version', 'stages'],
            properties: {
              name: { type: 'string', example: 'book-trip' },
              version: { type: 'integer', example: 1 },
              description: { type: 'string' },
              deadlineMs: { type: 'integer' },
              inputSchema: {
                type: 'object',
                additionalProperties: true,
                description:
                  'JSON Schema (draft 2020-12) a new saga of this version must match; absent: any JSON object',
              },
              stages: { type: 'array', items: { type: 'object', additionalProperties: true } },
            },
          },
        },
      },
    },
  })
  list() {
    return { items: this.definitions.list().map((d) => d.describe()) };
  }
}
