// Pausing sagas, one or all those waiting on one participant. Each action on many sagas is a loop
// over the one-saga action (SagaEngine.act, its own transaction per saga), so every saga is
// paused or resumed exactly as the single-saga endpoints do it, and recorded with its actor.
import { Injectable } from '@nestjs/common';
import { SagaStore, type SagaRecord } from '@skald/persistence';
import { IllegalTransitionError } from '@skald/saga';
import { DefinitionMissingError } from '../registry/errors';
import { SagaEngine } from './saga-engine.service';

/** Sagas read per page while acting on a participant's sagas. */
const PAGE = 100;

@Injectable()
export class SagaPausing {
  constructor(
    private readonly engine: SagaEngine,
    private readonly store: SagaStore,
  ) {}

  /** Pauses a running saga; IllegalTransitionError (409) when it is not running. */
  pause(sagaId: string, reason: string, actor?: string): Promise<SagaRecord> {
    return this.engine.act(sagaId, { kind: 'pause', reason, actor });
  }

  /**
   * Resumes a paused saga: its paused steps run again from attempt 1. IllegalTransitionError (409)
   * unless it is paused. The one "resume" that the API, the participant action and bulk jobs call.
   */
  resume(sagaId: string, actor?: string): Promise<SagaRecord> {
    return this.engine.act(sagaId, { kind: 'unpause', actor });
  }

  /** Skips a paused step its definition marks skippable, and resumes the saga. */
  skipStep(sagaId: string, step: string, reason: string, actor?: string): Promise<SagaRecord> {
    return this.engine.act(sagaId, { kind: 'skip-step', step, reason, actor });
  }

  /** Pauses every running saga waiting on `participant`; answers how many it paused. */
  pauseSagasOf(participant: string, reason: string, actor?: string): Promise<number> {
    return this.forEach(
      (after) => this.store.sagasWaitingOn(participant, after, PAGE),
      (id) => this.engine.act(id, { kind: 'pause', reason, actor, participant }),
    );
  }

  /** Resumes every saga whose latest pause names `participant`; answers how many it resumed. */
  resumeSagasOf(participant: string, actor?: string): Promise<number> {
    return this.forEach(
      (after) => this.store.sagasPausedOn(participant, after, PAGE),
      (id) => this.resume(id, actor),
    );
  }

  /**
   * Acts on each saga of the pages in turn. One that moved on meanwhile, or whose definition is
   * not registered here, is left out of the count.
   */
  private async forEach(
    page: (afterId: string | null) => Promise<string[]>,
    act: (sagaId: string) => Promise<unknown>,
  ): Promise<number> {
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const ids = await page(after);
      for (const id of ids) {
        try {
          await act(id);
          count++;
        } catch (error) {
          const skipped =
            error instanceof IllegalTransitionError || error instanceof DefinitionMissingError;
          if (!skipped) throw error;
        }
      }
      if (ids.length < PAGE) return count;
      after = ids[ids.length - 1];
    }
  }
}
