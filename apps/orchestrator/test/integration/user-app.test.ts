import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { runMigrations } from '@skald/persistence';
import { command, defineSaga } from '@skald/saga';
import { createTestDatabase, type TestDatabase } from '@skald/testing';
import { configureSkaldApp, loadOrchestratorConfig, SkaldModule } from '../../src';

const greeting = defineSaga('greeting', { version: 3 })
  .step('greet', { invoke: () => command('greeters', 'greet', { to: 'world' }) })
  .build();

describe('SkaldModule imported into a user’s own Nest app', () => {
  let db: TestDatabase;
  let app: NestExpressApplication;
  let url: string;

  before(async () => {
    db = await createTestDatabase();
    await runMigrations({ url: db.url });
    const config = loadOrchestratorConfig({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      SKALD_TOPIC_PREFIX: `user-app-${process.pid}`,
      LOG_LEVEL: 'warn',
    });

    @Module({ imports: [SkaldModule.forRoot({ config, sagas: [greeting] })] })
    class UserAppModule {}

    app = await NestFactory.create<NestExpressApplication>(UserAppModule, {
      bodyParser: false,
      bufferLogs: true,
    });
    configureSkaldApp(app, config);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  after(async () => {
    await app.close();
    await db.drop();
  });

  it('registers the definitions it was given and starts sagas of them', async () => {
    const types = (await (await fetch(`${url}/v1/saga-types`)).json()) as {
      items: { name: string; version: number }[];
    };
    assert.deepEqual(
      types.items.map((t) => `${t.name} v${t.version}`),
      ['greeting v3'],
    );
    const res = await fetch(`${url}/v1/sagas`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'greeting', input: {} }),
    });
    assert.equal(res.status, 201);
    const saga = (await res.json()) as {
      version: number;
      steps: { name: string; status: string }[];
    };
    assert.equal(saga.version, 3);
    assert.deepEqual(
      saga.steps.map((s) => [s.name, s.status]),
      [['greet', 'running']],
    );
  });
});
