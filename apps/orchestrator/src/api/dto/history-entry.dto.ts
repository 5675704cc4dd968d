import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { HistoryEntry } from '@skald/saga';

/** Every type of history entry: a Record, so a type added to HistoryEntry must be listed here. */
const HISTORY_TYPES: Record<HistoryEntry['type'], true> = {
  'saga-started': true,
  'status-changed': true,
  'step-started': true,
  'step-skipped': true,
  'command-sent': true,
  'reply-applied': true,
  'retry-scheduled': true,
  'step-timed-out': true,
  'step-fenced': true,
  'fence-found-effect': true,
  'outcome-resolved': true,
  'step-succeeded': true,
  'step-failed': true,
  'compensation-started': true,
  'compensation-succeeded': true,
  'compensation-failed': true,
  'compensation-skipped': true,
  'cancel-requested': true,
  'deadline-passed': true,
  paused: true,
  resumed: true,
};

@ApiSchema({ name: 'HistoryEntry', description: 'One transition of a saga, in the order written' })
export class HistoryEntryDto {
  @ApiProperty({ type: 'integer', example: 7, description: 'increases along the history' })
  seq!: number;

  @ApiProperty({ enum: Object.keys(HISTORY_TYPES), example: 'retry-scheduled' })
  type!: string;

  @ApiPropertyOptional({ example: 'reserve-car' })
  step?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { attempt: 2, delayMs: 50 },
    description: "what happened, by type (e.g. an operator action's actor)",
  })
  details?: Record<string, unknown>;

  @ApiProperty({ format: 'date-time', example: '2026-12-02T05:54:01.163Z' })
  at!: string;
}
