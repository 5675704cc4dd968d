// The `skald` CLI as an operator runs it: its own process (bin/skald.js), against an orchestrator
// process with API keys, real Kafka and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
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

  it('pauses a running saga and resumes it, as tables and as JSON', async () => {
    const slow = await json<{ id: string }>([
      'sagas',
      'start',
      'slow-order',
      '--input',
      '{"customer":"paz"}',
    ]);
    await waitUntil(async () => (await skald.saga(slow.id)).steps[1].status === 'running', {
      what: 'the slow order waiting on its approval',
    });
    const noReason = await cli(['sagas', 'pause', slow.id]);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /required option '--reason <reason>' not specified/);
    const paused = await cli(['sagas', 'pause', slow.id, '--reason', 'look first']);
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^status: +paused$/m);
    assert.match(paused.stdout, /^waiting: +paused$/m);
    const again = await cli(['sagas', 'pause', slow.id, '--reason', 'twice']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /409 .*only a running saga can be paused/);
    const resumed = await json<{ id: string; status: string }>(['sagas', 'resume', slow.id]);
    assert.deepEqual([resumed.id, resumed.status], [slow.id, 'running']);
    const notPaused = await cli(['sagas', 'resume', slow.id]);
    assert.equal(notPaused.code, 1);
    assert.match(notPaused.stderr, /409 .*only a paused saga can be resumed/);
    const history = await skald.history(slow.id);
    const paused1 = history.find((h) => h.type === 'paused');
    assert.deepEqual(paused1?.details, { reason: 'look first', actor: 'ops' });
    assert.equal(history.find((h) => h.type === 'resumed')?.details?.actor, 'ops');
    await json(['sagas', 'cancel', slow.id, '--reason', 'done with it']);
    await skald.waitForStatus(slow.id, 'compensated');
  });

  it('bulk: a dry run counts, a retry with --wait follows the job to the end, status shows it', async () => {
    brokenHotels.add('x');
    const ids: string[] = [];
    for (const customer of ['refused-d', 'refused-e', 'refused-f']) {
      const saga = await json<{ id: string }>([
        'sagas',
        'start',
        'book-trip',
        '--input',
        JSON.stringify({ customer }),
      ]);
      ids.push(saga.id);
    }
    for (const id of ids) await skald.waitForStatus(id, 'failed');
    const filter = ['--status', 'failed', '--error-code', 'COMPENSATION_FAILED'];
    const dryRun = await cli(['bulk', 'retry', ...filter, '--dry-run']);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.match(dryRun.stdout, /^3 sagas would be affected\nID +TYPE +STATUS\n/);
    for (const id of ids) assert.ok(dryRun.stdout.includes(id), dryRun.stdout);
    assert.equal((await skald.saga(ids[0])).status, 'failed', 'a dry run changes nothing');

    brokenHotels.clear();
    const job = await json<{ id: string; status: string; succeeded: number; failed: number }>([
      'bulk',
      'retry',
      ...filter,
      '--reason',
      'hotels are back',
      '--wait',
    ]);
    assert.deepEqual([job.status, job.succeeded, job.failed], ['completed', 3, 0]);
    for (const id of ids) await skald.waitForStatus(id, 'compensated');
    const resumed = (await skald.history(ids[0])).find((h) => h.type === 'resumed');
    assert.deepEqual(resumed?.details, { actor: 'ops', bulkJobId: job.id });

    const status = await cli(['bulk', 'status', job.id]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^status: +completed$/m);
    assert.match(status.stdout, /^total: +3$/m);
    // retrying them again is refused per saga: --wait exits 1 and lists the failures
    const again = await cli([
      'bulk',
      'retry',
      '--type',
      'book-trip',
      '--newer-than',
      '1h',
      '--wait',
    ]);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stdout, /^failures:\nSAGA +CODE +MESSAGE\n/m);
    assert.match(again.stdout, /ILLEGAL_TRANSITION +saga .* only a failed saga can be retried/);
    const empty = await cli(['bulk', 'cancel']);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /bulk needs at least one filter/);
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

  it('checks the definitions: ok exits 0; a saga of an unregistered version exits 1 with the table', async () => {
    const fine = await cli(['definitions', 'check']);
    assert.equal(fine.code, 0, fine.stderr);
    assert.match(fine.stdout, /^ok: the registered definitions fit all \d+ unfinished sagas/);
    const started = await json<{ id: string }>([
      'sagas',
      'start',
      'book-trip',
      '--input',
      '{"customer":"ada"}',
    ]);
    await skald.waitForStatus(started.id, 'completed');
    // as if book-trip v7 had run here and been unregistered since
    const db = new Client(skald.db.url);
    await db.connect();
    const setSaga = (status: string, version: number) =>
      db.query('UPDATE skald.saga_instance SET status = $2, version = $3 WHERE id = $1', [
        started.id,
        status,
        version,
      ]);
    try {
      await setSaga('running', 7);
      const broken = await cli(['definitions', 'check']);
      assert.equal(broken.code, 1, broken.stderr);
      assert.match(broken.stdout, /^1 of \d+ unfinished sagas would break/);
      assert.match(broken.stdout, /^KIND +TYPE +VERSION +STEP +SAGAS +MESSAGE/m);
      assert.match(broken.stdout, /^missing-version +book-trip +7 +- +1 +1 unfinished saga: /m);
      const report = await cli(['definitions', 'check', '--json']);
      assert.equal(report.code, 1);
      const parsed = JSON.parse(report.stdout) as { ok: boolean; problems: { kind: string }[] };
      assert.equal(parsed.ok, false);
      assert.deepEqual(
        parsed.problems.map((p) => p.kind),
        ['missing-version'],
      );
    } finally {
      await setSaga('completed', 1);
      await db.end();
    }
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
