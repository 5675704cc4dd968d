#!/usr/bin/env node
// The stock orchestrator process (the `skald-orchestrator` bin): configuration from the environment,
// nothing else installed.
import { runOrchestrator } from './run-orchestrator';

runOrchestrator();
