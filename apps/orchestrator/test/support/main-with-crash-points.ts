// The orchestrator process of the crash tests: the stock one, with the crash device as its fault
// hook (SKALD_CRASH_AT arms one of ORCHESTRATOR_CRASH_POINTS). spawnOrchestrator runs this file
// instead of src/main.ts when the environment it is given sets SKALD_CRASH_AT.
import { runOrchestrator } from '../../src/run-orchestrator';
import { orchestratorCrashPoints } from './crash-points';

runOrchestrator({ faults: orchestratorCrashPoints() });
