import type { SagaDecision } from './types';

/**
 * Two decisions taken one after the other, as one: the later state, and the commands, timers and
 * history of both in order. `next` must have been decided from `first.state`.
 */
export function followedBy(first: SagaDecision, next: SagaDecision): SagaDecision {
  return {
    state: next.state,
    commands: [...first.commands, ...next.commands],
    timers: [...first.timers, ...next.timers],
    history: [...first.history, ...next.history],
  };
}
