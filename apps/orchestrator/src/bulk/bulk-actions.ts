// What a bulk job does to one saga: the very call the single-saga endpoints make
// (POST /v1/sagas/:id/cancel and /retry → SagaEngine.act), with the job's actor and id for the
// saga's history, and the job's item ended in the same transaction.
import type { OperatorAudit } from '@skald/saga';
import type { ActOptions, SagaEngine } from '../engine/saga-engine.service';

export const BULK_ACTIONS = ['cancel', 'retry', 'resume'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export interface BulkActionRequest {
  sagaId: string;
  reason?: string;
  audit: OperatorAudit;
  /** Ends the job's item in the action's transaction; false: it was ended already, do nothing. */
  within: NonNullable<ActOptions['within']>;
}

/** Acts on one saga; throws what the single-saga endpoint would answer as a 4xx. */
export async function actOnSaga(
  engine: SagaEngine,
  action: BulkAction,
  request: BulkActionRequest,
): Promise<void> {
  const { sagaId, reason, audit, within } = request;
  switch (action) {
    case 'cancel':
      await engine.act(sagaId, { kind: 'cancel', reason, ...audit }, { within });
      return;
    case 'retry':
      await engine.act(sagaId, { kind: 'resume', ...audit }, { within });
      return;
    case 'resume':
      // as POST /v1/sagas/:id/resume (SagaPausing.resume): a paused saga's steps run again
      await engine.act(sagaId, { kind: 'unpause', ...audit }, { within });
      return;
  }
}
