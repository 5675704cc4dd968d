// Errors of bulk jobs; api/ maps their codes to HTTP.
import { SkaldError } from '@skald/protocol';

export const BULK_ERROR_CODES = {
  tooManySagas: 'BULK_TOO_MANY_SAGAS',
  tooManyJobs: 'BULK_TOO_MANY_JOBS',
  jobNotFound: 'BULK_JOB_NOT_FOUND',
  jobNotRunning: 'BULK_JOB_NOT_RUNNING',
} as const;

/** The filter matches more sagas than one job may act on (SKALD_BULK_MAX_SAGAS). */
export class TooManySagasError extends SkaldError {
  readonly code = BULK_ERROR_CODES.tooManySagas;
  readonly retryable = false;

  constructor(
    readonly count: number,
    readonly max: number,
  ) {
    super(
      `the filter matches ${count} sagas, more than the ${max} one bulk job may act on (SKALD_BULK_MAX_SAGAS); narrow the filter, e.g. with createdBefore/createdAfter`,
    );
  }
}

/** As many jobs as may run at once are running (SKALD_BULK_MAX_JOBS); retry once one ends. */
export class TooManyBulkJobsError extends SkaldError {
  readonly code = BULK_ERROR_CODES.tooManyJobs;
  readonly retryable = true;

  constructor(readonly max: number) {
    super(
      `${max} bulk jobs are running, the most allowed at once (SKALD_BULK_MAX_JOBS); wait for one to end or cancel one`,
    );
  }
}

export class BulkJobNotFoundError extends SkaldError {
  readonly code = BULK_ERROR_CODES.jobNotFound;
  readonly retryable = false;

  constructor(readonly jobId: string) {
    super(`bulk job ${jobId} does not exist`);
  }
}

export class BulkJobNotRunningError extends SkaldError {
  readonly code = BULK_ERROR_CODES.jobNotRunning;
  readonly retryable = false;

  constructor(jobId: string, status: string) {
    super(`bulk job ${jobId} is ${status}; only a running job can be cancelled`);
  }
}
