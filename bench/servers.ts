// The PostgreSQL and Kafka the bench measures against: the ones DATABASE_URL and KAFKA_BROKERS
// name, else an embedded PostgreSQL and a local single-node Kafka started (and stopped) here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startLocalKafka,
  startLocalPostgres,
  type LocalKafka,
  type LocalPostgres,
} from '@skald/testing';
import type { BenchSettings } from './options';

export interface Servers {
  databaseUrl: string;
  brokers: string[];
  /** Set when started here: their CPU is counted. */
  postgresPid?: number;
  kafkaPid?: number;
  stop(): Promise<void>;
}

export async function startServers(
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<Servers> {
  const givenDb = process.env.DATABASE_URL;
  const givenKafka = process.env.KAFKA_BROKERS;
  const partitions = Number(settings.orchestratorEnv.SKALD_TOPIC_PARTITIONS);
  const [postgres, kafka]: [LocalPostgres | undefined, LocalKafka | undefined] = await Promise.all([
    givenDb
      ? undefined
      : startLocalPostgres({
          log,
          settings: {
            synchronous_commit: 'on',
            fsync: 'on',
            shared_preload_libraries: 'pg_stat_statements',
            'pg_stat_statements.track': 'all',
          },
        }),
    givenKafka ? undefined : startLocalKafka({ log, defaultPartitions: partitions }),
  ]);
  const pidFile = postgres && join(postgres.dataDir, 'postmaster.pid');
  return {
    databaseUrl: givenDb ?? postgres!.url,
    brokers: (givenKafka ?? kafka!.brokers.join(',')).split(','),
    postgresPid: pidFile ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined,
    kafkaPid: kafka?.pid,
    stop: async () => {
      await Promise.all([kafka?.stop(), postgres?.stop()]);
    },
  };
}
