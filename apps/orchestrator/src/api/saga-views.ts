import { Injectable } from '@nestjs/common';
import { SagaQueries, type SagaListFilter } from '@skald/persistence';
import { SagaNotFoundError } from '../engine/errors';
import { SagaDefinitions } from '../registry/saga-definitions';
import { historyResource, sagaResource } from './saga-resource';

/** Reads for the REST API, shaped as DESIGN.md §4 resources. */
@Injectable()
export class SagaViews {
  constructor(
    private readonly queries: SagaQueries,
    private readonly definitions: SagaDefinitions,
  ) {}

  private definitionOf(type: string, version: number) {
    try {
      return this.definitions.get(type, version);
    } catch {
      return undefined; // still inspectable when its definition is no longer registered
    }
  }

  async saga(id: string) {
    const saga = await this.queries.findSaga(id);
    if (!saga) throw new SagaNotFoundError(id);
    return sagaResource(saga, this.definitionOf(saga.type, saga.version));
  }

  async history(id: string) {
    const [saga, entries] = await Promise.all([
      this.queries.findSaga(id),
      this.queries.history(id),
    ]);
    if (!saga) throw new SagaNotFoundError(id);
    return historyResource(entries);
  }

  async list(filter: SagaListFilter) {
    const page = await this.queries.list(filter);
    return {
      items: page.items.map((s) => sagaResource(s, this.definitionOf(s.type, s.version))),
      nextCursor: page.nextCursor,
    };
  }
}
