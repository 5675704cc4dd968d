// The names the bench's Restate services are served and invoked under (bench/restate-services.ts,
// bench/restate.ts): one handler per shape of the same three-step workflow.

/** (a) three calls to separate no-op services; (b) three `ctx.run` steps in one handler. */
export const RESTATE_SHAPES = ['calls', 'runs'] as const;
export type RestateShape = (typeof RESTATE_SHAPES)[number];

export const RESTATE_CALLS_SERVICE = 'benchThreeCalls';
export const RESTATE_RUNS_SERVICE = 'benchThreeRuns';
export const RESTATE_HANDLER = 'run';

export const restateService: Record<RestateShape, string> = {
  calls: RESTATE_CALLS_SERVICE,
  runs: RESTATE_RUNS_SERVICE,
};
