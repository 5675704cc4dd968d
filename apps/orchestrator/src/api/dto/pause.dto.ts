// Bodies and answers of the pause actions: POST /v1/sagas/:id/pause, …/steps/:step/skip and
// POST /v1/participants/:name/pause-sagas | resume-sagas.
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class PauseSagaDto {
  @ApiProperty({
    example: 'hotels is being migrated, ticket OPS-51',
    description: "why, recorded in each saga's history with the actor",
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}

export class SkipStepDto {
  @ApiProperty({
    example: 'room booked by phone, ticket OPS-52',
    description: "why the step is not needed, recorded in the saga's history",
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason!: string;
}

@ApiSchema({
  name: 'SagaCount',
  description: 'How many sagas an action on a participant paused or resumed',
})
export class SagaCountDto {
  @ApiProperty({ type: 'integer', example: 12 })
  count!: number;
}
