/**
 * Saga definitions for Skald: a typed builder, the pure `decide()` the engine runs every
 * transition through, and an in-memory scenario driver to test a saga without Kafka or a database.
 * No NestJS, no I/O, no clocks.
 *
 * @example
 * import { command, defineSaga, sagaScenario } from '@skald/saga';
 *
 * const order = defineSaga('order', { version: 1 })
 *   .input<{ customer: string; total: number }>()
 *   .step('create-order', {
 *     invoke: (s) => command('orders', 'create', s.input),
 *     compensate: () => command('orders', 'reject', {}),
 *   })
 *   .step('reserve-credit', { invoke: (s) => command('customers', 'reserve-credit', s.input) })
 *   .build();
 *
 * sagaScenario(order, { input: { customer: 'c1', total: 10 } })
 *   .expectCommand('orders', 'create').reply('success')
 *   .expectCommand('customers', 'reserve-credit').reply('failure', { code: 'NO_CREDIT', message: 'limit' })
 *   .expectCommand('orders', 'reject').reply('success')
 *   .expectStatus('compensated');
 */
export { decide, initialState } from './decide';
export { followedBy } from './followed-by';
export {
  command,
  defineSaga,
  EXHAUSTED_POLICIES,
  isSagaDefinition,
  ParallelGroup,
  SagaBuilder,
  type CommandSpec,
  type CompiledStep,
  type ExhaustedPolicy,
  type JsonSchema,
  type SagaDefinition,
  type SagaDescription,
  type SagaOptions,
  type SagaView,
  type Stage,
  type StepOptions,
} from './define-saga';
export {
  DefinitionMismatchError,
  IllegalTransitionError,
  SAGA_ERROR_CODES,
  SagaDefinitionError,
} from './errors';
/** @deprecated Import `isRetryable` from `@skald/protocol`: one retry decision for all of Skald. */
export { isRetryable } from '@skald/protocol';
export { participantsOf } from './participants';
export { SagaRegistry } from './registry';
export { VALID_SAGA_TRANSITIONS } from './run';
export {
  backoffDelayMs,
  compileRetryPolicy,
  COMPENSATION_RETRY_DEFAULTS,
  FORWARD_RETRY_DEFAULTS,
  type CompiledRetryPolicy,
  type RetryPolicyOptions,
} from './retry-policy';
export { sagaScenario, SagaScenario, type ScenarioOptions } from './scenario';
export {
  SAGA_STATUS,
  SAGA_WAIT_REASONS,
  STEP_STATUS,
  TERMINAL_SAGA_STATUSES,
  type DecideContext,
  type Decision,
  type HistoryEntry,
  type OperatorAudit,
  type OutgoingCommand,
  type RecordedError,
  type ReplyOutcome,
  type SagaDecision,
  type SagaEvent,
  type SagaPhase,
  type SagaState,
  type SagaStatus,
  type SagaWaitReason,
  type StepState,
  type StepStatus,
  type TimerRequest,
} from './types';
