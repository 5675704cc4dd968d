// API keys at the edges, against real orchestrator processes: bad Authorization headers are 401s
// with a clear message (never a 5xx, never a crash), a bad key configuration stops the start-up
// with one line naming the key (never its secret), SKALD_PUBLIC_METRICS_AND_DOCS opens /metrics
// and /docs only, and with no keys the API is open as before, says so once, and records
// `anonymous` as the actor of an operator action.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OrchestratorHarness, spawnOrchestrator } from '@skald/testing';

const SECRET = `reader-${randomBytes(16).toString('hex')}`;
const sagas = [join(__dirname, '../fixtures/auth-sagas.ts')];

describe('API keys at the edges (orchestrator processes, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas,
      env: { SKALD_API_KEYS: `reader:read:${SECRET}` },
    });
  });
  after(() => skald.stop());

  const get = (authorization: string) =>
    skald.request<{ statusCode: number; message: string; code?: string }>(
      'GET',
      '/v1/sagas',
      undefined,
      { authorization },
    );

  it('answers a malformed, empty, lower-case or overlong Authorization header clearly', async () => {
    const cases: [string, number, RegExp][] = [
      ['', 401, /an API key is required: send Authorization: Bearer <secret>/],
      [SECRET, 401, /malformed Authorization header: expected "Bearer <secret>"/],
      [`Basic ${SECRET}`, 401, /malformed Authorization header/],
      [`Bearer:${SECRET}`, 401, /malformed Authorization header/],
      ['Bearer', 401, /"Bearer" but no API key after it/],
      ['Bearer ', 401, /"Bearer" but no API key after it/],
      [`Bearer ${SECRET} extra`, 401, /unknown API key/],
      [`Bearer ${'x'.repeat(8_000)}`, 401, /longer than \d+ characters; an API key is at most 512/],
      [`Bearer ${'\u00e9'.repeat(40)}`, 401, /unknown API key/],
      // the scheme is case-insensitive (RFC 7235 §2.1): a lower-case one is as good
      [`bearer ${SECRET}x`, 401, /unknown API key/],
      [`bearer ${SECRET}`, 200, /./],
    ];
    for (const [header, status, message] of cases) {
      const res = await get(header);
      const what = `${header.slice(0, 30)}… → ${res.status} ${JSON.stringify(res.body)}`;
      assert.equal(res.status, status, what);
      if (status === 200) continue;
      assert.equal(res.body.statusCode, status, what);
      assert.equal(res.body.code, 'API_KEY_REQUIRED', what);
      assert.match(res.body.message, message, what);
      assert.ok(!res.body.message.includes(SECRET), 'the message never echoes a secret');
    }
  });

  it("answers a header past Node's 16 KiB limit with 431, and keeps serving", async () => {
    const res = await get(`Bearer ${'x'.repeat(20_000)}`);
    assert.equal(res.status, 431);
    assert.equal((await get(`Bearer ${SECRET}`)).status, 200);
    assert.equal(skald.process.child.exitCode, null, 'still running');
  });

  it('opens /metrics and /docs, and nothing else, with SKALD_PUBLIC_METRICS_AND_DOCS', async () => {
    assert.equal((await skald.request('GET', '/metrics')).status, 401, 'closed by default');
    await skald.restart({
      env: { SKALD_API_KEYS: `reader:read:${SECRET}`, SKALD_PUBLIC_METRICS_AND_DOCS: 'true' },
    });
    for (const path of ['/metrics', '/docs-json', '/docs', '/health'])
      assert.equal((await skald.request('GET', path)).status, 200, path);
    const document = (await skald.request<OpenApi>('GET', '/docs-json')).body;
    assert.deepEqual(document.paths['/metrics'].get.security, [], 'the document says so');
    assert.deepEqual(document.paths['/v1/sagas'].get.security, [{ 'api-key': [] }]);
    assert.equal(document.components.securitySchemes['api-key'].scheme, 'bearer');
    assert.equal((await skald.request('GET', '/v1/sagas')).status, 401);
  });

  it('is open with no keys, warns once at start-up, and records the actor as anonymous', async () => {
    await skald.restart({ env: { LOG_LEVEL: 'warn' } });
    const warnings = skald.process
      .output()
      .split('\n')
      .filter((l) => l.includes('the REST API is open'));
    assert.equal(warnings.length, 1, skald.process.output());
    assert.match(warnings[0], /SKALD_API_KEYS=name:scopes:secret/);
    const saga = await skald.startSaga('wait-forever', {});
    const cancel = await skald.request('POST', `/v1/sagas/${saga.id}/cancel`, {});
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const entry = (await skald.history(saga.id)).find((h) => h.type === 'cancel-requested');
    assert.equal(entry?.details?.actor, 'anonymous');
  });
});

describe('a bad API key configuration', () => {
  const refusals: [string, NodeJS.ProcessEnv, RegExp][] = [
    [
      'an unknown scope',
      { SKALD_API_KEYS: `ops:read+fly:${SECRET}` },
      /SKALD_API_KEYS entry 1 \(key ops\): unknown scope "fly"/,
    ],
    ['an empty secret', { SKALD_API_KEYS: 'ops:read:' }, /\(key ops\): the secret is empty/],
    [
      'a duplicate name',
      { SKALD_API_KEYS: `ops:read:${SECRET},ops:start:${SECRET}-2` },
      /API key name ops is used twice/,
    ],
    [
      'a duplicate secret',
      { SKALD_API_KEYS: `ops:read:${SECRET},ci:start:${SECRET}` },
      /API keys ops and ci have the same secret/,
    ],
    [
      'an unreadable key file',
      { SKALD_API_KEYS_FILE: '/nonexistent/skald-keys' },
      /SKALD_API_KEYS_FILE \/nonexistent\/skald-keys cannot be read \(ENOENT\)/,
    ],
  ];
  for (const [what, env, line] of refusals) {
    it(`stops the start-up with one line naming ${what}, never the secret`, async () => {
      const orchestrator = await spawnOrchestrator({
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/never-reached',
        KAFKA_BROKERS: '127.0.0.1:1',
        SKALD_SAGAS: sagas[0],
        ...env,
      });
      assert.equal(await orchestrator.exited(), 2, orchestrator.output());
      const problems = orchestrator
        .output()
        .split('\n')
        .filter((l) => l.trim().startsWith('- '));
      assert.equal(problems.length, 1, orchestrator.output());
      assert.match(problems[0], line);
      assert.ok(!orchestrator.output().includes(SECRET), 'the secret is never printed');
    });
  }
});

interface OpenApi {
  paths: Record<string, { get: { security?: unknown[] } }>;
  components: { securitySchemes: Record<string, { scheme: string }> };
}
