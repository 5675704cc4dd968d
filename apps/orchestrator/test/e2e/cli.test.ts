// The `skald` CLI as an operator runs it: its own process (bin/skald.js), against an orchestrator
// process with API keys, real Kafka and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CommandEnvelope } from '@skald/protocol';
import {
  findFreePort,
  OrchestratorHarness,
  repoRoot,
  type ScriptedAnswer,
  type ScriptedParticipant,
  waitUntil,
} from '@skald/testing';

const BIN = join(repoRoot, 'apps/orchestrator/bin/skald.js');
const ADMIN = 'cli-admin-secret-0123456789abcdef';
const READER = 'cli-reader-secret-0123456789abcdef';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Customers whose hotel compensation is broken (until fixed), to make `failed` sagas. */
const brokenHotels = new Set<string>();

function answer(participant: string) {
  return (command: CommandEnvelope): ScriptedAnswer => {
    const customer = (command.data as { customer?: string } | null)?.customer ?? '';
    // slow-order waits on its approval; its compensation goes through
    if (participant === 'approvals' && command.phase !== 'compensate') return { outcome: 'none' };
    if (participant === 'flights' && customer.startsWith('refused'))
      return { outcome: 'failure', code: 'NO_SEATS' };
    if (participant === 'hotels' && command.phase === 'compensate' && brokenHotels.size > 0)
      return { outcome: 'error', code: 'DB_DOWN' };
    return { outcome: 'success', data: { id: `${participant}-1` } };
  };
}

describe('skald CLI against a running orchestrator', () => {
  let skald: OrchestratorHarness;
  let participants: Record<string, ScriptedParticipant>;

  /** Runs `skald <args>` with SKALD_URL and the given key (admin by default). */
  function cli(args: string[], apiKey: string | null = ADMIN): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, SKALD_URL: skald.url };
    if (apiKey !== null) env.SKALD_API_KEY = apiKey;
    else delete env.SKALD_API_KEY;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await cli([...args, '--json']);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/trip-sagas.ts')],
      env: { SKALD_API_KEYS: `ops:admin:${ADMIN},viewer:read:${READER}` },
      apiKey: ADMIN,
    });
    participants = await skald.scriptedParticipants(
      ['cars', 'hotels', 'flights', 'payments', 'museums', 'approvals'],
      answer,
    );
  });
  after(async () => {
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await skald.stop();
  });

  it('starts a saga, gets it, lists it and shows its history, as tables and as JSON', async () => {
    const started = await json<{ id: string }>([
      'sagas',
      'start',
      'book-trip',
      '--input',
      '{"customer":"ada"}',
    ]);
    await skald.waitForStatus(started.id, 'completed');

    const shown = await cli(['sagas', 'get', started.id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`id: +${started.id}`));
    assert.match(shown.stdout, /status: +completed/);
    assert.match(shown.stdout, /^STEP +STATUS +ATTEMPTS/m);

    const listed = await cli(['sagas', 'list', '--type', 'book-trip', '--status', 'completed']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID +TYPE +STATUS +STARTED +ERROR/);
    assert.ok(listed.stdout.includes(started.id));
    const page = await json<{ items: { id: string }[] }>([
      'sagas',
      'list',
      '--status',
      'completed',
      '--newer-than',
      '1h',
    ]);
    assert.ok(page.items.some((s) => s.id === started.id));
    const old = await json<{ items: unknown[] }>(['sagas', 'list', '--older-than', '1h']);
    assert.deepEqual(old.items, []);

    const history = await json<{ type: string }[]>(['sagas', 'history', started.id]);
    assert.equal(history.at(-1)?.type, 'status-changed');
    assert.ok(history.some((h) => h.type === 'step-succeeded'));
  });

  it('cancels a waiting saga, and retries a failed one after the fix', async () => {
    const slow = await json<{ id: string }>([
      'sagas',
      'start',
      'slow-order',
      '--input',
      '{"customer":"bob"}',
    ]);
    await waitUntil(async () => (await skald.saga(slow.id)).steps[1].status === 'running', {
      what: 'the slow order waiting on its approval',
    });
    const cancelled = await json<{ id: string }>(['sagas', 'cancel', slow.id, '--reason', 'test']);
    assert.equal(cancelled.id, slow.id);
    await skald.waitForStatus(slow.id, 'compensated');

    brokenHotels.add('x');
    const doomed = await json<{ id: string }>([
      'sagas',
      'start',
      'book-trip',
      '--input',
      '{"customer":"refused-carl"}',
    ]);
    await skald.waitForStatus(doomed.id, 'failed');
    const failed = await cli([
      'sagas',
      'list',
      '--status',
      'failed',
      '--error-code',
      'COMPENSATION_FAILED',
    ]);
    assert.ok(failed.stdout.includes(doomed.id), failed.stdout);
    brokenHotels.clear();
    assert.equal((await cli(['sagas', 'retry', doomed.id])).code, 0);
    await skald.waitForStatus(doomed.id, 'compensated');
    const actors = (await skald.history(doomed.id)).map((h) => h.details?.actor).filter(Boolean);
    assert.ok(actors.includes('ops'), 'the key name recorded with the retry');
  });

  it('shows participants and 2PC transactions', async () => {
    const shown = await cli(['participants']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^NAME +BREAKER +INFLIGHT +QUEUED/);
    assert.match(shown.stdout, /^cars +closed +\d+\/\d+/m);
    const transactions = await json<{ items: unknown[] }>(['transactions', 'list']);
    assert.ok(Array.isArray(transactions.items));
  });

  it('opens a participant’s breaker by hand with a reason, and closes it', async () => {
    interface Shown {
      breaker: { state: string; manual: { state: string; reason: string; actor: string } };
    }
    const opened = await json<Shown>([
      'participants',
      'breaker',
      'museums',
      'open',
      '--reason',
      'museum maintenance',
    ]);
    const { state, reason, actor } = opened.breaker.manual;
    assert.deepEqual(
      { breaker: opened.breaker.state, state, reason, actor },
      { breaker: 'open', state: 'open', reason: 'museum maintenance', actor: 'ops' },
    );
    assert.match((await cli(['participants'])).stdout, /^museums +open \(by hand\) +\d+\/\d+/m);
    const closed = await cli(['participants', 'breaker', 'museums', 'closed', '--reason', 'done']);
    assert.equal(closed.code, 0, closed.stderr);
    assert.match(closed.stdout, /^breaker: +closed$/m);
    assert.match(closed.stdout, /^by: +ops$/m);
    assert.match((await cli(['participants'])).stdout, /^museums +closed +\d+\/\d+/m);

    const noReason = await cli(['participants', 'breaker', 'museums', 'open']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /required option '--reason <reason>' not specified/);
    const badState = await cli(['participants', 'breaker', 'museums', 'ajar', '--reason', 'x']);
    assert.equal(badState.code, 2);
    assert.match(badState.stderr, /value 'ajar' is invalid for argument 'state'/);
    const unknown = await cli(['participants', 'breaker', 'museum', 'open', '--reason', 'x']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /404 unknown participant "museum"; known participants: .*museums/);
    const reader = await cli(
      ['participants', 'breaker', 'museums', 'open', '--reason', 'x'],
      READER,
    );
    assert.equal(reader.code, 1);
    assert.match(reader.stderr, /403 .*operate/);
  });

  it('exits 2 with the reason on a bad flag, a bad duration or bad JSON', async () => {
    const bad = await cli(['sagas', 'list', '--colour', 'red']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option '--colour'/);
    const duration = await cli(['sagas', 'list', '--older-than', 'yesterday']);
    assert.equal(duration.code, 2);
    assert.match(duration.stderr, /--older-than takes a duration such as 30s, 15m, 2h or 7d/);
    const input = await cli(['sagas', 'start', 'book-trip', '--input', '{customer']);
    assert.equal(input.code, 2);
    assert.match(input.stderr, /--input is not JSON/);
    const action = await cli(['bulk', 'explode', '--status', 'failed']);
    assert.equal(action.code, 2);
    assert.match(action.stderr, /value 'explode' is invalid for argument 'action'/);
  });

  it('exits 1 with the API’s message when refused, 3 when the orchestrator is unreachable', async () => {
    const missing = await cli(['sagas', 'get', '00000000-0000-4000-8000-000000000000']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /404 saga 0{8}-0{4}-4000-8000-0{12} does not exist/);
    const anonymous = await cli(['sagas', 'list'], null);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /401 .*\(set SKALD_API_KEY or --api-key\)/);
    const reader = await cli(
      ['sagas', 'start', 'book-trip', '--input', '{"customer":"x"}'],
      READER,
    );
    assert.equal(reader.code, 1);
    assert.match(reader.stderr, /403 .*start/);
    const port = await findFreePort();
    const away = await cli(['sagas', 'list', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(away.code, 3);
    assert.match(
      away.stderr,
      new RegExp(`cannot reach the orchestrator at http://127.0.0.1:${port} \\(ECONNREFUSED\\)`),
    );
  });
});
