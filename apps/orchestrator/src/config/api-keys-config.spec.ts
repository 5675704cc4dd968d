import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseApiKeys } from '../auth/api-keys';
import { ConfigError, loadOrchestratorConfig } from './orchestrator-config';

const SECRET = 'k3y-0123456789abcdef';
const valid = { DATABASE_URL: 'postgres://u:p@localhost:5432/skald', KAFKA_BROKERS: 'x:1' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadOrchestratorConfig({ ...valid, ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('API keys in the configuration', () => {
  it('reads name:scopes:secret, comma-separated, scopes joined by +', () => {
    const { entries, problems } = parseApiKeys({
      env: `ops:read+operate:${SECRET}, ci:start:${SECRET}-ci,`,
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(
      entries.map((e) => [e.name, e.scopes.join('+')]),
      [
        ['ops', 'read+operate'],
        ['ci', 'start'],
      ],
    );
  });

  it('keeps a secret with colons whole', () => {
    const { entries } = parseApiKeys({ env: `ops:read:${SECRET}:more` });
    assert.equal(entries[0].secret, `${SECRET}:more`);
  });

  it('reads the file one key a line, skipping blank lines and # comments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skald-keys-'));
    const path = join(dir, 'keys');
    writeFileSync(path, `# the operators\n\n  ops:operate:${SECRET}  \n#ci:start:${SECRET}-ci\n`);
    const config = loadOrchestratorConfig({ ...valid, SKALD_API_KEYS_FILE: path });
    assert.deepEqual(
      config.apiKeys.map((k) => k.name),
      ['ops'],
    );
    assert.ok(!JSON.stringify(config).includes(SECRET), 'only digests are kept');
  });

  it('refuses each bad key with one line naming it, never quoting the secret', () => {
    const problems = problemsOf({
      SKALD_API_KEYS: [
        `a:read+fly:${SECRET}-a`,
        'b:read:',
        `c:read:short`,
        `d:read:${SECRET}-d`,
        `d:start:${SECRET}-d2`,
        `e:admin:${SECRET}-d`,
        `no-colons-${SECRET}`,
        `bad name:read:${SECRET}-f`,
      ].join(','),
      SKALD_PUBLIC_METRICS_AND_DOCS: 'sometimes',
    });
    assert.deepEqual(problems, [
      'SKALD_PUBLIC_METRICS_AND_DOCS must be true or false',
      'SKALD_API_KEYS entry 1 (key a): unknown scope "fly"; scopes are read, start, operate, admin, joined by +',
      'SKALD_API_KEYS entry 2 (key b): the secret is empty',
      'SKALD_API_KEYS entry 3 (key c): the secret must be 16-512 characters long',
      'SKALD_API_KEYS entry 7 must look like name:scopes:secret (e.g. ops:read+operate:…)',
      'SKALD_API_KEYS entry 8: the key name must be 1-64 letters, digits, ".", "_" or "-"',
      'API key name d is used twice',
      'API keys d and e have the same secret',
    ]);
    assert.ok(problems.every((p) => !p.includes(SECRET)));
  });

  it('refuses a key file that cannot be read or holds no key', () => {
    assert.match(
      problemsOf({ SKALD_API_KEYS_FILE: '/nonexistent/keys' })[0],
      /^SKALD_API_KEYS_FILE \/nonexistent\/keys cannot be read \(ENOENT\)$/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'skald-keys-'));
    writeFileSync(join(dir, 'keys'), '# nothing yet\n\n');
    assert.deepEqual(problemsOf({ SKALD_API_KEYS_FILE: join(dir, 'keys') }), [
      `SKALD_API_KEYS_FILE ${join(dir, 'keys')} holds no key`,
    ]);
  });
});
