// The crash points of the orchestrator: each names a window, placed on one of the orchestrator's
// fault points; the conditions that narrow a window live here, not in the production classes.
import { crashDevice, type CrashWindow } from '@skald/testing';
import type {
  OrchestratorFaultPoint,
  OrchestratorFaultPoints,
  OrchestratorFaults,
} from '../../src';

/** A window at fault point `point`, narrowed by `when` (typed by what that point passes). */
const at = <P extends OrchestratorFaultPoint>(
  point: P,
  when?: (context: OrchestratorFaultPoints[P]) => boolean,
): CrashWindow<P, OrchestratorFaultPoints[P]> => ({ at: point, when });

/** Every crash point the orchestrator has, by the name SKALD_CRASH_AT arms it with. */
export const ORCHESTRATOR_CRASH_POINTS = {
  /** A saga's transition committed, its commands never published. */
  'orchestrator:after-state-commit': at('saga:committed'),
  /** Commands leased to the handoff and committed, never sent (a relay sends them once the lease ends). */
  'orchestrator:after-handoff-lease': at('handoff:leased'),
  /** Commands acknowledged by Kafka, their outbox rows never deleted (so published again). */
  'orchestrator:after-publish-before-mark': at('outbox:published'),
  /** A reply applied and written, its transaction never committed. */
  'orchestrator:reply-before-commit': at('saga:replies-written', (applied) => applied.length > 0),
  /** A compensating saga with one step compensated committed, the next compensation never sent. */
  'orchestrator:between-compensations': at(
    'saga:committed',
    (saga) =>
      saga.status === 'compensating' &&
      Object.values(saga.steps).some((s) => s.status === 'compensated'),
  ),
  /** The housekeeping lease held, its fenced write not made (with SIGSTOP: frozen past the lease). */
  'orchestrator:housekeeping-before-write': at('housekeeping:lease-held'),
  /** A bulk job's action on a saga committed (with its item), the job's next saga never acted on. */
  'orchestrator:bulk-after-action': at('bulk:acted'),
  /** A 2PC transaction and its prepares committed, the relay never woken. */
  'twopc:coordinator-after-create': at('twopc:created'),
  /** The prepares sent and the first vote arrived, not recorded. */
  'twopc:coordinator-after-prepares-sent': at(
    'twopc:reply-locked',
    ({ phase, transaction }) =>
      phase === 'prepare' &&
      transaction.status === 'preparing' &&
      transaction.participants.every((p) => p.vote === null),
  ),
  /** The decision sent and the first acknowledgement arrived, not recorded. */
  'twopc:coordinator-after-decision-sent-to-one': at(
    'twopc:reply-locked',
    ({ phase, transaction }) =>
      phase !== 'prepare' && transaction.participants.every((p) => !p.acknowledged),
  ),
  /** The decision committed with its messages, before any participant acknowledged it. */
  'twopc:coordinator-after-decision-logged': at(
    'twopc:committed',
    ({ state, messages }) =>
      messages.some((m) => m.phase !== 'prepare') &&
      state.participants.every((p) => !p.acknowledged || p.vote === 'no'),
  ),
  /** Some votes recorded and committed, the transaction still preparing. */
  'twopc:coordinator-after-some-votes': at(
    'twopc:committed',
    ({ state }) => state.status === 'preparing' && state.participants.some((p) => p.vote !== null),
  ),
} as const;

export type OrchestratorCrashPoint = keyof typeof ORCHESTRATOR_CRASH_POINTS;

/** The orchestrator's `faults` for a test process: the crash device over its crash points. */
export function orchestratorCrashPoints(env: NodeJS.ProcessEnv = process.env): OrchestratorFaults {
  return { at: crashDevice(ORCHESTRATOR_CRASH_POINTS, env) };
}
