// GET /v1/definitions/check for the OpenAPI document: the report of definitions/definition-report.ts.
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import {
  DEFINITION_PROBLEM_KINDS,
  type DefinitionCheckReport,
  type DefinitionProblem,
  type DefinitionProblemKind,
} from '../../definitions/definition-report';

@ApiSchema({
  name: 'DefinitionProblem',
  description:
    'Unfinished sagas of one type and version that the registered definitions would break',
})
export class DefinitionProblemDto implements DefinitionProblem {
  @ApiProperty({
    enum: Object.values(DEFINITION_PROBLEM_KINDS),
    example: 'missing-version',
    description:
      '`missing-version`: the version is not registered; `changed-shape`: its steps changed without a version bump; `missing-step`: a step the sagas are in (or may compensate) no longer exists',
  })
  kind!: DefinitionProblemKind;

  @ApiProperty({ example: 'book-trip' })
  type!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  version!: number;

  @ApiPropertyOptional({ example: 'reserve-hotel', description: 'for `missing-step`' })
  step?: string;

  @ApiProperty({ type: 'integer', example: 12, description: 'unfinished sagas concerned' })
  sagas!: number;

  @ApiProperty({
    example:
      '12 unfinished sagas: book-trip v1 is not registered: register it again next to the newer version until its sagas finish',
    description: 'what is wrong and what to do',
  })
  message!: string;
}

@ApiSchema({
  name: 'DefinitionCheck',
  description: 'The registered definitions compared with the sagas not finished',
})
export class DefinitionCheckDto implements DefinitionCheckReport {
  @ApiProperty({ example: false, description: 'true when no unfinished saga would break' })
  ok!: boolean;

  @ApiProperty({
    type: 'integer',
    example: 240,
    description:
      'sagas not completed or compensated (`failed` ones included: a retry resumes them)',
  })
  unfinishedSagas!: number;

  @ApiProperty({
    type: 'integer',
    example: 12,
    description: 'unfinished sagas with at least one problem, each counted once',
  })
  affectedSagas!: number;

  @ApiProperty({ type: [DefinitionProblemDto] })
  problems!: DefinitionProblemDto[];
}
