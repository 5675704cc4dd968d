// What a batch of replies decides, computed without I/O from what the engine's transaction read:
// which replies are fresh, the execution row each answers, and the locked sagas. Replies are
// applied in arrival order; several replies to one saga make one decision (followedBy).
import type { ExecutionRecord, SagaRecord } from '@skald/persistence';
import type { ReplyEnvelope } from '@skald/protocol';
import {
  decide,
  followedBy,
  type DecideContext,
  type HistoryEntry,
  type SagaDecision,
  type SagaDefinition,
} from '@skald/saga';
import type { ParticipantOutcome } from '../resilience/participant-breakers.service';
import { sagaStateOf } from './saga-records';

/** What became of a consumed reply. Only `applied` changed a saga. */
export type ReplyResult =
  | 'applied'
  | 'fence-acknowledged'
  | 'duplicate'
  | 'stale'
  | 'unknown-correlation'
  | 'saga-mismatch'
  /** Not applied: unsigned, and its command's participant must sign (the consumer parks it). */
  | 'unsigned';

/** True for a reply that lacks the signature its command's participant must give. */
export type UnsignedRefusal = (reply: ReplyEnvelope, participant: string) => boolean;

/** What the transaction read for a batch of replies, and which unsigned ones to refuse. */
export interface ReplyBatchInput {
  /** Message ids of the replies seen for the first time (the inbox recorded them just now). */
  fresh: ReadonlySet<string>;
  /** The execution row of each command answered, by command id. */
  executions: ReadonlyMap<string, ExecutionRecord>;
  /** The sagas the replies correlate to (same command, same saga id), locked, by id. */
  locked: ReadonlyMap<string, SagaRecord>;
  definitionOf: (saga: SagaRecord) => SagaDefinition;
  refuseUnsigned?: UnsignedRefusal;
}

/** A saga touched by the batch: its locked row, and what its replies decided. */
export interface DecidedSaga {
  stored: SagaRecord;
  definition: SagaDefinition;
  decision: SagaDecision;
}

export interface ReplyBatch {
  /** Each reply's result, in order. */
  results: ReplyResult[];
  decided: DecidedSaga[];
  /** The answers to store on their execution rows (a reply that correlates, even if stale). */
  answers: { commandId: string; outcome: string; reply: unknown }[];
  /** Each answer's participant outcome, for its circuit breaker. */
  outcomes: ParticipantOutcome[];
  /** Steps that had an applied reply: their step timeouts are done. */
  answeredSteps: { sagaId: string; step: string }[];
  /** The commands of the applied replies and their outcomes (for the step duration metric). */
  appliedAnswers: { command: ExecutionRecord; outcome: ReplyEnvelope['outcome'] }[];
  /** History not decided by decide(): fences that found a step had run. */
  history: (HistoryEntry & { sagaId: string })[];
  /** One line per reply that changed nothing, to log, with the saga and step it is about. */
  warnings: { saga: SagaRecord; step: string; message: string }[];
}

/** Ids are compared in lower case: a participant may echo a UUID in upper case. */
const normal = (id: string) => id.toLowerCase();

/** Applies each reply in arrival order: dedupe, correlation to the awaited command, decide. */
export function applyReplies(
  replies: readonly ReplyEnvelope[],
  input: ReplyBatchInput,
  ctx: DecideContext,
): ReplyBatch {
  const fresh = new Set(input.fresh);
  const touched = new Map<
    string,
    { stored: SagaRecord; definition: SagaDefinition; decision?: SagaDecision }
  >();
  const batch: ReplyBatch = {
    results: [],
    decided: [],
    answers: [],
    outcomes: [],
    answeredSteps: [],
    appliedAnswers: [],
    history: [],
    warnings: [],
  };
  for (const reply of replies) {
    if (!fresh.delete(normal(reply.id))) {
      batch.results.push('duplicate');
      continue;
    }
    const execution = input.executions.get(normal(reply.correlationId));
    if (!execution) {
      batch.results.push('unknown-correlation');
      continue;
    }
    if (execution.sagaId !== normal(reply.sagaId)) {
      batch.results.push('saga-mismatch');
      continue;
    }
    const { sagaId, step, phase, participant, commandId } = execution;
    if (input.refuseUnsigned?.(reply, participant)) {
      batch.results.push('unsigned');
      continue;
    }
    batch.answers.push({ commandId, outcome: reply.outcome, reply: reply.data });
    batch.outcomes.push({
      participant,
      healthy: reply.outcome !== 'error',
      operation: { sagaId, step, phase },
    });
    const stored = input.locked.get(sagaId)!;
    const saga = touched.get(sagaId) ?? { stored, definition: input.definitionOf(stored) };
    touched.set(sagaId, saga);
    const decision = decide(
      saga.definition,
      saga.decision?.state ?? sagaStateOf(stored),
      { kind: 'reply', step, phase, commandId, outcome: reply.outcome, data: reply.data },
      ctx,
    );
    if (decision.ignored && phase === 'fence') {
      // a fence nothing waits for: it only matters if the step ran before the fence arrived
      if ((reply.data as { executed?: unknown } | null)?.executed === true) {
        batch.history.push({
          sagaId,
          type: 'fence-found-effect',
          step,
          details: { participant },
        });
        batch.warnings.push({
          saga: stored,
          step,
          message: `saga ${sagaId}: step ${step} was given up on without a compensation, but participant ${participant} had run it; its effect remains`,
        });
      }
      batch.results.push('fence-acknowledged');
      continue;
    }
    if (decision.ignored) {
      batch.warnings.push({
        saga: stored,
        step,
        message: `reply ${reply.id} to command ${reply.correlationId} of saga ${reply.sagaId} ignored: ${decision.ignored}`,
      });
      batch.results.push('stale');
      continue;
    }
    batch.answeredSteps.push({ sagaId, step });
    batch.appliedAnswers.push({ command: execution, outcome: reply.outcome });
    saga.decision = saga.decision ? followedBy(saga.decision, decision) : decision;
    batch.results.push('applied');
  }
  batch.decided = [...touched.values()].flatMap(({ stored, definition, decision }) =>
    decision ? [{ stored, definition, decision }] : [],
  );
  return batch;
}
