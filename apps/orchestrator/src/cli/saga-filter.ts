import type { Command } from 'commander';
import { parseDuration } from './context';

/** The list filter's options, shared by `sagas list` and `bulk` (GET /v1/sagas' query). */
export function addSagaFilterOptions(command: Command): Command {
  return command
    .option('--type <type>', 'saga type')
    .option('--status <status>', 'running, compensating, paused, completed, compensated or failed')
    .option('--older-than <duration>', 'started longer ago than this, e.g. 15m, 2h, 7d')
    .option('--newer-than <duration>', 'started more recently than this')
    .option('--error-code <code>', "the code of the saga's last error")
    .option('--wait-reason <reason>', 'why it waits, e.g. paused, definition-missing');
}

export interface SagaFilterOptions {
  type?: string;
  status?: string;
  olderThan?: string;
  newerThan?: string;
  errorCode?: string;
  waitReason?: string;
}

/** The options as the API's filter fields. */
export function sagaFilter(options: SagaFilterOptions, now = Date.now()): Record<string, string> {
  const before = (flag: string, value?: string) =>
    value === undefined ? undefined : new Date(now - parseDuration(flag, value)).toISOString();
  const filter = {
    type: options.type,
    status: options.status,
    createdBefore: before('--older-than', options.olderThan),
    createdAfter: before('--newer-than', options.newerThan),
    errorCode: options.errorCode,
    waitReason: options.waitReason,
  };
  return Object.fromEntries(
    Object.entries(filter).filter((e): e is [string, string] => e[1] !== undefined),
  );
}
