// `npm start` (scripts/start.ts) as a process, on a database and topic prefix of its own: it
// stops everything when its orchestrator cannot run, runs sagas of yours beside the demo's, and
// closes the API with a key it generates and prints (or with the SKALD_API_KEYS you give it).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createTestDatabase,
  findFreePort,
  repoRoot,
  startTestProcess,
  uniqueName,
  type TestDatabase,
} from '@skald/testing';

describe('npm start', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  const start = async (env: NodeJS.ProcessEnv) => {
    const port = env.PORT ?? String(await findFreePort());
    const started = startTestProcess(
      join(repoRoot, 'scripts/start.ts'),
      { DATABASE_URL: db.url, SKALD_TOPIC_PREFIX: uniqueName('start'), PORT: port, ...env },
      // printed once the demo trips and the transfer are done
      'Start your own:',
    );
    return { started, api: `http://127.0.0.1:${port}` };
  };

  it('answers a busy PORT with one line naming it, and starts nothing', async () => {
    const busy: Server = createServer();
    const port = await findFreePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const { started } = await start({ PORT: String(port) });
      assert.equal(await started.exit, 1);
      assert.match(
        started.output(),
        new RegExp(`port ${port} is in use; choose another with PORT`),
      );
      assert.doesNotMatch(started.output(), /started PostgreSQL|orchestrator/);
    } finally {
      busy.close();
    }
  });

  it('stops everything and exits non-zero when its orchestrator exits during start-up', async () => {
    const { started } = await start({ SKALD_SAGAS: join(repoRoot, 'no/such/sagas.js') });
    // before, the stack and the participants kept running, and so did this process
    assert.equal(await started.exit, 1);
    assert.match(started.output(), /skald: .*no\/such\/sagas\.js/);
    assert.match(started.output(), /the orchestrator exited \(2\); stopping everything/);
  });

  it('runs the sagas of SKALD_SAGAS beside the demo saga', async () => {
    const { started, api } = await start({
      SKALD_SAGAS: join(repoRoot, 'apps/orchestrator/test/fixtures/versioned-v1.ts'),
    });
    try {
      await started.ready;
      const key = /API key \(admin, generated for this run[^\n]*\n {2}(\S+)/.exec(
        started.output(),
      )?.[1];
      assert.ok(key, started.output());
      assert.equal((await fetch(`${api}/v1/saga-types`)).status, 401, 'the API is closed');
      const headers = { authorization: `Bearer ${key}` };
      const types = (await (await fetch(`${api}/v1/saga-types`, { headers })).json()) as {
        items: { type: string }[];
      };
      assert.deepEqual([...new Set(types.items.map((t) => t.type))].sort(), [
        'book-trip',
        'versioned',
      ]);
    } finally {
      await started.stop('SIGINT');
    }
    assert.match(started.output(), /a trip to Oslo: saga [0-9a-f-]+ is completed/);
    // the printed curl examples carry the key
    assert.match(started.output(), /→ {2}curl -s -H 'authorization: Bearer demo-[0-9a-f]+' http/);
    assert.match(started.output(), /a 2PC transfer .* is committed/);
    // what a participant of one's own needs, ready to paste into a shell
    const exports = `export DATABASE_URL=${db.url}\n  export KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`;
    assert.ok(started.output().includes(exports), started.output());
  });

  it('uses the SKALD_API_KEYS it is given, calling with the admin key among them', async () => {
    const admin = `mine-${'a'.repeat(24)}`;
    const { started, api } = await start({
      SKALD_API_KEYS: `viewer:read:view-${'b'.repeat(24)},boss:admin:${admin}`,
    });
    try {
      await started.ready;
    } finally {
      await started.stop('SIGINT');
    }
    assert.match(started.output(), /API keys: yours \(SKALD_API_KEYS\)/);
    assert.match(started.output(), /a trip to Oslo: saga [0-9a-f-]+ is completed/);
    assert.ok(started.output().includes(`curl -s -H 'authorization: Bearer ${admin}' ${api}`));
  });

  it('refuses SKALD_API_KEYS without an admin key, naming what to add', async () => {
    const { started } = await start({ SKALD_API_KEYS: `viewer:read:view-${'b'.repeat(24)}` });
    assert.equal(await started.exit, 1);
    assert.match(started.output(), /no admin key for the demo’s own calls; add one/);
  });
});
