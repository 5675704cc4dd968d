// The result of a run: bench/results/<startedAt>.json and latest.json, and the console tables.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { baselineFigures, bestOfPasses, lowestLevel } from './baseline-passes';
import { round2 } from './load';
import type { BenchSettings } from './options';
import { betterShape, restateDescription } from './restate';
import { printReport, printTable, summarizePass, type BaselinePass } from './report';
import { spreadRows, summarizeRuns } from './repeat';
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
  const { w1, saturation, counted, open, w2, w2PerSaga, w2Statuses, w3, idle } = run.skald;
  const passes = { before, after };
  const baselines = baselineFigures(passes);
  const ratio = (a: number, b: number | null) => (b ? round2(a / b) : null);
  // a 3-step saga needs at least 4 state transitions (start + 3 replies) of the baseline's shape
  const pgBound = baselines.pgTxPerSec === null ? null : baselines.pgTxPerSec / 4;
  const c1 = lowestLevel(w1);
  return {
    startedAt: run.startedAt.toISOString(),
    sagasPerSec: saturation.perSec,
    saturationConcurrency: saturation.concurrency,
    latencyMs: { p50: open.latencyMs.p50, p95: open.latencyMs.p95, p99: open.latencyMs.p99 },
    c1LatencyMs: { p50: c1.latencyMs.p50, p99: c1.latencyMs.p99 },
    c1StatementsPerSaga: c1.perSaga.statements,
    /** Where a step's time goes at concurrency 1 (bench/step-profile.ts). */
    c1Steps: c1.steps ?? null,
    openLoop: open,
    compensationSagasPerSec: w2.perSec,
    drainSagasPerSec: w3.drainSagasPerSec,
    countersAtConcurrency: counted.concurrency,
    pgCommitsPerSaga: counted.perSaga.pgCommits,
    statementsPerSaga: counted.perSaga.statements,
    walBytesPerSaga: counted.perSaga.walBytes,
    kafkaMessagesPerSaga: counted.perSaga.kafkaMessages,
    cpuMsPerSaga: counted.perSaga.cpuMs,
    idle,
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
        restateSagasPerSec:
          after.restate && before.restate
            ? ratio(betterShape(after.restate).perSec, betterShape(before.restate).perSec)
            : null,
      },
    },
    ratios: {
      throughputVsFloor: ratio(saturation.perSec, baselines.floorSagasPerSec),
      p50VsFloor: ratio(open.latencyMs.p50, baselines.floorP50Ms),
      throughputVsPgBound: ratio(saturation.perSec, pgBound),
      throughputVsDbos: ratio(saturation.perSec, baselines.dbosSagasPerSec),
      p50VsDbos: ratio(open.latencyMs.p50, baselines.dbosP50Ms),
      throughputVsRestate: ratio(saturation.perSec, baselines.restateSagasPerSec),
      p50VsRestateC1: ratio(c1.latencyMs.p50, baselines.restateC1P50Ms),
      p50VsRestateOpen: ratio(open.latencyMs.p50, baselines.restateP50Ms),
      p99OverP50: ratio(open.latencyMs.p99, open.latencyMs.p50),
      // machine-independent: the work per saga, whatever the machine's speed (lower is better)
      cpuPerSagaVsFloor: ratio(
        counted.perSaga.cpuMs.total,
        bestOfPasses(passes, (p) => p.floor.perSaga.cpuMs.total, 'min'),
      ),
      statementsPerSagaC1VsFloor: ratio(
        c1.perSaga.statements ?? 0,
        bestOfPasses(passes, (p) => p.floor.perSaga.statements ?? undefined, 'min'),
      ),
      pgCommitsPerSagaVsFloor: ratio(
        counted.perSaga.pgCommits,
        bestOfPasses(passes, (p) => p.floor.perSaga.pgCommits, 'min'),
      ),
      cpuPerSagaVsDbos: ratio(
        counted.perSaga.cpuMs.total,
        bestOfPasses(passes, (p) => p.dbos?.perSaga.cpuMs.total, 'min'),
      ),
      cpuPerSagaVsRestate: ratio(counted.perSaga.cpuMs.total, baselines.restateCpuMsPerSaga),
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
      restate: settings.restate ? restateDescription() : null,
      statementsMeasured: run.statements,
      cpus: cpus().length,
      node: process.version,
    },
  };
}

export type BenchResult = ReturnType<typeof benchResult>;

/** Writes `result` as bench/results/<name>.json and, when `latest`, latest.json; returns the first's path. */
function writeJson(result: unknown, name: string, latest: boolean): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, text);
  if (latest) writeFileSync(join(dir, 'latest.json'), text);
  return file;
}

const fileName = (at: Date) => at.toISOString().replace(/[:.]/g, '-');

/** Writes the result as bench/results/<startedAt>.json (and latest.json); returns its path. */
export function writeResult(result: BenchResult, startedAt: Date, latest: boolean): string {
  return writeJson(result, fileName(startedAt), latest);
}

/**
 * `--repeat n`: every figure and ratio of the runs as its median and min–max (the runs' shape,
 * without the per-phase detail, which stays in `runs`), written as <startedAt>-repeat<n>.json and
 * latest.json, and printed. Returns the file's path.
 */
export function writeRepeated(results: BenchResult[], startedAt: Date): string {
  const headline = results.map((r) => {
    // the per-phase detail and the settings stay in `runs`
    const {
      startedAt: _t,
      openLoop: _o,
      workloads: _w,
      engineStatements: _e,
      settings: _s,
      baselines,
      ...figures
    } = r;
    const { before: _b, after: _a, ...bestOfPasses } = baselines;
    return { ...figures, baselines: bestOfPasses };
  });
  const summary = summarizeRuns(headline);
  printTable(
    `Over ${results.length} measurements: median and spread (min–max) of each figure and ratio`,
    ['figure', 'median', 'min', 'max'],
    spreadRows(summary).map(([path, s]) => [
      path,
      s?.median ?? null,
      s?.min ?? null,
      s?.max ?? null,
    ]),
  );
  const repeated = {
    startedAt: startedAt.toISOString(),
    repeat: results.length,
    summary: 'each number is { median, min, max } over the measurements in runs',
    figures: summary,
    runs: results,
  };
  return writeJson(repeated, `${fileName(startedAt)}-repeat${results.length}`, true);
}

/** The console tables of a run, and the machine's drift under it. */
export function printResult(result: BenchResult, run: RunFigures): void {
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
  const { idle } = result;
  printTable(
    `Idle window: ${idle.seconds} s after W3, orchestrator and participants up, no saga`,
    ['orchestrator CPU %', 'participants CPU %', 'statements', 'pg write transactions'],
    [[idle.orchestratorCpuPct, idle.participantsCpuPct, idle.statements, idle.pgWriteTransactions]],
  );
  if (result.c1Steps) {
    const steps = result.c1Steps;
    printTable(
      `Where a step's time goes at concurrency 1 (ms, over every step of ${steps.sagas} sagas)`,
      ['segment', 'p50', 'p95', 'share of the p50s'],
      (['decidedToSent', 'sentToReplied', 'repliedToApplied'] as const).map((k) => [
        k,
        steps[k].p50,
        steps[k].p95,
        steps.shares[k],
      ]),
    );
  }
  printTable(
    'Machine drift: baselines after ÷ before (1 = the machine did not change under the run)',
    ['baseline', 'after/before'],
    Object.entries(result.baselines.driftAfterOverBefore),
  );
}
