// What an operator can do to a saga through the REST API: cancel a running or paused one (before
// its pivot), resume a failed one (retry its failed compensations, or its failed step past the
// pivot as a new run) and skip a failed compensation with a reason; pausing is in pause.ts.
// Each refuses, with IllegalTransitionError,
// a saga in a state where the action makes no sense. Each history entry names its `actor` when
// the caller gives one (the orchestrator: the name of the API key used).
import {
  continueCompensation,
  failedCompensations,
  restoreCause,
  sendCompensation,
} from './compensation';
import { IllegalTransitionError } from './errors';
import { abandonForward, resend } from './forward';
import type { Run } from './run';
import { STEP_STATUS, type OperatorAudit } from './types';

/** `{ actor, bulkJobId }` for a history entry's details, those that are given. */
export const auditDetails = (audit: OperatorAudit) => ({
  ...(audit.actor === undefined ? {} : { actor: audit.actor }),
  ...(audit.bulkJobId === undefined ? {} : { bulkJobId: audit.bulkJobId }),
});

export function resume(run: Run, audit: OperatorAudit = {}): void {
  if (run.state.status !== 'failed') {
    throw new IllegalTransitionError(
      `saga ${run.state.id} is ${run.state.status}; only a failed saga can be retried`,
    );
  }
  const details = auditDetails(audit);
  run.history.push({
    type: 'resumed',
    ...(Object.keys(details).length === 0 ? {} : { details }),
  });
  const compensationFailures = failedCompensations(run, run.state.stage);
  if (compensationFailures.length > 0) {
    restoreCause(run);
    run.transition('compensating');
    for (const step of compensationFailures) {
      delete run.st(step.name).error;
      sendCompensation(run, step, 1);
    }
    continueCompensation(run);
    return;
  }
  // failed past the pivot: run the failed steps again from attempt 1, as a new operation
  // (`ce_steprun`), so a participant that refused the last run runs this one instead of
  // answering with the stored refusal
  run.transition('running');
  delete run.state.error;
  for (const step of run.stageSteps(run.state.stage)) {
    const st = run.st(step.name);
    if (st.status !== STEP_STATUS.failed && st.status !== STEP_STATUS.timedOut) continue;
    delete st.error;
    delete st.refused;
    st.run = (st.run ?? 1) + 1;
    resend(run, step, 1);
  }
}

export function skipCompensation(run: Run, stepName: string, reason: string, actor?: string): void {
  const st = run.state.steps[stepName];
  if (run.state.status !== 'failed' || st?.status !== STEP_STATUS.compensationFailed) {
    throw new IllegalTransitionError(
      `saga ${run.state.id}: step ${stepName} has no failed compensation to skip (saga ${run.state.status}, step ${st?.status ?? 'unknown'})`,
    );
  }
  st.status = STEP_STATUS.compensationSkipped;
  st.skipReason = reason;
  run.history.push({
    type: 'compensation-skipped',
    step: stepName,
    details: { reason, ...auditDetails({ actor }) },
  });
  if (failedCompensations(run, run.state.stage).length > 0) return;
  restoreCause(run);
  run.transition('compensating');
  continueCompensation(run);
}

export function cancel(run: Run, reason: string | undefined, audit: OperatorAudit = {}): void {
  const s = run.state;
  if (s.status !== 'running' && s.status !== 'paused') {
    throw new IllegalTransitionError(
      `saga ${s.id} is ${s.status}; only a running or paused saga can be cancelled`,
    );
  }
  if (run.pastPivot) {
    throw new IllegalTransitionError(
      `saga ${s.id} has passed its pivot step; it can only finish forward`,
    );
  }
  run.history.push({
    type: 'cancel-requested',
    details: { reason: reason ?? null, ...auditDetails(audit) },
  });
  // a paused saga too compensates now
  run.state.error = { code: 'CANCELLED', message: `cancelled${reason ? `: ${reason}` : ''}` };
  abandonForward(run);
}
