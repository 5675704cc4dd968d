import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeCommand, encodeReply, HEADERS, withSignature } from '@skald/protocol';
import { MessageSigning } from '../auth/message-signing';
import { ConfigError, loadOrchestratorConfig } from './orchestrator-config';

const NEW = 'n'.repeat(40);
const OLD = 'o'.repeat(40);
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

const reply = encodeReply({
  id: '9d1c3b5a-7e2f-4a60-8b19-0c2d4e6f8a11',
  source: 'cars',
  time: '2026-11-24T10:00:01.000Z',
  correlationId: '0b6f5d2c-6a3e-4f61-9a57-3c1b1e1f2a01',
  sagaId: '5f0c8e7e-2b9d-4c1a-8f3e-6d2a9b7c4e10',
  outcome: 'success',
  data: {},
});
const signedWith = (id: string, secret: string) => ({
  ...reply,
  headers: withSignature(reply, { id, secret }),
});

describe('message signing in the configuration', () => {
  it('is off without keys', () => {
    assert.equal(loadOrchestratorConfig(valid).signing, undefined);
    assert.equal(loadOrchestratorConfig({ ...valid, SKALD_SIGNING_KEYS: '' }).signing, undefined);
  });

  it('reads keyId:secret, comma-separated, in order (the first signs); every participant by default', () => {
    const config = loadOrchestratorConfig({
      ...valid,
      SKALD_SIGNING_KEYS: ` k2:${NEW}, k1:${OLD}:with-colon ,`,
    });
    assert.deepEqual(config.signing, {
      keys: [
        { id: 'k2', secret: NEW },
        { id: 'k1', secret: `${OLD}:with-colon` },
      ],
      participants: '*',
    });
  });

  it('reads the file one key a line, skipping blank lines and # comments', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'skald-signing-')), 'keys');
    writeFileSync(path, `# rotated 2026-11\n\nk2:${NEW}\n#k0:${OLD}\nk1:${OLD}\n`);
    const config = loadOrchestratorConfig({
      ...valid,
      SKALD_SIGNING_KEYS_FILE: path,
      SKALD_SIGNING_PARTICIPANTS: 'cars, hotels,cars',
    });
    assert.deepEqual(
      config.signing?.keys.map((k) => k.id),
      ['k2', 'k1'],
    );
    assert.deepEqual(config.signing?.participants, ['cars', 'hotels']);
    const nobody = {
      ...valid,
      SKALD_SIGNING_KEYS: `k1:${NEW}`,
      SKALD_SIGNING_PARTICIPANTS: 'none',
    };
    assert.deepEqual(loadOrchestratorConfig(nobody).signing?.participants, []);
  });

  it('refuses bad settings with one line each, never quoting a secret', () => {
    const short = 'too-short-secret';
    const file = join(mkdtempSync(join(tmpdir(), 'skald-signing-')), 'keys');
    writeFileSync(file, `k1:${NEW}\n`);
    const problems = [
      ...problemsOf({ SKALD_SIGNING_KEYS: `k1:${short},nocolon,k1:${NEW}` }),
      ...problemsOf({ SKALD_SIGNING_KEYS: `k1:${short}` }),
      ...problemsOf({ SKALD_SIGNING_KEYS: `k1:${NEW},k1:${OLD}` }),
      ...problemsOf({ SKALD_SIGNING_KEYS: `k1:${NEW}`, SKALD_SIGNING_KEYS_FILE: file }),
      ...problemsOf({ SKALD_SIGNING_KEYS_FILE: '/nonexistent/keys' }),
      ...problemsOf({ SKALD_SIGNING_PARTICIPANTS: 'cars' }),
      ...problemsOf({ SKALD_SIGNING_KEYS: `k1:${NEW}`, SKALD_SIGNING_PARTICIPANTS: 'cars,*' }),
      ...problemsOf({ SKALD_SIGNING_KEYS: `k1:${NEW}`, SKALD_SIGNING_PARTICIPANTS: 'cars,none' }),
    ];
    assert.deepEqual(problems, [
      'SKALD_SIGNING_KEYS entry 2 must look like keyId:secret',
      'SKALD_SIGNING_KEYS key 1 (k1): the secret must be 32-512 characters long',
      'SKALD_SIGNING_KEYS: key id k1 is used twice',
      'SKALD_SIGNING_KEYS and SKALD_SIGNING_KEYS_FILE are both set: set one (its first key signs)',
      'SKALD_SIGNING_KEYS_FILE /nonexistent/keys cannot be read (ENOENT)',
      'SKALD_SIGNING_PARTICIPANTS is set, but there are no signing keys: set SKALD_SIGNING_KEYS or SKALD_SIGNING_KEYS_FILE',
      'SKALD_SIGNING_PARTICIPANTS must be *, none, or a comma-separated list of participant names (letters, digits, ".", "_", "-"), got "cars,*"',
      'SKALD_SIGNING_PARTICIPANTS must be *, none, or a comma-separated list of participant names (letters, digits, ".", "_", "-"), got "cars,none"',
    ]);
    for (const secret of [short, NEW, OLD]) assert.ok(!problems.join('\n').includes(secret));
  });
});

describe('MessageSigning', () => {
  const everyone = new MessageSigning({
    keys: [
      { id: 'k2', secret: NEW },
      { id: 'k1', secret: OLD },
    ],
    participants: '*',
  });
  const onlyCars = new MessageSigning({
    keys: [{ id: 'k2', secret: NEW }],
    participants: ['cars'],
  });

  it('signs commands with the first key; off, it leaves them as they are', () => {
    const command = encodeCommand({
      id: '0b6f5d2c-6a3e-4f61-9a57-3c1b1e1f2a01',
      source: 'skald-orchestrator',
      command: 'reserve',
      time: '2026-11-24T10:00:00.000Z',
      sagaId: '5f0c8e7e-2b9d-4c1a-8f3e-6d2a9b7c4e10',
      step: 'reserve-car',
      attempt: 1,
      phase: 'execute',
      replyTo: 'skald.replies',
      data: {},
    });
    const record = { key: command.key, payload: command.value, headers: command.headers };
    assert.match(everyone.commandHeaders(record)[HEADERS.signature], /^v1:k2:[\w-]{43}$/);
    assert.equal(new MessageSigning(undefined).commandHeaders(record), command.headers);
  });

  it('accepts a reply signed with either key, refuses a bad or unknown one whoever must sign', () => {
    assert.deepEqual(everyone.checkReply(signedWith('k1', OLD)), { signed: true });
    assert.deepEqual(everyone.checkReply(signedWith('k2', NEW)), { signed: true });
    for (const signing of [everyone, onlyCars]) {
      assert.equal(
        (signing.checkReply(signedWith('k9', NEW)) as { refused: string }).refused,
        'unknown-key',
      );
      assert.equal(
        (signing.checkReply(signedWith('k2', OLD)) as { refused: string }).refused,
        'bad-signature',
      );
    }
  });

  it('an unsigned reply: refused at once when everyone must sign, else left to its participant', () => {
    assert.equal((everyone.checkReply(reply) as { refused: string }).refused, 'missing');
    assert.deepEqual(onlyCars.checkReply(reply), { signed: false });
    assert.equal(onlyCars.requiredFor('cars'), true);
    assert.equal(onlyCars.requiredFor('hotels'), false);
    assert.equal(new MessageSigning(undefined).requiredFor('cars'), false);
    const nobody = new MessageSigning({ keys: [{ id: 'k2', secret: NEW }], participants: [] });
    assert.deepEqual(nobody.checkReply(reply), { signed: false });
    assert.equal(nobody.requiredFor('cars'), false);
    assert.equal(
      (nobody.checkReply(signedWith('k2', OLD)) as { refused: string }).refused,
      'bad-signature',
    );
  });

  it('describes itself by key ids and participants, never a secret', () => {
    const line = everyone.describe();
    assert.match(line, /signed with key k2 \(accepted: k2, k1\).*every participant/);
    assert.ok(!line.includes(NEW) && !line.includes(OLD));
  });
});
