/**
 * Skald's persistence: TypeORM settings, migrations, the database checks the orchestrator runs at
 * start-up, and PersistenceModule (the connection pool and the stores, for Nest). The only lib that
 * talks SQL.
 *
 * @example
 * import { runMigrations } from '@skald/persistence';
 * await runMigrations({ url: process.env.DATABASE_URL! });
 */
export { dataSourceOptions, runMigrations, type DatabaseOptions } from './data-source';
export {
  assertDatabaseReachable,
  describeDatabaseUrl,
  isDatabaseUnavailable,
} from './database-url';
export {
  DatabaseUnreachableError,
  InvalidCursorError,
  PERSISTENCE_ERROR_CODES,
  StaleLeaseError,
} from './errors';
export {
  DefinitionCheckStore,
  type CheckScope,
  type RegisteredShape,
  type StepInUse,
  type UnfinishedGroup,
} from './definition-checks';
export { listenForNotifications, type NotificationListener } from './notifications';
export { PersistenceModule, type PersistenceModuleOptions } from './persistence.module';
export { HousekeepingTransaction, LeaseStore, type LeaseRecord } from './lease-store';
export {
  ParticipantTransaction,
  type BreakerUpdate,
  type ManualBreaker,
  type ParticipantRecord,
  type ParticipantWithWork,
} from './participant-flow';
export {
  BULK_ITEM_OUTCOME,
  BULK_JOB_STATUS,
  BulkItemTransaction,
  BulkJobStore,
  type BulkItemOutcome,
  type BulkItemRecord,
  type BulkJobRecord,
  type BulkJobStatus,
  type CreateBulkJobResult,
  type NewBulkJob,
} from './bulk-jobs';
export { type SagaFilter } from './saga-filter';
export {
  SagaQueries,
  type FilterSample,
  type ParticipantOverview,
  type SagaCounts,
  type SagaListFilter,
  type StateReadings,
  type WaitingCommand,
} from './saga-queries';
export {
  OUTBOX_CHANNEL,
  SagaStore,
  SagaTransaction,
  type AnsweredCommandRow,
  type ExecutionRecord,
  type NewCommandRow,
  type QueuedCommand,
  type StoreOptions,
} from './saga-store';
export {
  OutboxTransaction,
  type ClaimedBatch,
  type ClaimLimits,
  type DispatchedBatch,
  type OutboxRecord,
  type ParticipantClaim,
  type SendLimits,
} from './outbox-transaction';
export type { CommandLease, LeaseLimits } from './outbox-inserts';
export { type NewSagaRecord, type SagaHistoryRecord, type SagaRecord } from './saga-records';
export { TIMER_CHANNEL, TimerTransaction, type NewTimerRow, type TimerRecord } from './timers';
export { type ClaimedTimer, type ReplyBatchRead, type ReplyKey } from './engine-reads';
export { type Page } from './keyset-page';
export {
  TwoPhaseStore,
  TwoPhaseTransaction,
  type TransactionListFilter,
  type TwoPhaseCommandRecord,
  type TwoPhaseCommandRow,
  type TwoPhaseRecord,
  type TwoPhaseView,
} from './two-phase-store';
