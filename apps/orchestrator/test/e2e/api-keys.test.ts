// API keys against a real orchestrator: every endpoint × every kind of caller (no key, an unknown
// key, a key per scope) → the expected 2xx, 401 or 403; the history names the key of each
// operator action; and no configured secret shows in its output, /health, /metrics or /docs-json.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OrchestratorHarness, type ScriptedParticipant } from '@skald/testing';

const secret = (name: string) => `${name}-${randomBytes(16).toString('hex')}`;
/** One key per scope; the caller's name is the key's name. */
const KEYS = {
  reader: { scopes: 'read', secret: secret('reader') },
  starter: { scopes: 'start', secret: secret('starter') },
  operator: { scopes: 'operate', secret: secret('operator') },
  root: { scopes: 'admin', secret: secret('root') },
} as const;
type KeyName = keyof typeof KEYS;
type Caller = 'no key' | 'unknown key' | KeyName;
const CALLERS: Caller[] = ['no key', 'unknown key', 'reader', 'starter', 'operator', 'root'];
const UNKNOWN_SECRET = secret('unknown');
const SECRETS = [...Object.values(KEYS).map((k) => k.secret), UNKNOWN_SECRET];

/** The header each caller sends; an empty one (no key) overrides the harness's own key. */
const authorization = (caller: Caller) => ({
  authorization:
    caller === 'no key'
      ? ''
      : `Bearer ${caller === 'unknown key' ? UNKNOWN_SECRET : KEYS[caller].secret}`,
});

/** A route, the scope it needs (none: open), and what a caller with that scope gets. */
interface Endpoint {
  method: 'GET' | 'POST';
  /** The path to call; `fresh`: the caller is let through, so it needs a target of its own. */
  path: (fresh: boolean) => Promise<string> | string;
  scope: 'read' | 'start' | 'operate' | undefined;
  body?: unknown;
  ok: number;
}

describe('API keys: who may call what (orchestrator process, real Kafka and PostgreSQL)', () => {
  let skald: OrchestratorHarness;
  let participants: Record<'rooms' | 'cards', ScriptedParticipant>;
  /** Sagas and transactions each authorized operator action acted on, with the caller. */
  const actedOn: { sagaId: string; caller: KeyName; action: string }[] = [];

  before(async () => {
    skald = await OrchestratorHarness.start({
      sagas: [join(__dirname, '../fixtures/auth-sagas.ts')],
      env: {
        SKALD_API_KEYS: Object.entries(KEYS)
          .map(([name, k]) => `${name}:${k.scopes}:${k.secret}`)
          .join(','),
        LOG_LEVEL: 'debug',
      },
      apiKey: KEYS.root.secret,
    });
    participants = await skald.scriptedParticipants(
      ['rooms', 'cards'] as const,
      (name) => (c) =>
        name === 'cards'
          ? { outcome: 'failure', code: 'DECLINED' }
          : c.phase === 'compensate'
            ? { outcome: 'error', code: 'ROOMS_DOWN' }
            : { outcome: 'success', data: {} },
    );
  });
  after(async () => {
    await Promise.all(Object.values(participants).map((p) => p.stop()));
    await skald.stop();
  });

  const waiting = async () => (await skald.startSaga('wait-forever', {})).id;
  /** A saga `failed` with the hold's release failed: it can be retried, or the release skipped. */
  const failed = async () => {
    const { id } = await skald.startSaga('stuck-release', {});
    await skald.waitForStatus(id, 'failed');
    return id;
  };
  const preparing = async () => {
    const res = await skald.request<{ id: string }>('POST', '/v1/transactions', {
      participants: [{ participant: 'nobody-answers', command: 'debit', payload: {} }],
      timeoutMs: 3_600_000,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };

  it('answers each endpoint × each caller with the expected 2xx, 401 or 403', async () => {
    const someSaga = await waiting();
    const someTransaction = await preparing();
    const [sharedWaiting, sharedFailed, sharedPreparing] = [
      await waiting(),
      await failed(),
      await preparing(),
    ];
    /** A target for an operator action: its own for each caller let through, else a shared one. */
    const act =
      (action: string, make: () => Promise<string>, shared: string, path: (id: string) => string) =>
      async (fresh: boolean) => (fresh ? path(await make()) : path(shared));
    const endpoints: Endpoint[] = [
      { method: 'GET', path: () => '/health', scope: undefined, ok: 200 },
      { method: 'GET', path: () => '/metrics', scope: 'read', ok: 200 },
      { method: 'GET', path: () => '/docs-json', scope: 'read', ok: 200 },
      { method: 'GET', path: () => '/docs', scope: 'read', ok: 200 },
      { method: 'GET', path: () => '/v1/saga-types', scope: 'read', ok: 200 },
      { method: 'GET', path: () => '/v1/participants', scope: 'read', ok: 200 },
      { method: 'GET', path: () => '/v1/sagas?limit=2', scope: 'read', ok: 200 },
      { method: 'GET', path: () => `/v1/sagas/${someSaga}`, scope: 'read', ok: 200 },
      { method: 'GET', path: () => `/v1/sagas/${someSaga}/history`, scope: 'read', ok: 200 },
      { method: 'GET', path: () => '/v1/transactions?limit=2', scope: 'read', ok: 200 },
      { method: 'GET', path: () => `/v1/transactions/${someTransaction}`, scope: 'read', ok: 200 },
      {
        method: 'POST',
        path: () => '/v1/sagas',
        body: { type: 'wait-forever', input: {} },
        scope: 'start',
        ok: 201,
      },
      {
        method: 'POST',
        path: () => '/v1/transactions',
        body: { participants: [{ participant: 'nobody-answers', command: 'debit', payload: {} }] },
        scope: 'start',
        ok: 201,
      },
      {
        method: 'POST',
        path: act('cancel', waiting, sharedWaiting, (id) => `/v1/sagas/${id}/cancel`),
        body: { reason: 'table test' },
        scope: 'operate',
        ok: 202,
      },
      {
        method: 'POST',
        path: act('retry', failed, sharedFailed, (id) => `/v1/sagas/${id}/retry`),
        scope: 'operate',
        ok: 202,
      },
      {
        method: 'POST',
        path: act(
          'skip',
          failed,
          sharedFailed,
          (id) => `/v1/sagas/${id}/steps/hold/skip-compensation`,
        ),
        body: { reason: 'released by hand' },
        scope: 'operate',
        ok: 202,
      },
      {
        method: 'POST',
        path: act('resolve', preparing, sharedPreparing, (id) => `/v1/transactions/${id}/resolve`),
        body: { outcome: 'abort', reason: 'table test' },
        scope: 'operate',
        ok: 200,
      },
    ];

    const expected = (endpoint: Endpoint, caller: Caller) => {
      if (endpoint.scope === undefined) return endpoint.ok;
      if (caller === 'no key' || caller === 'unknown key') return 401;
      const scope = KEYS[caller].scopes;
      return scope === endpoint.scope || scope === 'admin' ? endpoint.ok : 403;
    };
    const mismatches: string[] = [];
    for (const endpoint of endpoints) {
      for (const caller of CALLERS) {
        const want = expected(endpoint, caller);
        const fresh = want < 400 && endpoint.method === 'POST';
        const path = await endpoint.path(fresh);
        const res = await skald.request<{ message?: string; code?: string }>(
          endpoint.method,
          path,
          endpoint.body,
          authorization(caller),
        );
        const cell = `${endpoint.method} ${path} as ${caller}: ${res.status}, expected ${want}`;
        if (res.status !== want) mismatches.push(`${cell} ${JSON.stringify(res.body)}`);
        else if (want === 403) {
          assert.equal(res.body.code, 'API_KEY_SCOPE', cell);
          assert.match(res.body.message!, new RegExp(`lacks the scope "${endpoint.scope}"`), cell);
        } else if (want === 401) assert.equal(res.body.code, 'API_KEY_REQUIRED', cell);
        const sagaId = /\/v1\/sagas\/([^/]+)\/(cancel|retry|steps)/.exec(path)?.[1];
        if (fresh && sagaId && caller !== 'no key' && caller !== 'unknown key')
          actedOn.push({ sagaId, caller, action: path.split('/').pop()! });
      }
    }
    assert.deepEqual(mismatches, []);
  });

  it("records the key's name in the history entry of each cancel, retry and skip", async () => {
    assert.equal(actedOn.length, 6, 'operator and root, on cancel, retry and skip');
    const entryType = {
      cancel: 'cancel-requested',
      retry: 'resumed',
      'skip-compensation': 'compensation-skipped',
    };
    for (const { sagaId, caller, action } of actedOn) {
      const history = await skald.history(sagaId);
      const entry = history.find((h) => h.type === entryType[action as keyof typeof entryType]);
      assert.ok(entry, `${action} by ${caller}: ${history.map((h) => h.type).join(', ')}`);
      assert.equal(entry.details?.actor, caller, `${action} on ${sagaId}`);
    }
  });

  it('keeps every configured secret out of its output, /health, /metrics and /docs-json', async () => {
    const bodies = await Promise.all(
      ['/health', '/metrics', '/docs-json', '/docs-yaml'].map(async (path) => {
        const res = await skald.request('GET', path);
        assert.equal(res.status, 200, path);
        return JSON.stringify(res.body);
      }),
    );
    const output = skald.process.output();
    // the failed requests of the table test were logged (at warn), with their header redacted
    assert.match(output, /"authorization":"\[redacted\]"/);
    assert.match(output, /API keys: reader \(read\), starter \(start\), operator \(operate\)/);
    for (const text of [output, ...bodies])
      for (const s of SECRETS) assert.ok(!text.includes(s), `a secret (${s.split('-')[0]}) leaked`);
  });
});
