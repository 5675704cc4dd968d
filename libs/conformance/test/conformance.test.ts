import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { ensureTopics, type Participant } from '@skald/participant';
import { commandTopic, decodeCommand, encodeReply } from '@skald/protocol';
import { createTestDatabase, repoRoot, uniqueName, type TestDatabase } from '@skald/testing';
import { DEMO_SCHEMA_SQL, demoParticipants } from '../../../apps/demo/src/participants';
import { CHECKS, type Report } from '@skald/conformance';

const CLI = join(repoRoot, 'libs/conformance/src/cli.ts');

/** Runs skald-conformance as its own process, as a user would. */
function runKit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', CLI, ...args], {
    cwd: repoRoot,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * A participant written without the SDK that gets only the easy part right: it answers every
 * command it can decode, to the right topic with the right correlation, with a fresh result. It
 * remembers nothing (no dedupe, no fence) and drops what it cannot decode (no dead letter).
 */
async function startCarelessParticipant(brokers: string[], prefix: string, name: string) {
  const kafka = new Kafka({ clientId: name, brokers, logLevel: logLevel.NOTHING });
  const topic = commandTopic(prefix, name);
  await ensureTopics(kafka, [topic]);
  const producer: Producer = kafka.producer();
  const consumer: Consumer = kafka.consumer({ groupId: `${prefix}.participant.${name}` });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      let command;
      try {
        command = decodeCommand(message);
      } catch {
        return;
      }
      await producer.send({
        topic: command.replyTo,
        messages: [
          encodeReply({
            id: randomUUID(),
            source: name,
            time: new Date().toISOString(),
            correlationId: command.id,
            sagaId: command.sagaId,
            outcome: 'success',
            data: { id: randomUUID() },
          }),
        ],
      });
    },
  });
  return { stop: () => Promise.all([consumer.disconnect(), producer.disconnect()]) };
}

describe('skald-conformance: checks a running participant from the outside', () => {
  const brokers = process.env.KAFKA_BROKERS!;
  const prefix = uniqueName('conformance');
  const demoCar = { customer: 'ada', model: 'compact' };
  const demoArgs = [
    '--brokers',
    brokers,
    '--topic-prefix',
    prefix,
    '--command',
    'reserve',
    '--payload',
    JSON.stringify(demoCar),
    '--compensation',
    'cancel',
  ];
  let db: TestDatabase;
  let pool: Pool;
  let cars: Participant;
  let careless: { stop(): Promise<unknown> };

  before(async () => {
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url });
    await pool.query(DEMO_SCHEMA_SQL);
    [cars] = demoParticipants({
      brokers: brokers.split(','),
      pool,
      topicPrefix: prefix,
      log: () => undefined,
    });
    await cars.start();
    careless = await startCarelessParticipant(brokers.split(','), prefix, 'careless');
  });
  after(async () => {
    await careless.stop();
    await cars.stop();
    await pool.end();
    await db.drop();
  });

  it('passes the demo cars participant (the SDK): every check, exit 0', async () => {
    const run = await runKit(['--participant', 'cars', ...demoArgs]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.deepEqual(
      lines.slice(0, -1).map((line) => line.split(':')[0]),
      Object.keys(CHECKS).map((id) => `PASS ${id}`),
    );
    assert.match(lines.at(-1)!, /^9 checks on participant "cars" .*: 9 passed, 0 failed$/);
    // the kit's sagas that ran the step: the first command, the repeated compensation, the one
    // behind the malformed commands; each reserved once, whatever was sent again
    const { rows } = await pool.query<{ status: string; count: number }>(
      'SELECT status, count(*)::int AS count FROM demo_car_rentals GROUP BY saga_id, status ORDER BY status',
    );
    assert.deepEqual(rows, [
      { status: 'cancelled', count: 1 },
      { status: 'reserved', count: 1 },
      { status: 'reserved', count: 1 },
    ]);
  });

  it('prints the report as JSON with --json', async () => {
    const run = await runKit(['--participant', 'cars', ...demoArgs, '--json']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    assert.equal(report.passed, true);
    assert.equal(report.commandTopic, `${prefix}.commands.cars`);
    assert.deepEqual(report.leftovers, []);
    assert.equal(report.checks.length, Object.keys(CHECKS).length);
  });

  it('fails a participant without dedupe, fence or dead letters: each FAIL line says why, exit 1', async () => {
    const run = await runKit(['--participant', 'careless', ...demoArgs, '--timeout-ms', '3000']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const line = (id: string) => run.stdout.split('\n').find((l) => l.includes(` ${id}: `)) ?? '';
    for (const id of ['correlation', 'empty-compensation', 'stays-up'])
      assert.match(line(id), /^PASS /, run.stdout);
    const ranAgain =
      /first answered success \{"id":"[-0-9a-f]+"\}, then success \{"id":"[-0-9a-f]+"\}/;
    assert.match(
      line('redelivery'),
      new RegExp(`^FAIL .*the same ce_id sent again: ${ranAgain.source}`),
    );
    assert.match(line('new-attempt'), new RegExp(`^FAIL .*attempt 2: ${ranAgain.source}`));
    assert.match(line('repeated-compensation'), new RegExp(`^FAIL .*${ranAgain.source}`));
    assert.match(
      line('fenced-after-compensation'),
      /^FAIL .*: answered success \{"id":.*\}: the command ran after its compensation$/,
    );
    for (const id of ['dead-letter-bad-json', 'dead-letter-missing-header'])
      assert.match(
        line(id),
        /^FAIL .*: nothing on the DLQ with its ce_id within 3000 ms; no reply with ce_correlationid [-0-9a-f]+ within 3000 ms$/,
      );
    assert.match(run.stdout, /9 checks on participant "careless" .*: 3 passed, 6 failed\n$/);
  });

  it('a missing flag is bad usage: exit 2, naming the flag', async () => {
    const run = await runKit(demoArgs);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /required option '--participant <name>' not specified/);
    assert.equal(run.stdout, '');
  });

  it('a participant whose topic does not exist is not checked: exit 1, saying so', async () => {
    const run = await runKit(['--participant', 'nobody', ...demoArgs]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `topic ${prefix}\\.commands\\.nobody does not exist: start participant "nobody" first`,
      ),
    );
  });
});
