// The result of a run: bench/results/<startedAt>.json and latest.json, and the console tables.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { baselineFigures, bestOfPasses } from './baseline-passes';
import { round2 } from './load';
import type { BenchSettings } from './options';
import { printReport, printTable, summarizePass, type BaselinePass } from './report';
import type { Servers } from './servers';
import type { SkaldWorkloads } from './skald-workloads';

export interface RunFigures {
  startedAt: Date;
  settings: BenchSettings;
  servers: Pick<Servers, 'postgresPid' | 'kafkaPid'>;
  poolSize: number;
  statements: boolean;
  countersConcurrency: number;
  before: BaselinePass;
  after: BaselinePass;
  skald: SkaldWorkloads;
}

/** What latest.json holds: Skald's figures, the baselines, their ratios, and the settings. */
export function benchResult(run: RunFigures) {
  const { before, after, settings, servers } = run;
  const { w1, saturation, counted, open, w2, w2PerSaga, w2Statuses, w3 } = run.skald;
  const passes = { before, after };
  const baselines = baselineFigures(passes);
  const ratio = (a: number, b: number | null) => (b ? round2(a / b) : null);
  // a 3-step saga needs at least 4 state transitions (start + 3 replies) of the baseline's shape
  const pgBound = baselines.pgTxPerSec === null ? null : baselines.pgTxPerSec / 4;
  return {
    startedAt: run.startedAt.toISOString(),
    sagasPerSec: saturation.perSec,
    saturationConcurrency: saturation.concurrency,
    latencyMs: { p50: open.latencyMs.p50, p95: open.latencyMs.p95, p99: open.latencyMs.p99 },
    openLoop: open,
    compensationSagasPerSec: w2.perSec,
    drainSagasPerSec: w3.drainSagasPerSec,
    countersAtConcurrency: counted.concurrency,
    pgCommitsPerSaga: counted.perSaga.pgCommits,
    statementsPerSaga: counted.perSaga.statements,
    walBytesPerSaga: counted.perSaga.walBytes,
    kafkaMessagesPerSaga: counted.perSaga.kafkaMessages,
    cpuMsPerSaga: counted.perSaga.cpuMs,
    baselines: {
      ...baselines,
      before: summarizePass(before),
      after: summarizePass(after),
      // how much the machine changed under the run (1 = not at all): read the ratios with this in mind
      driftAfterOverBefore: {
        pgTxPerSec: ratio(after.pgTxPerSec, before.pgTxPerSec),
        kafkaRoundTripsPerSec: ratio(after.kafkaRoundTripsPerSec, before.kafkaRoundTripsPerSec),
        floorSagasPerSec: ratio(after.floor.best.perSec, before.floor.best.perSec),
        dbosSagasPerSec:
          after.dbos && before.dbos ? ratio(after.dbos.best.perSec, before.dbos.best.perSec) : null,
      },
    },
    ratios: {
      throughputVsFloor: ratio(saturation.perSec, baselines.floorSagasPerSec),
      p50VsFloor: ratio(open.latencyMs.p50, baselines.floorP50Ms),
      throughputVsPgBound: ratio(saturation.perSec, pgBound),
      throughputVsDbos: ratio(saturation.perSec, baselines.dbosSagasPerSec),
      p50VsDbos: ratio(open.latencyMs.p50, baselines.dbosP50Ms),
      p99OverP50: ratio(open.latencyMs.p99, open.latencyMs.p50),
      // machine-independent: the work per saga, whatever the machine's speed (lower is better)
      cpuPerSagaVsFloor: ratio(
        counted.perSaga.cpuMs.total,
        bestOfPasses(passes, (p) => p.floor.perSaga.cpuMs.total, 'min'),
      ),
      pgCommitsPerSagaVsFloor: ratio(
        counted.perSaga.pgCommits,
        bestOfPasses(passes, (p) => p.floor.perSaga.pgCommits, 'min'),
      ),
      cpuPerSagaVsDbos: ratio(
        counted.perSaga.cpuMs.total,
        bestOfPasses(passes, (p) => p.dbos?.perSaga.cpuMs.total, 'min'),
      ),
    },
    workloads: {
      w1,
      w2: { ...w2, statuses: w2Statuses, perSaga: w2PerSaga },
      w3,
    },
    engineStatements: { sagas: run.skald.allSagas, top: run.skald.engineStatements },
    settings: {
      ...settings,
      poolSizeOfBaselines: run.poolSize,
      baselineFigures:
        'the better of the before and after passes (both under baselines.before/after)',
      postgres: servers.postgresPid
        ? 'embedded, synchronous_commit=on, fsync=on'
        : 'DATABASE_URL (settings as the server has them)',
      kafka: servers.kafkaPid ? 'local single-node KRaft' : 'KAFKA_BROKERS',
      producers: 'idempotent, acks=all, maxInFlightRequests 1',
      statementsMeasured: run.statements,
      cpus: cpus().length,
      node: process.version,
    },
  };
}

/** Writes the result as bench/results/<startedAt>.json and latest.json; returns the first's path. */
export function writeResult(result: ReturnType<typeof benchResult>, startedAt: Date): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const file = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(dir, 'latest.json'), text);
  return file;
}

/** The console tables of a run, and the machine's drift under it. */
export function printResult(result: ReturnType<typeof benchResult>, run: RunFigures): void {
  const { w1, open, w2, w2PerSaga, w3 } = run.skald;
  printReport(result.ratios, {
    w1,
    open,
    w2,
    w2PerSaga,
    w3,
    before: run.before,
    after: run.after,
    countersConcurrency: run.countersConcurrency,
  });
  printTable(
    'Machine drift: baselines after ÷ before (1 = the machine did not change under the run)',
    ['baseline', 'after/before'],
    Object.entries(result.baselines.driftAfterOverBefore),
  );
}
