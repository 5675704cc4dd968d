// The reads and writes of the deploy-time definition check (#18): counts of the sagas not
// finished, grouped so that the check never loads every saga, and the marking of orphans.
import type { DataSource } from 'typeorm';

/**
 * Which sagas and steps the check looks at: the saga statuses that still need their definition
 * (`status = ANY(...)` is served by the status index) and the step statuses that need the step's.
 */
export interface CheckScope {
  sagaStatuses: readonly string[];
  stepStatuses: readonly string[];
}

/** Unfinished sagas of one (type, version) started on one definition shape. */
export interface UnfinishedGroup {
  type: string;
  version: number;
  /** Null for sagas started before definition hashes were stored. */
  definitionHash: string | null;
  sagas: number;
}

/** Unfinished sagas of one (type, version) with a step in a status that needs the step's definition. */
export interface StepInUse {
  type: string;
  version: number;
  step: string;
  sagas: number;
}

/** A registered definition as the check's SQL compares it. */
export interface RegisteredShape {
  type: string;
  version: number;
  definitionHash: string;
  steps: string[];
}

type Counted<T> = Omit<T, 'sagas'> & { sagas: string };
const counted = <T>(rows: Counted<T>[]) => rows.map((r) => ({ ...r, sagas: Number(r.sagas) }));

export class DefinitionCheckStore {
  constructor(private readonly dataSource: DataSource) {}

  /** False while the schema lacks what the check reads (SKALD_MIGRATIONS_RUN=false, not migrated yet). */
  async schemaReady(): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM information_schema.columns
       WHERE table_schema = 'skald' AND table_name = 'saga_instance' AND column_name = 'definition_hash'`,
    );
    return rows.length > 0;
  }

  async unfinishedGroups({ sagaStatuses }: CheckScope): Promise<UnfinishedGroup[]> {
    const rows: Counted<UnfinishedGroup>[] = await this.dataSource.query(
      `SELECT type, version, definition_hash AS "definitionHash", count(*) AS sagas
       FROM skald.saga_instance WHERE status = ANY($1::text[])
       GROUP BY type, version, definition_hash ORDER BY type, version`,
      [sagaStatuses],
    );
    return counted(rows) as UnfinishedGroup[];
  }

  /** Steps unfinished sagas are in (or went through and may compensate). */
  async stepsInUse({ sagaStatuses, stepStatuses }: CheckScope): Promise<StepInUse[]> {
    const rows: Counted<StepInUse>[] = await this.dataSource.query(
      `SELECT s.type, s.version, st.key AS step, count(*) AS sagas
       FROM skald.saga_instance s CROSS JOIN LATERAL jsonb_each(s.steps) AS st
       WHERE s.status = ANY($1::text[]) AND st.value->>'status' = ANY($2::text[])
       GROUP BY s.type, s.version, st.key ORDER BY s.type, s.version, st.key`,
      [sagaStatuses, stepStatuses],
    );
    return counted(rows) as StepInUse[];
  }

  /**
   * Unfinished sagas with at least one problem against `registered`: version missing, another
   * shape, or a step in use that the version no longer has. Each saga counted once.
   */
  async affectedSagas(
    { sagaStatuses, stepStatuses }: CheckScope,
    registered: readonly RegisteredShape[],
  ): Promise<number> {
    const [row]: { sagas: string }[] = await this.dataSource.query(
      `WITH registered AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS r(type text, version int, "definitionHash" text, steps text[])
       )
       SELECT count(*) AS sagas
       FROM skald.saga_instance s LEFT JOIN registered r ON r.type = s.type AND r.version = s.version
       WHERE s.status = ANY($2::text[])
         AND (r.type IS NULL
           OR s.definition_hash <> r."definitionHash"
           OR EXISTS (SELECT 1 FROM jsonb_each(s.steps) AS st
                      WHERE st.value->>'status' = ANY($3::text[]) AND NOT st.key = ANY(r.steps)))`,
      [JSON.stringify(registered), sagaStatuses, stepStatuses],
    );
    return Number(row.sagas);
  }

  /**
   * Sets `wait_reason = 'definition-missing'` on unfinished sagas whose (type, version) is not in
   * `registered` and that wait on nothing else, and clears it where the definition is registered
   * again. Returns how many it marked and cleared.
   */
  async markOrphans(
    { sagaStatuses }: CheckScope,
    registered: readonly Pick<RegisteredShape, 'type' | 'version'>[],
  ): Promise<{ marked: number; cleared: number }> {
    const versions = JSON.stringify(registered.map(({ type, version }) => ({ type, version })));
    const isRegistered = `EXISTS (SELECT 1 FROM jsonb_to_recordset($1::jsonb) AS r(type text, version int)
                                  WHERE r.type = s.type AND r.version = s.version)`;
    const marked: [unknown[], number] = await this.dataSource.query(
      `UPDATE skald.saga_instance s SET wait_reason = 'definition-missing', updated_at = now()
       WHERE s.status = ANY($2::text[]) AND s.wait_reason IS NULL AND NOT ${isRegistered}`,
      [versions, sagaStatuses],
    );
    const cleared: [unknown[], number] = await this.dataSource.query(
      `UPDATE skald.saga_instance s SET wait_reason = NULL, updated_at = now()
       WHERE s.wait_reason = 'definition-missing' AND ${isRegistered}`,
      [versions],
    );
    return { marked: marked[1], cleared: cleared[1] };
  }
}
