// The A-B-A baselines: raw PostgreSQL step transactions, a Kafka ping-pong, the floor (the same
// saga hand-written), DBOS Transact and Restate, measured in one pass before Skald and one after it.
import { kafkaPingPong, pgStepBaseline } from './baselines';
import { runChild, type ChildSettings } from './child';
import type { CounterSnapshot, Counters, CpuSources, PerSaga } from './counters';
import { best, round2, sleep, type LoadResult } from './load';
import type { BenchSettings } from './options';
import { restatePass, type RestateRun } from './restate';
import { RESTATE_SHAPES } from './restate-shapes';
import type { BaselinePass, ChildRun } from './report';

/** Busy backends report their pg_stat_database counts within about a second: wait that out (idle ones may take 10 s, which is why commits per saga come from transaction ids). */
export const STATS_SETTLE_MS = 1_200;

interface Database {
  url: string;
  name: string;
}

/** What a baseline pass runs on; the same for both passes. */
export interface BaselineRig {
  settings: BenchSettings;
  brokers: string[];
  counters: Counters;
  /** The orchestrator's pool size, given to every baseline. */
  poolSize: number;
  /** The closed-loop level whose per-saga counters are compared across systems. */
  countersConcurrency: number;
  prefixes: { floor: string; ping: string };
  databases: { pg: Database; floor: Database; dbos: Database };
  /** CPU of the servers, and of the echo participants the floor talks to. */
  serverCpu: CpuSources;
  participantsCpu: () => number;
  /** CPU of this process (the driver of Restate, as of Skald). */
  driverCpu: () => number;
  log: (line: string) => void;
}

/**
 * Runs a child system between counter snapshots: over the whole run, and per closed-loop level
 * (`perSaga` is the level at `countersConcurrency`, as for Skald). Its own CPU comes from its reports.
 */
async function measuredChild(
  rig: BaselineRig,
  file: string,
  role: string,
  db: Database,
  topicPrefix: string | undefined,
  cpu: CpuSources,
): Promise<ChildRun> {
  const { counters, settings } = rig;
  const databases = [db.name];
  const topicPrefixes = topicPrefix ? [`${topicPrefix}.`] : [];
  const read = async (childCpuMs: number) => {
    const snap = await counters.snapshot(databases, topicPrefixes, cpu);
    snap.cpu[role] = childCpuMs;
    return snap;
  };
  let whole: CounterSnapshot | undefined;
  const starts = new Map<number, { snap: CounterSnapshot; ended: number }>();
  const perLevel: Record<number, PerSaga> = {};
  const childSettings: ChildSettings = {
    databaseUrl: db.url,
    kafkaBrokers: rig.brokers,
    topicPrefix: topicPrefix ?? 'none',
    poolSize: rig.poolSize,
    concurrency: settings.concurrency,
    durationMs: settings.baselineDurationSec * 1000,
    openDurationMs: settings.openDurationSec * 1000,
    openFraction: settings.openFraction,
  };
  const result = await runChild(file, childSettings, {
    before: async () => {
      whole = await read(0);
    },
    checkpoint: async (point) => {
      if (point.phase === 'start') {
        starts.set(point.concurrency, { snap: await read(point.cpuMs), ended: point.ended });
        return;
      }
      await sleep(STATS_SETTLE_MS);
      const start = starts.get(point.concurrency)!;
      const end = await read(point.cpuMs);
      perLevel[point.concurrency] = await counters.perSaga(
        start.snap,
        end,
        point.ended - start.ended,
      );
    },
    log: rig.log,
  });
  await sleep(STATS_SETTLE_MS);
  const wholeRun = await counters.perSaga(whole!, await read(result.cpuMs), result.ended);
  return {
    ...result,
    perSaga: perLevel[rig.countersConcurrency] ?? wholeRun,
    perLevel,
    wholeRun,
  };
}

/** One pass of every baseline; `name` ('before' or 'after') is for the log. */
export async function baselinePass(rig: BaselineRig, name: string): Promise<BaselinePass> {
  const { settings, log } = rig;
  log(`baselines (${name}): raw pg step transactions`);
  const pgLevels = await pgStepBaseline(rig.databases.pg.url, {
    poolSize: rig.poolSize,
    concurrency: settings.concurrency,
    durationMs: settings.baselineDurationSec * 1000,
  });
  log(`baselines (${name}): kafka ping-pong`);
  const kafkaLevels = await kafkaPingPong(rig.brokers, rig.prefixes.ping, {
    concurrency: settings.concurrency,
    durationMs: settings.baselineDurationSec * 1000,
  });
  log(`baselines (${name}): the floor`);
  const floor = await measuredChild(
    rig,
    'floor.ts',
    'floor',
    rig.databases.floor,
    rig.prefixes.floor,
    {
      ...rig.serverCpu,
      participants: rig.participantsCpu,
    },
  );
  let dbos: BaselinePass['dbos'];
  if (settings.dbos) {
    log(`baselines (${name}): DBOS Transact`);
    dbos = await measuredChild(rig, 'dbos-peer.ts', 'dbos', rig.databases.dbos, undefined, {
      postgres: rig.serverCpu.postgres,
    });
  }
  let restate: BaselinePass['restate'];
  if (settings.restate) {
    log(`baselines (${name}): Restate`);
    restate = await restatePass({
      concurrency: settings.concurrency,
      durationMs: settings.baselineDurationSec * 1000,
      openDurationMs: settings.openDurationSec * 1000,
      openFraction: settings.openFraction,
      countersConcurrency: rig.countersConcurrency,
      driverCpu: rig.driverCpu,
      log,
    });
  }
  const lowest = kafkaLevels[0];
  return {
    pgTxPerSec: best(pgLevels).perSec,
    pgLevels,
    kafkaRoundTripsPerSec: best(kafkaLevels).perSec,
    kafkaRttP50Ms: lowest.latencyMs.p50,
    kafkaRttP99Ms: lowest.latencyMs.p99,
    kafkaLevels,
    floor,
    dbos,
    restate,
  };
}

/**
 * Noise on a shared machine only ever slows a pass down, so each baseline is the better of its
 * two passes (higher rate, lower latency and cost): the harder bar for Skald. Both are kept.
 */
export function bestOfPasses(
  passes: { before: BaselinePass; after: BaselinePass },
  f: (p: BaselinePass) => number | undefined,
  better: 'max' | 'min',
): number | null {
  const values = [f(passes.before), f(passes.after)].filter(
    (v): v is number => v !== undefined && !Number.isNaN(v),
  );
  return values.length ? round2(Math[better](...values)) : null;
}

/** The baseline figures Skald is compared with: each the better of its two passes. */
export function baselineFigures(passes: { before: BaselinePass; after: BaselinePass }) {
  const of = (f: (p: BaselinePass) => number | undefined, better: 'max' | 'min') =>
    bestOfPasses(passes, f, better);
  // Restate: each figure the better of its two shapes as well (which shape it was is in `restate`)
  const restate = (f: (r: RestateRun) => number | undefined, better: 'max' | 'min') => {
    const shapes = RESTATE_SHAPES.map((shape) =>
      of((p) => p.restate && f(p.restate[shape]), better),
    );
    const values = shapes.filter((v): v is number => v !== null);
    return values.length ? Math[better](...values) : null;
  };
  return {
    pgTxPerSec: of((p) => p.pgTxPerSec, 'max'),
    kafkaRoundTripsPerSec: of((p) => p.kafkaRoundTripsPerSec, 'max'),
    kafkaRttP50Ms: of((p) => p.kafkaRttP50Ms, 'min'),
    kafkaRttP99Ms: of((p) => p.kafkaRttP99Ms, 'min'),
    floorSagasPerSec: of((p) => p.floor.best.perSec, 'max'),
    floorP50Ms: of((p) => p.floor.open.latencyMs.p50, 'min'),
    floorP99Ms: of((p) => p.floor.open.latencyMs.p99, 'min'),
    dbosSagasPerSec: of((p) => p.dbos?.best.perSec, 'max'),
    dbosP50Ms: of((p) => p.dbos?.open.latencyMs.p50, 'min'),
    dbosP99Ms: of((p) => p.dbos?.open.latencyMs.p99, 'min'),
    restateSagasPerSec: restate((r) => r.best.perSec, 'max'),
    restateC1P50Ms: restate((r) => lowestLevel(r.levels).latencyMs.p50, 'min'),
    restateP50Ms: restate((r) => r.open.latencyMs.p50, 'min'),
    restateP99Ms: restate((r) => r.open.latencyMs.p99, 'min'),
    restateCpuMsPerSaga: restate((r) => r.perSaga.total, 'min'),
  };
}

/** The closed-loop level of the lowest concurrency (c=1 at the defaults). */
export const lowestLevel = <L extends LoadResult>(levels: L[]): L =>
  levels.reduce((a, b) => (b.concurrency! < a.concurrency! ? b : a));
