import type { DataSource } from 'typeorm';
import { SagaHistoryEntity, SagaInstanceEntity } from './entities';
import { decodeCursor, pageOf, type Page } from './keyset-page';
import {
  IN_FLIGHT_SQL,
  PARTICIPANT_COLUMNS,
  toParticipantRecord,
  type ParticipantWithWork,
} from './participant-flow';

/** A participant as the operator sees it: its flow-control row, in-flight and queued commands. */
export interface ParticipantOverview extends ParticipantWithWork {
  /** Commands waiting in the outbox. */
  queued: number;
}

/** A command of a saga still waiting in the outbox. */
export interface WaitingCommand {
  step: string;
  participant: string;
  attempt: number;
}

export interface SagaListFilter {
  type?: string;
  status?: string;
  limit: number;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
}

/** The REST API's reads: one saga, its history, and keyset-paged lists (newest first). */
export class SagaQueries {
  constructor(private readonly dataSource: DataSource) {}

  findSaga(id: string): Promise<SagaInstanceEntity | null> {
    return this.dataSource.getRepository(SagaInstanceEntity).findOneBy({ id });
  }

  history(sagaId: string): Promise<SagaHistoryEntity[]> {
    return this.dataSource
      .getRepository(SagaHistoryEntity)
      .createQueryBuilder('h')
      .where('h.sagaId = :sagaId', { sagaId })
      .orderBy('h.id', 'ASC')
      .getMany();
  }

  async list(filter: SagaListFilter): Promise<Page<SagaInstanceEntity>> {
    const query = this.dataSource
      .getRepository(SagaInstanceEntity)
      .createQueryBuilder('s')
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .limit(filter.limit + 1);
    if (filter.type) query.andWhere('s.type = :type', { type: filter.type });
    if (filter.status) query.andWhere('s.status = :status', { status: filter.status });
    if (filter.cursor) {
      const after = decodeCursor(filter.cursor);
      query.andWhere('(s.createdAt, s.id) < (:createdAt, :id)', after);
    }
    return pageOf(await query.getMany(), filter.limit);
  }

  async participants(): Promise<ParticipantOverview[]> {
    const rows = await this.dataSource.query(
      `SELECT ${PARTICIPANT_COLUMNS}, ${IN_FLIGHT_SQL} AS "inFlight",
              (SELECT count(*)::int FROM skald.outbox o WHERE o.participant = p.name) AS queued
       FROM skald.participant p ORDER BY p.name`,
    );
    return (rows as Parameters<typeof toParticipantRecord>[0][]).map(
      (r) => toParticipantRecord(r) as ParticipantOverview,
    );
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
