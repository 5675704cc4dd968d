// Kafka credentials against a broker of its own that requires them: SASL (SCRAM-SHA-256/512, PLAIN)
// over TLS with the PEM certificate of a throwaway CA. The orchestrator process and the demo
// participants' process (the SDK) run a saga to completion and the conformance kit passes, each
// logged in from KAFKA_SASL_* / KAFKA_TLS_*; a wrong password, or a certificate not trusted, stops
// each with one clear error; and no configured secret shows in any of their output, /health,
// /metrics or /docs-json.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createParticipant, KafkaAuthenticationError } from '@skald/participant';
import {
  createTestCertificates,
  OrchestratorHarness,
  repoRoot,
  runToEnd,
  spawnOrchestrator,
  startLocalKafka,
  startTestProcess,
  type LocalKafka,
  type TestCertificates,
  type TestProcess,
} from '@skald/testing';

const secret = (name: string) => `${name}-${randomBytes(12).toString('hex')}`;
const USERS = {
  orchestrator: { username: 'skald', password: secret('kafka-skald') },
  participants: { username: 'demo', password: secret('kafka-demo') },
};
const WRONG_PASSWORD = secret('kafka-wrong');
const API_KEYS = { admin: secret('admin-key'), banks: secret('banks-key') };
const SECRETS = [
  ...Object.values(USERS).map((u) => u.password),
  WRONG_PASSWORD,
  ...Object.values(API_KEYS),
];
const BOOK_TRIP = join(repoRoot, 'apps/demo/src/sagas/book-trip.ts');

describe('Kafka credentials: SASL over TLS, from the environment (real processes)', () => {
  let dir: string;
  let certs: TestCertificates;
  let kafka: LocalKafka;
  let skald: OrchestratorHarness;
  let demo: TestProcess;
  /** Everything each process of this file printed, and what the API served, checked for secrets. */
  const outputs: { what: string; text: string }[] = [];

  /** The orchestrator's credentials: its password from a file, the broker's CA from a file. */
  const orchestratorEnv = (password = USERS.orchestrator.password) => {
    const passwordFile = join(dir, `password-${randomBytes(4).toString('hex')}`);
    writeFileSync(passwordFile, `${password}\n`);
    return {
      KAFKA_SASL_MECHANISM: 'scram-sha-256',
      KAFKA_SASL_USERNAME: USERS.orchestrator.username,
      KAFKA_SASL_PASSWORD_FILE: passwordFile,
      KAFKA_TLS_CA_FILE: certs.caFile,
    };
  };
  const participantEnv = {
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: USERS.participants.username,
    KAFKA_SASL_PASSWORD: USERS.participants.password,
    KAFKA_TLS_CA_FILE: '',
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skald-kafka-credentials-'));
    certs = createTestCertificates(dir);
    participantEnv.KAFKA_TLS_CA_FILE = certs.caFile;
    kafka = await startLocalKafka({
      saslUsers: Object.values(USERS),
      tls: { certificate: certs.certificate, key: certs.key },
    });
    skald = await OrchestratorHarness.start({
      sagas: [BOOK_TRIP],
      brokers: kafka.brokers,
      env: {
        ...orchestratorEnv(),
        SKALD_API_KEYS: `admin:admin:${API_KEYS.admin},banks:read:${API_KEYS.banks}`,
        // kafkajs' debug entries too: they must not carry a secret either
        LOG_LEVEL: 'debug',
      },
      apiKey: API_KEYS.admin,
    });
    demo = startTestProcess(
      join(repoRoot, 'apps/demo/src/main.ts'),
      {
        DATABASE_URL: skald.db.url,
        KAFKA_BROKERS: kafka.brokers.join(','),
        SKALD_TOPIC_PREFIX: skald.topicPrefix,
        SKALD_URL: skald.url,
        SKALD_API_KEY: API_KEYS.banks,
        ...participantEnv,
      },
      'demo participants consuming',
    );
    await demo.ready;
  });
  after(async () => {
    await demo?.stop();
    await skald?.stop();
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a trip saga to completion: the orchestrator with SCRAM-SHA-256, the SDK with SCRAM-SHA-512', async () => {
    const saga = await skald.startSaga('book-trip', {
      customer: 'ada',
      car: { model: 'compact' },
      hotel: { city: 'Lisbon', nights: 2 },
      flight: { to: 'Rome' },
      amount: 300,
    });
    const done = await skald.waitForStatus(saga.id, 'completed');
    assert.equal(done.status, 'completed', JSON.stringify(done));
  });

  it('the conformance kit checks the demo cars participant, logged in with PLAIN', async () => {
    const output = await runToEnd(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        'libs/conformance/src/cli.ts',
        ...['--participant', 'cars', '--brokers', kafka.brokers.join(',')],
        ...['--topic-prefix', skald.topicPrefix, '--command', 'reserve'],
        ...['--payload', '{"customer":"ada","model":"compact"}', '--compensation', 'cancel'],
      ],
      { cwd: repoRoot, env: { ...process.env, ...participantEnv, KAFKA_SASL_MECHANISM: 'plain' } },
    );
    outputs.push({ what: 'skald-conformance', text: output });
    assert.match(output, /9 checks on participant "cars" .*: 9 passed, 0 failed/);
  });

  /** Runs an orchestrator with `env` to its exit; its output is kept for the secrets check. */
  async function failedStart(what: string, env: NodeJS.ProcessEnv) {
    const started = Date.now();
    const orchestrator = await spawnOrchestrator({
      DATABASE_URL: skald.db.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      SKALD_TOPIC_PREFIX: skald.topicPrefix,
      SKALD_SAGAS: BOOK_TRIP,
      LOG_LEVEL: 'debug',
      ...env,
    });
    // one that keeps retrying instead fails the test rather than hanging it
    const timer = setTimeout(() => void orchestrator.stop('SIGKILL'), 60_000);
    const code = await orchestrator.exited();
    clearTimeout(timer);
    outputs.push({ what, text: orchestrator.output() });
    return { code, output: orchestrator.output(), ms: Date.now() - started };
  }

  it('a wrong password stops the orchestrator at start-up: exit 2, one line naming user, mechanism and broker', async () => {
    const { code, output, ms } = await failedStart(
      'orchestrator with a wrong password',
      orchestratorEnv(WRONG_PASSWORD),
    );
    assert.equal(code, 2, output);
    const lines = output.split('\n').filter((l) => /authentication failed/i.test(l));
    assert.deepEqual(lines.length, 1, output);
    assert.ok(
      lines[0].startsWith(
        `skald: Kafka SASL authentication failed for user "skald" with mechanism scram-sha-256 at broker ${kafka.brokers[0]} (`,
      ),
      lines[0],
    );
    assert.match(lines[0], /Check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD/);
    assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
    assert.ok(ms < 30_000, `it gave up at once, not after retries (${ms} ms)`);
  });

  it('a broker certificate it cannot verify stops the orchestrator at start-up with one line', async () => {
    const { KAFKA_TLS_CA_FILE: _, ...withoutCa } = orchestratorEnv();
    const { code, output } = await failedStart('orchestrator without the CA', {
      ...withoutCa,
      KAFKA_TLS: 'true',
    });
    assert.equal(code, 2, output);
    const lines = output.split('\n').filter((l) => l.includes('TLS handshake failed'));
    assert.equal(lines.length, 1, output);
    assert.match(
      lines[0],
      new RegExp(
        `^skald: Kafka TLS handshake failed at broker ${kafka.brokers[0]} \\(Connection error: unable to verify the first certificate\\)\\. Check KAFKA_TLS_CA_FILE`,
      ),
    );
  });

  it("a wrong password rejects the SDK's start() with one KafkaAuthenticationError", async () => {
    const logged: string[] = [];
    const participant = createParticipant({
      name: 'cars-with-a-wrong-password',
      kafka: {
        brokers: kafka.brokers,
        sasl: { mechanism: 'scram-sha-512', username: 'demo', password: WRONG_PASSWORD },
        ssl: { ca: readFileSync(certs.caFile, 'utf8') },
      },
      log: (line) => logged.push(line),
    });
    const error = await participant.start().then(
      () => assert.fail('start() should reject'),
      (e: unknown) => e,
    );
    await participant.stop();
    outputs.push({ what: 'SDK log', text: logged.join('\n') });
    outputs.push({ what: 'SDK error', text: String(error) });
    assert.ok(error instanceof KafkaAuthenticationError, String(error));
    assert.equal(error.code, 'KAFKA_AUTHENTICATION_FAILED');
    assert.match(
      error.message,
      new RegExp(
        `^Kafka SASL authentication failed for user "demo" with mechanism scram-sha-512 at broker ${kafka.brokers[0]} .*Check the participant’s kafka.sasl option\\.$`,
      ),
    );
    assert.deepEqual(logged, [], 'the error is the one report');
  });

  it('no configured secret appears in any output, in /health, /metrics or /docs-json', async () => {
    for (const path of ['/health', '/metrics', '/docs-json']) {
      const res = await skald.request<unknown>('GET', path);
      assert.equal(res.status, 200, path);
      outputs.push({ what: path, text: JSON.stringify(res.body) });
    }
    outputs.push({ what: 'orchestrator', text: skald.process.output() });
    outputs.push({ what: 'demo participants', text: demo.output() });
    assert.ok(skald.process.output().includes('kafkajs'), 'the debug log has kafkajs entries');
    for (const { what, text } of outputs)
      for (const value of SECRETS)
        assert.ok(!text.includes(value), `${what} shows the secret ${value.split('-')[0]}…`);
  });
});
