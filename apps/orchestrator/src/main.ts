// The stock orchestrator process: configuration from the environment, nothing else installed.
import { runOrchestrator } from './run-orchestrator';

runOrchestrator();
