// Console input checked by the REST API's own DTOs, so both refuse the same things with the same
// messages; a refusal is a 400 page naming each problem.
import { BadRequestException } from '@nestjs/common';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { isUUID, validateSync } from 'class-validator';
import { isStorableInJsonb } from '@skald/protocol';
import { ListSagasQueryDto } from '../api/dto/saga.dto';
import type { SagaListParams } from './views/saga-list';

/** Problems of `plain` as `dto` sees them (the API's ValidationPipe options: unknown fields refused). */
export function problemsOf<T extends object>(
  dto: ClassConstructor<T>,
  plain: object,
): { value: T; problems: string[] } {
  const value = plainToInstance(dto, plain);
  const problems = validateSync(value, { whitelist: true, forbidNonWhitelisted: true }).flatMap(
    (e) => Object.values(e.constraints ?? {}),
  );
  for (const [field, text] of Object.entries(plain))
    if (typeof text === 'string' && !isStorableInJsonb(text))
      problems.push(
        `${field} has a character PostgreSQL cannot store (U+0000 or a lone surrogate)`,
      );
  return { value, problems };
}

/** `plain` as `dto`, or a 400 naming every problem. */
export function validated<T extends object>(dto: ClassConstructor<T>, plain: object): T {
  const { value, problems } = problemsOf(dto, plain);
  if (problems.length > 0) throw new BadRequestException(problems.join('; '));
  return value;
}

export function assertUuid(id: string, what: string): void {
  if (!isUUID(id))
    throw new BadRequestException(
      `${what} id must be a UUID (got ${JSON.stringify(id.slice(0, 80))})`,
    );
}

/** `age` of the saga list (e.g. 15m, 2h, 1d) as the createdBefore it means, or a problem. */
export function createdBeforeOf(age: string, now = Date.now()): string | { problem: string } {
  const match = /^(\d{1,6})([mhd])$/.exec(age);
  if (!match)
    return {
      problem: `age must be a number of minutes, hours or days such as 15m, 2h or 1d (got ${JSON.stringify(age.slice(0, 40))})`,
    };
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
  return new Date(now - Number(match[1]) * unit).toISOString();
}

/**
 * The saga list's URL parameters as the REST list's query (`age` becomes `createdBefore`, as of
 * now), with every problem named; a bulk action takes the same filter.
 */
export function sagaListQuery(params: SagaListParams): {
  value: ListSagasQueryDto;
  problems: string[];
} {
  const { age, ...rest } = params;
  const createdBefore = age === undefined ? undefined : createdBeforeOf(age);
  const { value, problems } = problemsOf(ListSagasQueryDto, {
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    ...(typeof createdBefore === 'string' ? { createdBefore } : {}),
  });
  if (typeof createdBefore === 'object') problems.push(createdBefore.problem);
  return { value, problems };
}
