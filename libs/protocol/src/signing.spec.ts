import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { encodeCommand, encodeReply, type WireMessage } from './envelope';
import {
  SIGNED_HEADERS,
  signatureOf,
  signingInput,
  signingKeyProblems,
  verifySignature,
  withSignature,
  type SigningKey,
} from './signing';
import { HEADERS } from './wire';

const current: SigningKey = { id: 'k2', secret: 'c'.repeat(32) };
const previous: SigningKey = { id: 'k1', secret: 'p'.repeat(32) };

const command = encodeCommand({
  id: '0b6f5d2c-6a3e-4f61-9a57-3c1b1e1f2a01',
  source: 'skald-orchestrator',
  command: 'reserve',
  time: '2026-11-24T10:00:00.000Z',
  sagaId: '5f0c8e7e-2b9d-4c1a-8f3e-6d2a9b7c4e10',
  step: 'reserve-car',
  attempt: 2,
  run: 1,
  phase: 'execute',
  replyTo: 'skald.replies',
  data: { model: 'compact' },
});
const reply = encodeReply({
  id: '9d1c3b5a-7e2f-4a60-8b19-0c2d4e6f8a11',
  source: 'cars',
  time: '2026-11-24T10:00:01.000Z',
  correlationId: command.headers[HEADERS.id],
  sagaId: command.key,
  outcome: 'success',
  data: { id: 'car-1' },
});

const signed = (record: typeof command | typeof reply, key: SigningKey = current) => ({
  ...record,
  headers: withSignature(record, key),
});

describe('message signatures', () => {
  it('a signed command and a signed reply verify, naming the key', () => {
    assert.deepEqual(verifySignature(signed(command), [current]), { ok: true, keyId: 'k2' });
    assert.deepEqual(verifySignature(signed(reply), [current]), { ok: true, keyId: 'k2' });
  });

  it('is HMAC-SHA256 over the canonical form: one length-prefixed field per line', () => {
    const input = signingInput(reply).toString();
    assert.ok(input.startsWith(`ce_id:36:${reply.headers.ce_id}\nce_type:11:skald.reply\n`));
    assert.ok(input.includes('\nce_sagastep:0:\n'), 'an absent header is an empty field');
    assert.ok(input.endsWith(`\nkey:36:${reply.key}\nvalue:14:{"id":"car-1"}\n`));
    const mac = createHmac('sha256', current.secret).update(input).digest('base64url');
    assert.equal(signatureOf(reply, current), `v1:k2:${mac}`);
  });

  it('rotation: any configured key verifies, each by its id; withSignature replaces an old signature', () => {
    assert.deepEqual(verifySignature(signed(reply, previous), [current, previous]), {
      ok: true,
      keyId: 'k1',
    });
    const resigned = { ...reply, headers: withSignature(signed(reply, previous), current) };
    assert.deepEqual(verifySignature(resigned, [current]), { ok: true, keyId: 'k2' });
  });

  it('refuses a message with no signature, or an empty one', () => {
    for (const message of [reply, { ...reply, headers: { ...reply.headers, ce_signature: '' } }]) {
      const check = verifySignature(message, [current]);
      assert.equal(check.ok, false);
      assert.equal(!check.ok && check.failure, 'missing');
    }
  });

  it('refuses a key id that is not configured (the retired key after rotation), naming it', () => {
    const check = verifySignature(signed(reply, previous), [current]);
    assert.equal(!check.ok && check.failure, 'unknown-key');
    assert.match(!check.ok ? check.reason : '', /key id "k1", which is not configured here/);
  });

  it('refuses a signature of another secret under the same key id, without quoting secrets or MACs', () => {
    const forged = signed(reply, { id: 'k2', secret: 'f'.repeat(32) });
    const check = verifySignature(forged, [current]);
    assert.equal(!check.ok && check.failure, 'bad-signature');
    const reason = !check.ok ? check.reason : '';
    for (const secret of [current.secret, 'f'.repeat(32)]) assert.ok(!reason.includes(secret));
    assert.ok(!reason.includes(forged.headers.ce_signature.split(':')[2]));
  });

  it('refuses a header that is not v1:<key id>:<43 base64url characters>', () => {
    const good = signed(reply).headers.ce_signature;
    for (const bad of [good.slice(0, -1), `v2${good.slice(2)}`, good.replace('v1:k2:', 'k2:')]) {
      const check = verifySignature(
        { ...reply, headers: { ...reply.headers, ce_signature: bad } },
        [current],
      );
      assert.equal(!check.ok && check.failure, 'bad-signature', bad);
    }
  });

  it('refuses a change to any signed header (added, changed, removed), the key or the value', () => {
    for (const original of [signed(command), signed(reply)]) {
      for (const name of SIGNED_HEADERS) {
        const value = original.headers[name as keyof typeof original.headers];
        const changed: WireMessage[] = [
          { ...original, headers: { ...original.headers, [name]: `${value ?? ''}x` } },
        ];
        if (value !== undefined) {
          const { [name as keyof typeof original.headers]: _removed, ...rest } = original.headers;
          changed.push({ ...original, headers: rest });
        }
        for (const message of changed) {
          const check = verifySignature(message, [current]);
          assert.equal(!check.ok && check.failure, 'bad-signature', `${name} changed`);
        }
      }
      for (const message of [
        { ...original, key: 'another-key' },
        { ...original, value: original.value.replace('}', ',"x":1}') },
        { ...original, value: null },
      ]) {
        assert.equal(verifySignature(message, [current]).ok, false);
      }
    }
  });

  it('moving bytes from one header to the next changes the signature (length-prefixed fields)', () => {
    const original = signed(reply);
    const moved = {
      ...original,
      headers: { ...original.headers, ce_type: 'skald.repl', ce_source: 'ycars' },
    };
    assert.equal(verifySignature(moved, [current]).ok, false);
  });

  it('reads headers as the decoders do: Buffers, and the last of a repeated one', () => {
    const original = signed(reply);
    const asKafkaGivesIt: WireMessage = {
      key: Buffer.from(original.key),
      value: Buffer.from(original.value),
      headers: Object.fromEntries(
        Object.entries(original.headers).map(([k, v]) => [
          k,
          [Buffer.from('stale'), Buffer.from(v)],
        ]),
      ),
    };
    assert.deepEqual(verifySignature(asKafkaGivesIt, [current]), { ok: true, keyId: 'k2' });
  });

  it('headers outside the signed list (ce_specversion, traceparent, content-type) are not covered', () => {
    const original = signed(reply);
    const traced = { ...original, headers: { ...original.headers, traceparent: '00-abc-def-01' } };
    assert.deepEqual(verifySignature(traced, [current]), { ok: true, keyId: 'k2' });
  });

  it('key problems name the key and the rule, never the secret', () => {
    const short = 'short-secret';
    const problems = signingKeyProblems(
      [
        { id: 'k1', secret: short },
        { id: 'k1', secret: 'x'.repeat(32) },
        { id: 'bad id', secret: 'x'.repeat(32) },
        { id: 'k3', secret: '' },
        { id: 'k4', secret: `${'y'.repeat(32)},` },
      ],
      'SKALD_SIGNING_KEYS',
    );
    assert.deepEqual(problems, [
      'SKALD_SIGNING_KEYS key 1 (k1): the secret must be 32-512 characters long',
      'SKALD_SIGNING_KEYS: key id k1 is used twice',
      'SKALD_SIGNING_KEYS key 3: the key id must be 1-64 letters, digits, ".", "_" or "-"',
      'SKALD_SIGNING_KEYS key 4 (k3): the secret is empty',
      'SKALD_SIGNING_KEYS key 5 (k4): the secret may contain only visible ASCII characters other than ","',
    ]);
    assert.ok(!problems.join('\n').includes(short));
    assert.deepEqual(signingKeyProblems([], 'signing.keys'), [
      'signing.keys: no signing key given',
    ]);
    assert.deepEqual(signingKeyProblems([current, previous], 'signing.keys'), []);
  });
});
