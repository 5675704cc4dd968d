import type { ApiPropertyOptions } from '@nestjs/swagger';

const JSON_OBJECT = { type: 'object', additionalProperties: true } as const;
const OTHER_JSON_TYPES = [
  { type: 'array', items: {} },
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
] as const;

/**
 * OpenAPI 3.0 for "any JSON value, null too". The empty schema means that, but @ApiProperty
 * always adds a type (Object for `unknown`, which generators read as an empty object).
 */
export const ANY_JSON_VALUE = {
  oneOf: [{ ...JSON_OBJECT, nullable: true }, ...OTHER_JSON_TYPES],
} satisfies ApiPropertyOptions;

/** Any JSON value but null (what @IsDefined lets through). */
export const NON_NULL_JSON_VALUE = {
  oneOf: [JSON_OBJECT, ...OTHER_JSON_TYPES],
} satisfies ApiPropertyOptions;
