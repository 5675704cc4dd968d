import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../auth/api-key.guard';
import { SagaDefinitions } from '../registry/saga-definitions';

@ApiTags('sagas')
@Controller('v1/saga-types')
export class SagaTypesController {
  constructor(private readonly definitions: SagaDefinitions) {}

  @Get()
  @RequiresScope('read')
  @ApiOperation({ summary: 'Registered saga definitions, every version, with their steps' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['type', 'name', 'version', 'steps', 'stages'],
            properties: {
              type: { type: 'string', example: 'book-trip', description: 'the saga type' },
              name: { type: 'string', example: 'book-trip', description: 'the same as type' },
              version: { type: 'integer', example: 1 },
              description: { type: 'string' },
              deadlineMs: { type: 'integer' },
              inputSchema: {
                type: 'object',
                additionalProperties: true,
                description:
                  'JSON Schema (draft 2020-12) a new saga of this version must match; absent: any JSON object',
              },
              steps: {
                type: 'array',
                items: { type: 'string' },
                description: 'every step name in order, parallel members included',
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
