import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ERROR_BODY_SCHEMA } from '../../auth/api-key.guard';

/** Every error answer, as api/error.filter.ts sends it. */
@ApiSchema({ name: ERROR_BODY_SCHEMA })
export class ErrorBodyDto {
  @ApiProperty({ type: 'integer', example: 404, description: 'the HTTP status again' })
  statusCode!: number;

  @ApiProperty({ example: 'Not Found', description: "the status's reason phrase" })
  error!: string;

  @ApiProperty({
    example: 'saga 0b6f8f9e-3c1a-4a57-9d59-2f1f0c2b7e11 does not exist',
    description: 'what is wrong and where, for a person',
  })
  message!: string;

  @ApiPropertyOptional({
    example: 'SAGA_NOT_FOUND',
    description:
      "the stable code of Skald's own 4xx errors (not of input validation), for programs",
  })
  code?: string;
}
