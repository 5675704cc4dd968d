// The workloads Skald runs (W1 closed and open loop, W2 compensation, W3 drain after an outage
// of the participants), each between counter snapshots of Skald's database and topics.
import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { STATS_SETTLE_MS } from './baseline-passes';
import type { CounterSnapshot, Counters, CpuSources, PerSaga } from './counters';
import { idleWindow } from './idle';
import { best, closedLoop, openLoop, round1, round2, sleep, type LoadResult } from './load';
import type { BenchSettings } from './options';
import type { SkaldUnderTest } from './skald';
import type { StepProfile } from './step-profile';

/** Outbox rows, unconsumed replies and unconsumed commands, sampled every 500 ms. */
interface BacklogSamples {
  outbox: number[];
  replies: number[];
  commands: number[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Flat: the total backlog of the last third of the samples is not far above the first third's. */
function isFlat(b: BacklogSamples): boolean {
  const total = b.outbox.map((o, i) => o + b.replies[i] + b.commands[i]);
  const third = Math.max(1, Math.floor(total.length / 3));
  return mean(total.slice(-third)) <= mean(total.slice(0, third)) * 1.5 + 10;
}

export interface SkaldRig {
  settings: BenchSettings;
  skald: SkaldUnderTest;
  counters: Counters;
  kafka: Kafka;
  kafkaAdmin: Admin;
  /** A pool on the server's admin database (pg_stat_statements). */
  pgAdmin: Pool;
  /** Whether pg_stat_statements is there to say where the engine's statements go. */
  statements: boolean;
  topicPrefix: string;
  cpu: CpuSources;
  /** The closed-loop level whose per-saga counters are compared across systems. */
  countersConcurrency: number;
  /** The echo participants, stopped and started again for W3. */
  participants: { stop(): Promise<void>; start(): Promise<void> };
  log: (line: string) => void;
}

/** Counter snapshots of Skald's database and topics, and the per-saga counts since one. */
function skaldCounters(rig: SkaldRig) {
  const { skald, counters } = rig;
  const snapshot = () => counters.snapshot([skald.db.name], [`${rig.topicPrefix}.`], rig.cpu);
  const perSaga = async (from: CounterSnapshot, sagas: number, ownBefore: number) => {
    await sleep(STATS_SETTLE_MS);
    const to = await snapshot();
    return counters.perSaga(from, to, sagas, skald.ownQueries - ownBefore);
  };
  return { snapshot, perSaga };
}

type Measure = ReturnType<typeof skaldCounters>;
type W1Level = LoadResult & {
  perSaga: PerSaga;
  backlog: BacklogSamples;
  stable: boolean;
  /** At concurrency 1 only: where each step's time went. */
  steps?: StepProfile;
};

/** W1, closed loop: each level with its per-saga counters and its backlog, sampled meanwhile. */
async function closedLoopLevels(rig: SkaldRig, measure: Measure): Promise<W1Level[]> {
  const { skald, settings, log } = rig;
  log('W1: closed loop');
  const w1: W1Level[] = [];
  for (const c of settings.concurrency) {
    const own = skald.ownQueries;
    const from = await measure.snapshot();
    const levelSince = Date.now();
    const backlog: BacklogSamples = { outbox: [], replies: [], commands: [] };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [outbox, lag] = await Promise.all([
          skald.outboxBacklog(),
          skald.consumerLag(rig.kafkaAdmin),
        ]);
        backlog.outbox.push(outbox);
        backlog.replies.push(lag.replies);
        backlog.commands.push(lag.commands);
        await sleep(500);
      }
    })();
    const result = await closedLoop(() => skald.run(), c, settings.durationSec * 1000);
    sampling = false;
    await sampler;
    const level = {
      ...result,
      perSaga: await measure.perSaga(from, result.ended, own),
      backlog,
      stable: isFlat(backlog),
      steps: c === 1 ? await skald.stepProfile(rig.kafka, levelSince) : undefined,
    };
    w1.push(level);
    log(
      `W1 c=${c}: ${level.perSec} sagas/s, p50 ${level.latencyMs.p50} ms, backlog outbox ${backlog.outbox.join(' ')} | replies ${backlog.replies.join(' ')} | commands ${backlog.commands.join(' ')}${level.stable ? '' : ' (growing)'}`,
    );
    if (level.steps) log(`W1 c=1, per step (ms): ${JSON.stringify(level.steps)}`);
  }
  return w1;
}

/** W3: sagas started with the participants stopped, then how fast the backlog drains. */
async function drain(rig: SkaldRig, measure: Measure) {
  const { skald, settings, log } = rig;
  log(`W3: ${settings.drain} sagas started with the participants stopped`);
  await rig.participants.stop();
  const w3Since = Date.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (issued < settings.drain) {
        issued++;
        await skald.startSaga();
      }
    }),
  );
  // published as far as they can be: the bulkhead (SKALD_MAX_IN_FLIGHT) keeps the rest queued
  for (let last = -1, now = await skald.outboxBacklog(); now !== last;) {
    await sleep(500);
    [last, now] = [now, await skald.outboxBacklog()];
  }
  const w3Own = skald.ownQueries;
  const w3From = await measure.snapshot();
  const participantsStarting = Date.now();
  await rig.participants.start();
  const participantsReady = Date.now();
  let progress = await skald.progress(w3Since);
  const drainDeadline = Date.now() + Math.max(120_000, settings.drain * 50);
  while (progress.terminal < issued && Date.now() < drainDeadline) {
    await sleep(250);
    progress = await skald.progress(w3Since);
  }
  // from the participants' readiness, or from the first saga they ended if that came first: a
  // small backlog can drain before the last consumer has said it joined
  const drainSeconds =
    (progress.lastEndedAt - Math.min(participantsReady, progress.firstEndedAt)) / 1000;
  const w3PerSaga = await measure.perSaga(w3From, progress.terminal, w3Own);
  if ((progress.byStatus.completed ?? 0) < issued)
    log(`W3: not every saga completed: ${JSON.stringify(progress.byStatus)}`);
  return {
    sagas: issued,
    terminal: progress.terminal,
    statuses: progress.byStatus,
    participantsStartMs: participantsReady - participantsStarting,
    drainSeconds: round2(drainSeconds),
    drainSagasPerSec: round1(progress.terminal / drainSeconds),
    perSaga: w3PerSaga,
  };
}

/** Every Skald workload in order, on an orchestrator that is up; it is left running. */
export async function runSkaldWorkloads(rig: SkaldRig) {
  const { skald, settings, log } = rig;
  const measure = skaldCounters(rig);
  // warm-up: topics, consumer groups, JIT
  await Promise.all(Array.from({ length: 20 }, () => skald.run()));

  const w1 = await closedLoopLevels(rig, measure);
  const stableLevels = w1.filter((l) => l.stable);
  const saturation = best(stableLevels.length ? stableLevels : w1);
  const counted = w1.find((l) => l.concurrency === rig.countersConcurrency) ?? saturation;

  log(`W1: open loop at ${settings.openFraction} × ${saturation.perSec}/s`);
  const openSince = Date.now();
  const open = {
    ...(await openLoop(
      () => skald.run(),
      Math.max(1, saturation.perSec * settings.openFraction),
      settings.openDurationSec * 1000,
    )),
    // where a step's time goes when sagas overlap, to compare with c=1's
    steps: await skald.stepProfile(rig.kafka, openSince),
  };
  log(`W1 open, per step (ms): ${JSON.stringify(open.steps)}`);

  log('W2: compensation (the third step refused for a share of sagas)');
  let w2Count = 0;
  const w2Own = skald.ownQueries;
  const w2From = await measure.snapshot();
  const w2Since = Date.now();
  const every = Math.round(1 / settings.w2FailureRate);
  const w2 = await closedLoop(
    () => skald.run({ fail: ++w2Count % every === 0 }),
    saturation.concurrency!,
    settings.w2DurationSec * 1000,
  );
  const w2PerSaga = await measure.perSaga(w2From, w2.ended, w2Own);
  const w2Statuses = (await skald.progress(w2Since)).byStatus;

  const w3 = await drain(rig, measure);
  log(`idle: ${settings.idleDurationSec} s with no saga running`);
  await sleep(STATS_SETTLE_MS);
  const idle = await idleWindow({
    counters: rig.counters,
    database: skald.db.name,
    cpu: { orchestrator: rig.cpu.orchestrator!, participants: rig.cpu.participants! },
    ownQueries: () => skald.ownQueries,
    seconds: settings.idleDurationSec,
  });
  log(`idle: ${JSON.stringify(idle)}`);
  // where the engine's statements go, over every saga of this run
  const allSagas = (await skald.progress(0)).terminal;
  const engineStatements = rig.statements
    ? (await skald.topStatements(rig.pgAdmin)).map((st) => ({
        ...st,
        perSaga: round2(st.calls / Math.max(1, allSagas)),
      }))
    : null;
  return {
    w1,
    saturation,
    counted,
    open,
    w2,
    w2PerSaga,
    w2Statuses,
    w3,
    idle,
    allSagas,
    engineStatements,
  };
}

export type SkaldWorkloads = Awaited<ReturnType<typeof runSkaldWorkloads>>;
