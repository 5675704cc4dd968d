import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** A nextCursor as the lists answer it (opaque to clients), for the document's examples. */
export const EXAMPLE_CURSOR =
  'WyIyMDI2LTEyLTAyVDA1OjU0OjAxLjEwMVoiLCIwYjZmOGY5ZS0zYzFhLTRhNTctOWQ1OS0yZjFmMGMyYjdlMTEiXQ';

/** Cursor paging, the same for every list: `limit` items, then `cursor` = the last page's `nextCursor`. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50, example: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page', example: EXAMPLE_CURSOR })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}
