import type { SagaHistoryRecord, SagaRecord } from '@skald/persistence';
import type { SagaDefinition } from '@skald/saga';

/** A step's command that waits in the outbox, and why. */
export interface StepWaiting {
  participant: string;
  reason: string;
}

/** The saga resource of docs/rest-api.md (Sagas); `waiting` adds why a step's command has not been sent yet. */
export function sagaResource(
  saga: SagaRecord,
  definition: SagaDefinition | undefined,
  waiting: ReadonlyMap<string, StepWaiting> = new Map(),
) {
  // without its definition (no longer registered) the order is approximated by start time
  const names =
    definition?.stepNames() ??
    Object.keys(saga.steps).sort(
      (a, b) =>
        (saga.steps[a].startedAt ?? Infinity) - (saga.steps[b].startedAt ?? Infinity) ||
        a.localeCompare(b),
    );
  const iso = (ms?: number | null) => (ms == null ? undefined : new Date(ms).toISOString());
  return {
    id: saga.id,
    type: saga.type,
    version: saga.version,
    status: saga.status,
    input: saga.input,
    data: saga.data,
    error: saga.error ?? undefined,
    waitReason: saga.waitReason ?? undefined,
    steps: names.map((name) => {
      const step = saga.steps[name];
      return {
        name,
        status: step.status,
        attempts: step.attempts,
        // present once an operator retried the step: its attempts count within this run
        run: step.run,
        compensationAttempts: step.compensationAttempts,
        startedAt: iso(step.startedAt),
        endedAt: iso(step.endedAt),
        error: step.error,
        skipReason: step.skipReason,
        waiting: waiting.get(name),
      };
    }),
    createdAt: new Date(saga.createdAt).toISOString(),
    updatedAt: new Date(saga.updatedAt).toISOString(),
    endedAt: iso(saga.endedAt),
  };
}

export function historyResource(entries: SagaHistoryRecord[]) {
  return entries.map((e) => ({
    seq: e.seq,
    type: e.type,
    step: e.step ?? undefined,
    details: e.details ?? undefined,
    at: new Date(e.at).toISOString(),
  }));
}
