// The reads and writes of the deploy-time definition check (#18): counts of the sagas not
// finished, grouped so that the check never loads every saga, and the marking of orphans.
import type { DataSource } from 'typeorm';

/** Statuses of the sagas that still need their definition (a `failed` saga can be retried). */
const FINISHED = `('completed', 'compensated')`;

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

  async unfinishedGroups(): Promise<UnfinishedGroup[]> {
    const rows: (Omit<UnfinishedGroup, 'sagas'> & { sagas: string })[] =
      await this.dataSource.query(
        `SELECT type, version, definition_hash AS "definitionHash", count(*) AS sagas
       FROM skald.saga_instance WHERE status NOT IN ${FINISHED}
       GROUP BY type, version, definition_hash ORDER BY type, version`,
      );
    return rows.map((r) => ({ ...r, sagas: Number(r.sagas) }));
  }

  /** Steps unfinished sagas are in (or went through and may compensate), by `stepStatuses`. */
  async stepsInUse(stepStatuses: readonly string[]): Promise<StepInUse[]> {
    const rows: (Omit<StepInUse, 'sagas'> & { sagas: string })[] = await this.dataSource.query(
      `SELECT s.type, s.version, st.key AS step, count(*) AS sagas
       FROM skald.saga_instance s CROSS JOIN LATERAL jsonb_each(s.steps) AS st
       WHERE s.status NOT IN ${FINISHED} AND st.value->>'status' = ANY($1::text[])
       GROUP BY s.type, s.version, st.key ORDER BY s.type, s.version, st.key`,
      [stepStatuses],
    );
    return rows.map((r) => ({ ...r, sagas: Number(r.sagas) }));
  }

  /**
   * Unfinished sagas with at least one problem against `registered`: version missing, another
   * shape, or a step in use that the version no longer has. Each saga counted once.
   */
  async affectedSagas(
    registered: readonly RegisteredShape[],
    stepStatuses: readonly string[],
  ): Promise<number> {
    const [row]: { sagas: string }[] = await this.dataSource.query(
      `WITH registered AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS r(type text, version int, "definitionHash" text, steps text[])
       )
       SELECT count(*) AS sagas
       FROM skald.saga_instance s LEFT JOIN registered r ON r.type = s.type AND r.version = s.version
       WHERE s.status NOT IN ${FINISHED}
         AND (r.type IS NULL
           OR s.definition_hash <> r."definitionHash"
           OR EXISTS (SELECT 1 FROM jsonb_each(s.steps) AS st
                      WHERE st.value->>'status' = ANY($2::text[]) AND NOT st.key = ANY(r.steps)))`,
      [JSON.stringify(registered), stepStatuses],
    );
    return Number(row.sagas);
  }

  /**
   * Sets `wait_reason = 'definition-missing'` on unfinished sagas whose (type, version) is not in
   * `registered` and that wait on nothing else, and clears it where the definition is registered
   * again. Returns how many it marked and cleared.
   */
  async markOrphans(
    registered: readonly Pick<RegisteredShape, 'type' | 'version'>[],
  ): Promise<{ marked: number; cleared: number }> {
    const versions = JSON.stringify(registered.map(({ type, version }) => ({ type, version })));
    const isRegistered = `EXISTS (SELECT 1 FROM jsonb_to_recordset($1::jsonb) AS r(type text, version int)
                                  WHERE r.type = s.type AND r.version = s.version)`;
    const marked: [unknown[], number] = await this.dataSource.query(
      `UPDATE skald.saga_instance s SET wait_reason = 'definition-missing', updated_at = now()
       WHERE s.status NOT IN ${FINISHED} AND s.wait_reason IS NULL AND NOT ${isRegistered}`,
      [versions],
    );
    const cleared: [unknown[], number] = await this.dataSource.query(
      `UPDATE skald.saga_instance s SET wait_reason = NULL, updated_at = now()
       WHERE s.wait_reason = 'definition-missing' AND ${isRegistered}`,
      [versions],
    );
    return { marked: marked[1], cleared: cleared[1] };
  }
}
