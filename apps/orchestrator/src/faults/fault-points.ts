// Named places in the orchestrator where a crash test can stop the process. Production code only
// announces them; what happens there is the hook's business (a no-op unless a test installs one,
// see @skald/testing's crash device). No test-only condition lives here: each point passes what
// it just did, and a test decides from that whether its window is open.
import type { OutboxRecord, SagaRecord } from '@skald/persistence';
import type { Outcome, TransactionState, TwoPhasePhase } from '@skald/two-phase';

/** Each fault point, with what it passes to the hook. */
export interface OrchestratorFaultPoints {
  /** A saga's transition committed: its commands are in the outbox or being sent by the handoff. */
  'saga:committed': SagaRecord;
  /** Replies were applied to these sagas (none: every reply was a duplicate or stale); not committed yet. */
  'saga:replies-written': readonly SagaRecord[];
  /** An engine transaction committed with commands leased to the handoff; none sent yet. */
  'handoff:leased': readonly OutboxRecord[];
  /** Kafka acknowledged a batch of commands; their outbox rows are not deleted yet. */
  'outbox:published': undefined;
  /** The housekeeping lease is held; its fenced write has not started. */
  'housekeeping:lease-held': undefined;
  /** A bulk job's action on one saga committed, its item ended with it; the next not started. */
  'bulk:acted': { jobId: string; sagaId: string };
  /** A 2PC transaction and its prepares committed; the relay has not been woken yet. */
  'twopc:created': undefined;
  /** A reply to a 2PC message, with its transaction locked as it was before it: not recorded yet. */
  'twopc:reply-locked': { phase: TwoPhasePhase; transaction: TransactionState };
  /** A 2PC event's outcome (state and the messages it queued) committed. */
  'twopc:committed': Outcome;
}

export type OrchestratorFaultPoint = keyof OrchestratorFaultPoints;

/** The hook the orchestrator calls at each fault point: a point without context takes none. */
export interface OrchestratorFaults {
  at<P extends OrchestratorFaultPoint>(
    point: P,
    ...context: OrchestratorFaultPoints[P] extends undefined ? [] : [OrchestratorFaultPoints[P]]
  ): void;
}

/** The stock hook: nothing happens at any fault point. */
export const NO_FAULTS: OrchestratorFaults = { at: () => undefined };

/** Nest token of the OrchestratorFaults in use (SkaldModuleOptions.faults, else NO_FAULTS). */
export const ORCHESTRATOR_FAULTS = Symbol('ORCHESTRATOR_FAULTS');
