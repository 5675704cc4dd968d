// The chaos run (`npm run test:chaos -- --sagas 500 --faults 20 --seed 7`): the embedded stack,
// two orchestrator processes and the demo participants as real child processes; trip sagas with a
// mix of outcomes; faults injected at random moments; then invariants checked from the
// participants' tables and the orchestrator's. Exits non-zero on any violation.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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

const FAULT_KINDS = [
  'orchestrator-kill',
  'participant-kill',
  'orchestrator-pause',
  'kafka-restart',
  'postgres-restart',
] as const;
type FaultKind = (typeof FAULT_KINDS)[number];

const { values: args } = parseArgs({
  options: {
    sagas: { type: 'string', default: '200' },
    faults: { type: 'string', default: '10' },
    /** Comma-separated subset of the fault kinds. @default all */
    kinds: { type: 'string', default: '' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    'settle-seconds': { type: 'string', default: '240' },
  },
});
const SAGAS = Number(args.sagas);
const FAULTS = Number(args.faults);
const SEED = Number(args.seed);

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

interface PlannedSaga {
  key: string;
  input: {
    customer: string;
    car: { model: string };
    hotel: { city: string; nights: number };
    flight: { to: string };
    amount: number;
  };
  expected: 'completed' | 'compensated';
  id?: string;
}

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
  log(`seed ${SEED} (replay with --seed ${SEED}), ${SAGAS} sagas, ${FAULTS} faults`);
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

  async function inject(kind: FaultKind): Promise<void> {
    faults[kind]++;
    const slot = Math.floor(random() * 2);
    log(`fault: ${kind}${kind.startsWith('orchestrator') ? ` #${slot}` : ''}`);
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
        if (participants.exitCode === null && participants.signalCode === null) {
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

  // every kind at least once when there are enough faults, then random kinds
  const kinds: FaultKind[] = Array.from({ length: FAULTS }, (_, i) =>
    i < FAULT_KINDS.length
      ? FAULT_KINDS[i]
      : FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)],
  ).sort(() => random() - 0.5);
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
  const deadline = Date.now() + Number(args['settle-seconds']) * 1000;
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

  const violations: string[] = [];
  if (open !== 0) violations.push(`${open} sagas not terminal after ${args['settle-seconds']} s`);
  const rowsById = new Map(
    (
      await db.query<{ id: string; status: string; error: { code: string; step?: string } | null }>(
        'SELECT id, status, error FROM skald.saga_instance',
      )
    ).rows.map((r) => [r.id, r]),
  );
  const sagas = new Map([...rowsById].map(([id, r]) => [id, r.status]));
  if (sagas.size !== planned.length)
    violations.push(`${sagas.size} sagas in the database, ${planned.length} started`);
  const rows = async (table: string) =>
    (await db.query<{ saga_id: string; status: string }>(`SELECT saga_id, status FROM ${table}`))
      .rows;
  const tables = {
    cars: await rows('demo_car_rentals'),
    hotels: await rows('demo_hotel_bookings'),
    flights: await rows('demo_flight_tickets'),
  };
  const payments = (
    await db.query<{ saga_id: string; amount: string }>('SELECT saga_id, amount FROM demo_payments')
  ).rows;
  let expectedMoney = 0;
  for (const saga of planned) {
    const status = sagas.get(saga.id!);
    if (status !== saga.expected) {
      const error = rowsById.get(saga.id!)?.error;
      violations.push(
        `saga ${saga.key} ${saga.id} is ${status} (${error ? `${error.code} at ${error.step}` : 'no error'}), its inputs demand ${saga.expected}`,
      );
    }
    for (const [name, list] of Object.entries(tables)) {
      const mine = list.filter((r) => r.saga_id === saga.id);
      const active = mine.filter((r) => r.status !== 'cancelled').length;
      if (saga.expected === 'completed' && (mine.length !== 1 || active !== 1)) {
        violations.push(
          `saga ${saga.key}: ${name} has ${mine.length} rows (${active} active), expected exactly one`,
        );
      }
      if (saga.expected === 'compensated' && active !== 0)
        violations.push(`saga ${saga.key}: orphan ${name} reservation`);
    }
    const charged = payments.filter((p) => p.saga_id === saga.id);
    if (
      charged.length > (saga.expected === 'completed' ? 1 : 0) ||
      (saga.expected === 'completed' && charged.length !== 1)
    ) {
      violations.push(`saga ${saga.key}: ${charged.length} charges`);
    }
    if (saga.expected === 'completed') expectedMoney += saga.input.amount;
  }
  const money = payments.reduce((sum, p) => sum + Number(p.amount), 0);
  if (money !== expectedMoney)
    violations.push(`payments ledger holds ${money}, completed sagas charged ${expectedMoney}`);
  const outbox = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM skald.outbox'))
    .rows[0].n;
  if (outbox !== 0) violations.push(`${outbox} outbox rows left unpublished`);
  await db.end();

  console.log(
    '\n| sagas | completed | compensated | ' + FAULT_KINDS.join(' | ') + ' | violations |',
  );
  console.log('|' + ' --- |'.repeat(4 + FAULT_KINDS.length));
  const count = (s: string) => [...sagas.values()].filter((v) => v === s).length;
  console.log(
    `| ${planned.length} | ${count('completed')} | ${count('compensated')} | ${FAULT_KINDS.map((k) => faults[k]).join(' | ')} | ${violations.length} |`,
  );
  for (const v of violations.slice(0, 20)) console.log(`violation: ${v}`);
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
