// The chaos run (`npm run test:chaos -- --sagas 500 --faults 20 --seed 7`): the embedded stack,
// two orchestrator processes and the demo participants as real child processes; trip sagas with a
// mix of outcomes; faults injected at random moments; then invariants checked from the
// participants' tables and the orchestrator's. Exits 1 on any violation, 2 on bad usage.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  repoRoot,
  runtimeDir,
  spawnOrchestrator,
  startLocalKafka,
  startLocalPostgres,
  uniqueName,
  waitForHttp,
  type LocalKafka,
  type LocalPostgres,
  type OrchestratorProcess,
} from '@skald/testing';
import {
  FAULT_KINDS,
  faultSchedule,
  parseChaosArgs,
  UsageError,
  type ChaosOptions,
  type FaultKind,
} from './chaos-cli';
import {
  checkInvariants,
  FAULT_MARGIN_MS,
  type FaultWindow,
  type PlannedSaga,
} from './chaos-invariants';

let cli: ChaosOptions;
try {
  cli = parseChaosArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`chaos: ${error.message}`);
  process.exit(2);
}
const SAGAS = cli.sagas;
const FAULTS = cli.faults;
const SEED = cli.seed;

/** mulberry32: small, seeded, good enough to replay a run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const log = (line: string) =>
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plan(i: number): PlannedSaga {
  const r = random();
  const refuse = r < 0.2; // the airline refuses: compensated
  const flaky = r >= 0.2 && r < 0.4; // transient hotel errors: retried, completed
  return {
    key: `chaos-${SEED}-${i}`,
    expected: refuse ? 'compensated' : 'completed',
    input: {
      customer: `c${i}`,
      car: { model: 'compact' },
      hotel: { city: flaky ? 'Flakyville' : 'Lisbon', nights: 1 + (i % 3) },
      flight: { to: refuse ? 'Atlantis' : 'Oslo' },
      amount: 100 + i,
    },
  };
}

async function main(): Promise<number> {
  log(
    `seed ${SEED} (replay with --seed ${SEED}), ${SAGAS} sagas, ${FAULTS} faults of ${cli.kinds.map((k) => `${k.kind}=${k.weight}`).join(', ')}`,
  );
  const base = runtimeDir(uniqueName('chaos'));
  let postgres: LocalPostgres = await startLocalPostgres({
    dataDir: join(base, 'pg'),
    persistent: true,
  });
  let kafka: LocalKafka = await startLocalKafka({ dataDir: join(base, 'kafka'), persistent: true });
  const env = {
    DATABASE_URL: postgres.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    SKALD_TOPIC_PREFIX: 'chaos',
    SKALD_SAGAS: join(__dirname, 'chaos-trip.ts'),
    LOG_LEVEL: 'error',
    // shorter than a pause below, so a paused instance loses the housekeeping lease to the other
    SKALD_LEASE_MS: '5000',
  };
  const orchestrators: OrchestratorProcess[] = [];
  const startOrchestrator = async (slot: number) => {
    orchestrators[slot] = await spawnOrchestrator(env);
    await waitForHttp(`${orchestrators[slot].url}/health`, {
      process: orchestrators[slot],
      timeoutMs: 120_000,
    });
  };
  await startOrchestrator(0);
  await startOrchestrator(1);
  let participants: ChildProcess;
  const startParticipants = async () => {
    participants = spawn(
      process.execPath,
      ['-r', '@swc-node/register', join(repoRoot, 'apps/demo/src/main.ts')],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      participants.stdout!.on(
        'data',
        (d: Buffer) => d.toString().includes('consuming') && resolve(),
      );
      participants.once('exit', () =>
        reject(new Error('demo participants exited during start-up')),
      );
    }).catch((error: unknown) => log(String(error)));
  };
  await startParticipants();

  const faults: Record<FaultKind, number> = Object.fromEntries(
    FAULT_KINDS.map((k) => [k, 0]),
  ) as Record<FaultKind, number>;
  const anyUrl = () => orchestrators[Math.floor(random() * 2)].url;
  const participantsAlive = () =>
    participants.exitCode === null && participants.signalCode === null;

  /** When each fault began and ended (epoch ms, the same clock as PostgreSQL's now() here). */
  const windows: FaultWindow[] = [];

  async function inject(kind: FaultKind): Promise<void> {
    faults[kind]++;
    const slot = Math.floor(random() * 2);
    log(`fault: ${kind}${kind.startsWith('orchestrator') ? ` #${slot}` : ''}`);
    const start = Date.now();
    await injectFault(kind, slot);
    windows.push({ kind, start, end: Date.now() });
    log(`fault: ${kind} over after ${((Date.now() - start) / 1000).toFixed(1)} s`);
  }

  async function injectFault(kind: FaultKind, slot: number): Promise<void> {
    switch (kind) {
      case 'orchestrator-kill':
        await orchestrators[slot].stop('SIGKILL');
        await startOrchestrator(slot);
        return;
      case 'orchestrator-pause':
        orchestrators[slot].child.kill('SIGSTOP');
        await sleep(12_000); // longer than the Kafka session and the lease: its work moves to the other
        orchestrators[slot].child.kill('SIGCONT');
        return;
      case 'participant-kill': {
        if (participantsAlive()) {
          const exited = new Promise((r) => participants.once('exit', r));
          participants.kill('SIGKILL');
          await exited;
        } else
          log(
            `the participants process had already died (${participants.exitCode ?? participants.signalCode})`,
          );
        await startParticipants();
        return;
      }
      case 'participant-freeze':
        if (!participantsAlive()) {
          log(
            `the participants process had died (${participants.exitCode ?? participants.signalCode}); restarting it instead`,
          );
          await startParticipants();
          return;
        }
        // commands already delivered wait unanswered past their timeout (outcome unknown), and
        // the compensations sent meanwhile queue behind them on the same partitions
        participants.kill('SIGSTOP');
        try {
          await sleep(cli.freezeMs);
        } finally {
          participants.kill('SIGCONT');
        }
        return;
      case 'kafka-restart':
        await kafka.stop();
        kafka = await startLocalKafka({ dataDir: join(base, 'kafka'), persistent: true });
        return;
      case 'postgres-restart':
        await postgres.stop();
        postgres = await startLocalPostgres({
          dataDir: join(base, 'pg'),
          persistent: true,
          port: postgres.port,
        });
        return;
    }
  }

  // the kinds asked for, shared by weight, in a seeded random order
  const kinds = faultSchedule(cli.kinds, FAULTS, random);
  const planned = Array.from({ length: SAGAS }, (_, i) => plan(i));
  const faultEvery = Math.max(1, Math.floor(SAGAS / (FAULTS + 1)));

  async function startSaga(saga: PlannedSaga): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      try {
        const res = await fetch(`${anyUrl()}/v1/sagas`, {
          signal: AbortSignal.timeout(3_000),
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': saga.key },
          body: JSON.stringify({ type: 'book-trip', input: saga.input }),
        });
        if (res.status === 201 || res.status === 200) {
          saga.id = ((await res.json()) as { id: string }).id;
          return;
        }
      } catch {
        // that instance is down or paused: try again (the idempotency key makes it safe)
      }
      await sleep(500);
    }
    throw new Error(`could not start saga ${saga.key}`);
  }

  let faultIndex = 0;
  const faultRuns: Promise<void>[] = [];
  for (let i = 0; i < planned.length; i++) {
    await startSaga(planned[i]);
    if ((i + 1) % faultEvery === 0 && faultIndex < kinds.length) {
      const kind = kinds[faultIndex++];
      // faults of the servers run one at a time; sagas keep being started meanwhile
      faultRuns.push(Promise.all(faultRuns).then(() => inject(kind)));
    }
    await sleep(50 + random() * 150);
  }
  while (faultIndex < kinds.length) {
    const kind = kinds[faultIndex++];
    faultRuns.push(Promise.all(faultRuns).then(() => inject(kind)));
  }
  await Promise.all(faultRuns);

  log('all sagas started, all faults injected; waiting for every saga to finish');
  const db = new Client(postgres.url);
  await db.connect();
  const deadline = Date.now() + cli.settleSeconds * 1000;
  let open = Infinity;
  while (Date.now() < deadline) {
    open = (
      await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM skald.saga_instance WHERE status NOT IN ('completed', 'compensated', 'failed')",
      )
    ).rows[0].n;
    if (open === 0) break;
    await sleep(1_000);
  }

  const { violations, byTimeout, statuses } = await checkInvariants(db, planned, windows);
  if (open !== 0)
    violations.unshift({
      kind: 'not terminal',
      text: `${open} sagas not terminal after ${cli.settleSeconds} s`,
    });
  await db.end();

  const count = (s: string) => statuses.filter((v) => v === s).length;
  const columns = ['sagas', 'completed', 'compensated', 'failed', 'by timeout', ...FAULT_KINDS];
  console.log(`\n| ${columns.join(' | ')} | violations |`);
  console.log('|' + ' --- |'.repeat(columns.length + 1));
  console.log(
    `| ${planned.length} | ${count('completed')} | ${count('compensated')} | ${count('failed')} | ${byTimeout} | ${FAULT_KINDS.map((k) => faults[k]).join(' | ')} | ${violations.length} |`,
  );
  console.log(
    `by timeout: ${byTimeout} sagas ended otherwise than their inputs dictate, by a timeout during a fault (or within ${FAULT_MARGIN_MS / 1000} s after one)`,
  );
  for (const w of windows)
    console.log(
      `fault window: ${w.kind} ${new Date(w.start).toISOString()} … ${new Date(w.end).toISOString()}`,
    );
  if (violations.length > 0) {
    const tally = new Map<string, number>();
    for (const v of violations) tally.set(v.kind, (tally.get(v.kind) ?? 0) + 1);
    console.log(`violations by kind: ${[...tally].map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  }
  for (const v of violations.slice(0, 20)) console.log(`violation: ${v.text}`);
  if (violations.length) {
    const probe = new Client(postgres.url);
    await probe.connect();
    const failed = await probe.query<{ id: string; status: string; error: unknown }>(
      "SELECT id, status, error FROM skald.saga_instance WHERE status <> 'completed' LIMIT 3",
    );
    for (const row of failed.rows)
      console.log(`sample: ${row.id} ${row.status} ${JSON.stringify(row.error)}`);
    await probe.end();
  }
  console.log(
    `processes: orchestrators ${orchestrators.map((o) => o.child.exitCode ?? o.child.signalCode ?? 'alive').join(', ')}, participants ${participants!.exitCode ?? participants!.signalCode ?? 'alive'}`,
  );
  const totalFaults = Object.values(faults).reduce((a, b) => a + b, 0);
  console.log(
    `chaos: ${planned.length} sagas, ${totalFaults} faults, ${violations.length} violations`,
  );

  participants!.kill('SIGTERM');
  await Promise.all(orchestrators.map((o) => o.stop('SIGKILL')));
  await kafka.stop();
  await postgres.stop();
  rmSync(base, { recursive: true, force: true });
  return violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
