import type { DataSource } from 'typeorm';
import { decodeCursor, pageOf, type Page } from './keyset-page';
import {
  IN_FLIGHT_SQL,
  PARTICIPANT_COLUMNS,
  toParticipantRecord,
  type ManualBreaker,
  type ParticipantWithWork,
} from './participant-flow';
import { sagaFilterSql, type SagaFilter } from './saga-filter';
import {
  SAGA_COLUMNS,
  sagaRecordsFromRows,
  type SagaHistoryRecord,
  type SagaRecord,
} from './saga-records';

/** A participant as the operator sees it: its flow-control row, in-flight and queued commands. */
export interface ParticipantOverview extends ParticipantWithWork {
  /** Commands waiting in the outbox. */
  queued: number;
  /** How an operator last set its breaker by hand, if ever. */
  manual: ManualBreaker | null;
}

/** A command of a saga still waiting in the outbox. */
export interface WaitingCommand {
  step: string;
  participant: string;
  attempt: number;
}

/** What the orchestrator's state gauges show, read at scrape time (SagaQueries.stateReadings). */
export interface StateReadings {
  /** Sagas in each status asked for; a status with none is absent. */
  sagasByStatus: Record<string, number>;
  /** Epoch ms when the oldest saga in the `oldestOf` status started; null when there is none. */
  oldestSince: number | null;
  /** Outbox rows not yet published. */
  outboxBacklog: number;
  /** Epoch ms when the oldest of them was queued; null when the outbox is empty. */
  outboxOldestSince: number | null;
}

/** The console overview's counts (SagaQueries.overviewCounts). */
export interface SagaCounts {
  /** Counted: sagas by status and type. */
  exact: { status: string; type: string; count: number }[];
  /** Estimated from the planner's statistics: sagas by status, for the statuses that only grow. */
  estimated: { status: string; count: number }[];
}

export interface SagaListFilter extends SagaFilter {
  limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

/** What a filter matches: how many sagas, and the newest of them. */
export interface FilterSample {
  count: number;
  sample: Pick<SagaRecord, 'id' | 'type' | 'status'>[];
}

/** The REST API's reads: one saga, its history, and keyset-paged lists (newest first). */
export class SagaQueries {
  constructor(private readonly dataSource: DataSource) {}

  async findSaga(id: string): Promise<SagaRecord | undefined> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE id = $1`,
      [id],
    );
    return sagaRecordsFromRows(rows)[0];
  }

  async history(sagaId: string): Promise<SagaHistoryRecord[]> {
    const rows: (Omit<SagaHistoryRecord, 'seq' | 'at'> & { seq: string; at: Date })[] =
      await this.dataSource.query(
        `SELECT id AS seq, type, step, details, at FROM skald.saga_history
         WHERE saga_id = $1 ORDER BY id`,
        [sagaId],
      );
    return rows.map((row) => ({ ...row, seq: Number(row.seq), at: row.at.getTime() }));
  }

  async list(filter: SagaListFilter): Promise<Page<SagaRecord>> {
    const after = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    const matching = sagaFilterSql(filter, 4);
    const rows: unknown[] = await this.dataSource.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance
       WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2::uuid)) AND ${matching.where}
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [after?.createdAt ?? null, after?.id ?? null, filter.limit + 1, ...matching.parameters],
    );
    return pageOf(sagaRecordsFromRows(rows), filter.limit);
  }

  /** How many sagas `filter` matches, and the newest `sampleSize` of them (one statement). */
  async sample(filter: SagaFilter, sampleSize: number): Promise<FilterSample> {
    const matching = sagaFilterSql(filter, 2);
    const rows: (FilterSample['sample'][number] & { count: number })[] =
      await this.dataSource.query(
        `SELECT m.id, m.type, m.status, c.count FROM
           (SELECT count(*)::int AS count FROM skald.saga_instance WHERE ${matching.where}) c
         LEFT JOIN LATERAL (SELECT id, type, status FROM skald.saga_instance WHERE ${matching.where}
                            ORDER BY created_at DESC, id DESC LIMIT $1) m ON true`,
        [sampleSize, ...matching.parameters],
      );
    return {
      count: rows[0]?.count ?? 0,
      sample: rows
        .filter((row) => row.id !== null)
        .map(({ id, type, status }) => ({ id, type, status })),
    };
  }

  async participants(): Promise<ParticipantOverview[]> {
    const rows = await this.dataSource.query(
      `SELECT ${PARTICIPANT_COLUMNS}, ${IN_FLIGHT_SQL} AS "inFlight",
              (SELECT count(*)::int FROM skald.outbox o WHERE o.participant = p.name) AS queued,
              CASE WHEN p.manual_state IS NOT NULL THEN json_build_object(
                'state', p.manual_state, 'reason', p.manual_reason, 'actor', p.manual_actor,
                'at', (extract(epoch FROM p.manual_at) * 1000)::float8) END AS manual
       FROM skald.participant p ORDER BY p.name`,
    );
    return (rows as Parameters<typeof toParticipantRecord>[0][]).map(
      (r) => toParticipantRecord(r) as ParticipantOverview,
    );
  }

  /**
   * The state gauges, in one statement whose cost follows the work outstanding, never the
   * history: the counts and the oldest saga read only the entries of `statuses` in the
   * (status, created_at DESC, id DESC) index saga_instance_status_newest (so never ask for a
   * status that only grows, like completed), and the outbox holds only rows not yet published.
   */
  async stateReadings(query: {
    statuses: readonly string[];
    oldestOf: string;
  }): Promise<StateReadings> {
    const ms = (value: string) => `(extract(epoch FROM ${value}) * 1000)::float8`;
    const rows: StateReadings[] = await this.dataSource.query(
      `SELECT
         (SELECT coalesce(json_object_agg(status, n), '{}'::json) FROM (
            SELECT status, count(*)::int AS n FROM skald.saga_instance
            WHERE status = ANY($1::text[]) GROUP BY status) s) AS "sagasByStatus",
         (SELECT ${ms('created_at')} FROM skald.saga_instance
          WHERE status = $2 ORDER BY created_at LIMIT 1) AS "oldestSince",
         o.backlog AS "outboxBacklog", ${ms('o.oldest')} AS "outboxOldestSince"
       FROM (SELECT count(*)::int AS backlog, min(created_at) AS oldest FROM skald.outbox) o`,
      [query.statuses, query.oldestOf],
    );
    return rows[0];
  }

  /**
   * How many sagas are in each status (by type where exact), for the console's overview, at a
   * cost that follows the work outstanding rather than the history: on a table of `exactBelow`
   * rows or more, the `estimate` statuses (those that only grow, like completed) are the
   * planner's statistics scaled to the table's current size, and only the others are counted,
   * through the status index. A smaller table, or one never analyzed, is counted exactly.
   */
  async overviewCounts(query: {
    statuses: readonly string[];
    estimate: readonly string[];
    exactBelow: number;
  }): Promise<SagaCounts> {
    // the planner's own arithmetic: rows per page at the last ANALYZE times the pages there are now
    const rows = `(c.reltuples / greatest(c.relpages, 1) * (pg_relation_size(c.oid) / current_setting('block_size')::int))`;
    const [stats]: { total: number; byStatus: Record<string, number> }[] =
      await this.dataSource.query(
        `SELECT round(${rows})::float8 AS total,
           (SELECT coalesce(json_object_agg(m.status, round(m.freq * ${rows})), '{}'::json)
            FROM pg_stats s, unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS m(status, freq)
            WHERE s.schemaname = 'skald' AND s.tablename = 'saga_instance' AND s.attname = 'status'
              AND m.status = ANY($1::text[])) AS "byStatus"
         FROM pg_class c WHERE c.oid = 'skald.saga_instance'::regclass AND c.reltuples >= 0`,
        [query.estimate],
      );
    const estimated =
      stats && stats.total >= query.exactBelow
        ? query.estimate
            .filter((status) => stats.byStatus[status] !== undefined)
            .map((status) => ({ status, count: stats.byStatus[status] }))
        : [];
    const exactStatuses = query.statuses.filter((s) => !estimated.some((e) => e.status === s));
    const exact: SagaCounts['exact'] = await this.dataSource.query(
      `SELECT status, type, count(*)::int AS count FROM skald.saga_instance
       WHERE status = ANY($1::text[]) GROUP BY status, type ORDER BY status, type`,
      [exactStatuses],
    );
    return { exact, estimated };
  }

  /** The `limit` oldest sagas in `status`, oldest first (the status index read backwards). */
  async oldest(status: string, limit: number): Promise<SagaRecord[]> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT ${SAGA_COLUMNS} FROM skald.saga_instance WHERE status = $1
       ORDER BY created_at, id LIMIT $2`,
      [status, limit],
    );
    return sagaRecordsFromRows(rows);
  }

  waitingCommands(sagaId: string): Promise<WaitingCommand[]> {
    return this.dataSource.query(
      `SELECT e.step, o.participant, o.attempt FROM skald.outbox o
       JOIN skald.step_execution e ON e.command_id = o.command_id
       WHERE o.saga_id = $1 ORDER BY o.id`,
      [sagaId],
    );
  }
}
