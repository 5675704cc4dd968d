// The one definition of "which sagas": the fields of GET /v1/sagas' filter as SQL, shared by the
// list and by bulk jobs (which count, sample and snapshot what the same filter matches).

/** Which sagas: every field given must match (absent: any). */
export interface SagaFilter {
  type?: string;
  status?: string;
  /** Started before / at or after these times (ISO 8601). */
  createdBefore?: string;
  createdAfter?: string;
  /** The code of the saga's last error. */
  errorCode?: string;
  /** Why it waits on an operator (`paused`, `definition-missing`). */
  waitReason?: string;
}

/**
 * The filter as a condition on skald.saga_instance, its parameters numbered from `$<first>`;
 * append `parameters` to the statement's own, in order.
 */
export function sagaFilterSql(
  filter: SagaFilter,
  first: number,
): { where: string; parameters: unknown[] } {
  const n = (i: number) => `$${first + i}`;
  return {
    where: `(${n(0)}::text IS NULL OR type = ${n(0)}) AND (${n(1)}::text IS NULL OR status = ${n(1)})
       AND (${n(2)}::timestamptz IS NULL OR created_at < ${n(2)})
       AND (${n(3)}::timestamptz IS NULL OR created_at >= ${n(3)})
       AND (${n(4)}::text IS NULL OR error->>'code' = ${n(4)})
       AND (${n(5)}::text IS NULL OR wait_reason = ${n(5)})`,
    parameters: [
      filter.type ?? null,
      filter.status ?? null,
      filter.createdBefore ?? null,
      filter.createdAfter ?? null,
      filter.errorCode ?? null,
      filter.waitReason ?? null,
    ],
  };
}

/** Only the filter's own fields, without absent ones (what a bulk job stores and shows). */
export function sagaFilterOf(filter: SagaFilter): SagaFilter {
  const fields: (keyof SagaFilter)[] = [
    'type',
    'status',
    'createdBefore',
    'createdAfter',
    'errorCode',
    'waitReason',
  ];
  return Object.fromEntries(
    fields.filter((field) => filter[field] !== undefined).map((field) => [field, filter[field]]),
  );
}
