// The deploy-time definition check as a pure function: registered definitions against grouped
// counts of the sagas not finished → the problems, each with what to do about it.
import type { CheckScope, StepInUse, UnfinishedGroup } from '@skald/persistence';
import { SAGA_STATUS, STEP_STATUS, type SagaDefinition } from '@skald/saga';

export const DEFINITION_PROBLEM_KINDS = {
  /** Unfinished sagas of a (type, version) that is not registered: they cannot move on. */
  missingVersion: 'missing-version',
  /** Unfinished sagas started on other steps than the registered version has (no version bump). */
  changedShape: 'changed-shape',
  /** Unfinished sagas in (or to compensate) a step the registered version no longer has. */
  missingStep: 'missing-step',
} as const;
export type DefinitionProblemKind =
  (typeof DEFINITION_PROBLEM_KINDS)[keyof typeof DEFINITION_PROBLEM_KINDS];

export interface DefinitionProblem {
  kind: DefinitionProblemKind;
  type: string;
  version: number;
  /** For `missing-step`. */
  step?: string;
  /** Unfinished sagas concerned. */
  sagas: number;
  message: string;
}

export interface DefinitionCheckReport {
  /** True when no unfinished saga would break. */
  ok: boolean;
  /** Sagas not completed or compensated (`failed` ones included: a retry resumes them). */
  unfinishedSagas: number;
  /** Unfinished sagas with at least one problem, each counted once. */
  affectedSagas: number;
  problems: DefinitionProblem[];
}

/**
 * What needs a definition: sagas in any status but `completed` and `compensated` (a `failed` one
 * is resumed by a retry), and their steps in flight, or done and that may yet be compensated.
 */
export const CHECK_SCOPE: CheckScope = {
  sagaStatuses: Object.values(SAGA_STATUS).filter(
    (s) => s !== SAGA_STATUS.completed && s !== SAGA_STATUS.compensated,
  ),
  stepStatuses: [
    STEP_STATUS.running,
    STEP_STATUS.retrying,
    STEP_STATUS.resolving,
    STEP_STATUS.succeeded,
    STEP_STATUS.timedOut,
    STEP_STATUS.compensating,
    STEP_STATUS.compensationRetrying,
    STEP_STATUS.compensationFailed,
  ],
};

const sagasOf = (n: number) => `${n} unfinished saga${n === 1 ? '' : 's'}`;

/** The problems `definitions` has with the unfinished sagas counted in `unfinished` and `steps`. */
export function definitionProblems(
  lookup: (type: string, version: number) => SagaDefinition | undefined,
  hashOf: (definition: SagaDefinition) => string,
  unfinished: readonly UnfinishedGroup[],
  steps: readonly StepInUse[],
): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (problem: DefinitionProblem) => {
    const same = problems.find(
      (p) => p.kind === problem.kind && p.type === problem.type && p.version === problem.version,
    );
    // one line per (kind, type, version): groups differ only by the stored hash
    if (same && problem.kind !== DEFINITION_PROBLEM_KINDS.missingStep) same.sagas += problem.sagas;
    else problems.push(problem);
  };
  for (const group of unfinished) {
    const definition = lookup(group.type, group.version);
    const name = `${group.type} v${group.version}`;
    if (!definition) {
      add({
        kind: DEFINITION_PROBLEM_KINDS.missingVersion,
        type: group.type,
        version: group.version,
        sagas: group.sagas,
        message: `${name} is not registered: register it again next to the newer version until its sagas finish`,
      });
    } else if (group.definitionHash !== null && group.definitionHash !== hashOf(definition)) {
      add({
        kind: DEFINITION_PROBLEM_KINDS.changedShape,
        type: group.type,
        version: group.version,
        sagas: group.sagas,
        message: `${name} changed its steps since these sagas started: restore its steps and give the changed definition a new version`,
      });
    }
  }
  for (const use of steps) {
    const definition = lookup(use.type, use.version);
    if (!definition || definition.step(use.step)) continue;
    add({
      kind: DEFINITION_PROBLEM_KINDS.missingStep,
      type: use.type,
      version: use.version,
      step: use.step,
      sagas: use.sagas,
      message: `${use.type} v${use.version} no longer has step "${use.step}", which these sagas are in or may compensate: restore the step in v${use.version}`,
    });
  }
  for (const problem of problems) problem.message = `${sagasOf(problem.sagas)}: ${problem.message}`;
  return problems;
}

/** One line per problem and what to do, for the start-up refusal and its warning. */
export function describeProblems(report: DefinitionCheckReport): string {
  return [
    `${report.affectedSagas} of ${report.unfinishedSagas} unfinished sagas would break with the registered definitions:`,
    ...report.problems.map(
      (p) =>
        `  - ${p.kind} ${p.type} v${p.version}${p.step ? ` step ${p.step}` : ''}: ${p.message}`,
    ),
  ].join('\n');
}
