// `npm run bench`: Skald against the floor of this very machine, DBOS and Restate, measured side by
// side in one run (issues #7, #15). Baselines run before and after the system (A-B-A); every figure
// is measured; `--repeat n` runs the whole measurement n times and reports median and spread.
// This file orders the run; the flags are options.ts, the servers servers.ts, the baselines
// baseline-passes.ts, Skald's workloads skald-workloads.ts, the output result.ts and report.ts.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createTestDatabase } from '@skald/testing';
import { baselinePass, type BaselineRig } from './baseline-passes';
import {
  Counters,
  enableStatementStats,
  processCpuMs,
  processTreeCpuMs,
  type CpuSources,
} from './counters';
import { startEchoServices } from './echo-process';
import { parseBenchArgs, type BenchSettings } from './options';
import { benchPool } from './pg-pool';
import { benchResult, printResult, writeRepeated, writeResult, type BenchResult } from './result';
import { startServers, type Servers } from './servers';
import { SkaldUnderTest } from './skald';
import { runSkaldWorkloads } from './skald-workloads';

async function main(): Promise<void> {
  const settings = parseBenchArgs(process.argv.slice(2));
  const log = (line: string) => console.log(`[bench] ${line}`);
  const startedAt = new Date();
  log(`settings ${JSON.stringify(settings)}`);

  const servers = await startServers(settings, log);
  let stopping: Promise<void> | undefined;
  const stopServers = () => (stopping ??= servers.stop());
  process.once('SIGINT', () => void stopServers().then(() => process.exit(130)));
  try {
    const results: BenchResult[] = [];
    for (let run = 1; run <= settings.repeat; run++) {
      if (settings.repeat > 1) log(`measurement ${run} of ${settings.repeat}`);
      results.push(await runBench(settings, servers, run === 1 ? startedAt : new Date(), log));
    }
    if (settings.repeat > 1) {
      const file = writeRepeated(results, startedAt);
      log(`wrote ${file} and bench/results/latest.json (${settings.repeat} measurements)`);
    }
  } finally {
    await stopServers();
  }
}

async function runBench(
  settings: BenchSettings,
  servers: Servers,
  startedAt: Date,
  log: (line: string) => void,
): Promise<BenchResult> {
  process.env.DATABASE_URL = servers.databaseUrl;
  process.env.KAFKA_BROKERS = servers.brokers.join(',');
  const admin = benchPool(servers.databaseUrl, 2);
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: servers.brokers,
    logLevel: logLevel.ERROR,
  });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  const statements = await enableStatementStats(admin);
  const counters = new Counters(admin, kafkaAdmin, statements);
  const poolSize = Number(settings.orchestratorEnv.SKALD_DB_POOL_SIZE);
  // per-saga counters of every system are compared at one level: 64 (the issue's), else the highest
  const countersConcurrency = settings.concurrency.includes(64)
    ? 64
    : Math.max(...settings.concurrency);
  const run = randomBytes(3).toString('hex');
  const prefixes = { skald: `bs${run}`, floor: `bf${run}`, ping: `bp${run}` };
  const dbs = await Promise.all([createTestDatabase(), createTestDatabase(), createTestDatabase()]);
  const [pgDb, floorDb, dbosDb] = dbs;

  const serverCpu: CpuSources = {
    postgres: servers.postgresPid ? () => processTreeCpuMs(servers.postgresPid!) : undefined,
    kafka: servers.kafkaPid ? () => processCpuMs(servers.kafkaPid!) : undefined,
  };
  const driverCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };

  // the echo participants: the floor's and the ping-pong echo in one process, Skald's in another,
  // so that Skald's participant CPU (per saga, idle) is its own; W3 stops and restarts Skald's
  const baselineEcho = await startEchoServices({
    prefixes: [prefixes.floor],
    pingPongPrefix: prefixes.ping,
  });
  const startSkaldEcho = () => startEchoServices({ prefixes: [prefixes.skald] });
  let skaldEcho = await startSkaldEcho();

  const baselines: BaselineRig = {
    settings,
    brokers: servers.brokers,
    counters,
    poolSize,
    countersConcurrency,
    prefixes,
    databases: { pg: pgDb, floor: floorDb, dbos: dbosDb },
    serverCpu,
    participantsCpu: () => processCpuMs(baselineEcho.pid),
    driverCpu,
    log,
  };
  const before = await baselinePass(baselines, 'before');

  log('starting the orchestrator');
  const skald = await SkaldUnderTest.start({
    topicPrefix: prefixes.skald,
    env: settings.orchestratorEnv,
    pollMs: settings.pollMs,
  });
  const workloads = await runSkaldWorkloads({
    settings,
    skald,
    counters,
    kafka,
    kafkaAdmin,
    pgAdmin: admin,
    statements,
    topicPrefix: prefixes.skald,
    cpu: {
      ...serverCpu,
      orchestrator: () => processCpuMs(skald.pid),
      participants: () => processCpuMs(skaldEcho.pid),
      driver: driverCpu,
    },
    countersConcurrency,
    participants: {
      stop: () => skaldEcho.stop(),
      start: async () => {
        skaldEcho = await startSkaldEcho();
      },
    },
    log,
  });
  await skald.stop();

  const after = await baselinePass(baselines, 'after');
  await Promise.all([baselineEcho.stop(), skaldEcho.stop()]);

  const figures = {
    startedAt,
    settings,
    servers,
    poolSize,
    statements,
    countersConcurrency,
    before,
    after,
    skald: workloads,
  };
  const result = benchResult(figures);
  // with --repeat, latest.json is the summary of every measurement
  const file = writeResult(result, startedAt, settings.repeat === 1);
  printResult(result, figures);
  log(`wrote ${file}${settings.repeat === 1 ? ' and bench/results/latest.json' : ''}`);

  await kafkaAdmin.disconnect();
  await Promise.all(dbs.map((db) => db.drop()));
  await admin.end();
  return result;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
