import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeCommand,
  decodeReply,
  deadLetter,
  encodeCommand,
  encodeReply,
  readCorrelation,
} from './envelope';
import { ProtocolError } from './errors';
import { HEADERS, isTopicName, MAX_HEADER_BYTES } from './wire';

const sagaId = '4b9f6a3e-8a1d-4c39-9d1e-3f1f2a6b7c8d';
const commandId = '0e4a1c2b-5d6f-4a7b-8c9d-0e1f2a3b4c5d';
const command = {
  id: commandId,
  source: 'skald/orchestrator',
  command: 'reserve',
  time: '2026-11-24T10:00:00.000Z',
  sagaId,
  step: 'reserve-car',
  attempt: 2,
  run: 3,
  phase: 'execute' as const,
  replyTo: 'skald.replies',
  data: { model: 'mini' },
};
const reply = {
  id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  source: 'cars',
  time: '2026-11-24T10:00:01.000Z',
  correlationId: commandId,
  sagaId,
  outcome: 'failure' as const,
  data: { code: 'SOLD_OUT', message: 'no minis left' },
};

function withHeader(name: string, value: string | undefined) {
  const encoded = encodeCommand(command);
  const headers: Record<string, string> = { ...encoded.headers };
  if (value === undefined) delete headers[name];
  else headers[name] = value;
  return { ...encoded, headers };
}

describe('command envelopes', () => {
  it('round-trip through the Kafka record, keyed by saga id', () => {
    const record = encodeCommand(command);
    assert.equal(record.key, sagaId);
    assert.equal(record.headers.ce_specversion, '1.0');
    assert.equal(record.headers.ce_type, 'reserve');
    assert.equal(record.headers.ce_attempt, '2');
    assert.equal(record.headers.ce_steprun, '3');
    assert.equal(record.headers['content-type'], 'application/json');
    const buffers = {
      key: Buffer.from(record.key),
      value: Buffer.from(record.value),
      headers: Object.fromEntries(
        Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v)]),
      ),
    };
    assert.deepEqual(decodeCommand(buffers), { ...command, traceParent: undefined });
  });

  it('accept ce_id and ce_sagaid of any UUID version (2PC command ids are v8), in either case', () => {
    for (const version of ['1', '4', '7', '8']) {
      const id = `0e4a1c2b-5d6f-${version}a7b-8c9d-0e1f2a3b4c5d`;
      assert.equal(decodeCommand(withHeader(HEADERS.id, id)).id, id);
      assert.equal(
        decodeCommand(withHeader(HEADERS.sagaId, id.toUpperCase())).sagaId,
        id.toUpperCase(),
      );
      assert.equal(decodeReply(encodeReply({ ...reply, correlationId: id })).correlationId, id);
    }
  });

  it('reads a command without ce_steprun (older senders, 2PC) as run 1', () => {
    assert.equal(decodeCommand(withHeader(HEADERS.stepRun, undefined)).run, 1);
  });

  const bad: [string, ReturnType<typeof withHeader>, RegExp][] = [
    ['missing ce_id', withHeader(HEADERS.id, undefined), /missing header ce_id/],
    ['ce_id not a UUID', withHeader(HEADERS.id, 'nope'), /ce_id must be a UUID/],
    ['missing ce_sagaid', withHeader(HEADERS.sagaId, undefined), /missing header ce_sagaid/],
    ['run zero', withHeader(HEADERS.stepRun, '0'), /ce_steprun must be a positive integer/],
    [
      'run not a number',
      withHeader(HEADERS.stepRun, '2x'),
      /ce_steprun must be a positive integer/,
    ],
    [
      'unknown phase',
      withHeader(HEADERS.phase, 'explode'),
      /ce_phase must be one of execute, compensate/,
    ],
    ['attempt zero', withHeader(HEADERS.attempt, '0'), /ce_attempt must be a positive integer/],
    ['wrong spec version', withHeader(HEADERS.specVersion, '0.3'), /ce_specversion must be 1.0/],
    [
      'wrong content type',
      withHeader(HEADERS.contentType, 'text/xml'),
      /content-type must be application\/json/,
    ],
    ['invalid JSON', { ...encodeCommand(command), value: '{"model":' }, /value is not valid JSON/],
    [
      'a control character in a header',
      withHeader(HEADERS.sagaStep, 'reserve\ncar'),
      /header ce_sagastep has a control character.*"reserve\\u000acar"/,
    ],
    [
      'U+0000 in a header',
      withHeader(HEADERS.source, 'a\u0000b'),
      /header ce_source has a control/,
    ],
    [
      'a header longer than MAX_HEADER_BYTES',
      withHeader(HEADERS.sagaStep, 'é'.repeat(MAX_HEADER_BYTES / 2 + 1)),
      /header ce_sagastep is 1026 bytes long, at most 1024 allowed/,
    ],
    [
      'a ce_replyto with a space',
      withHeader(HEADERS.replyTo, 'my replies'),
      /ce_replyto must be a Kafka topic name/,
    ],
    [
      'a ce_replyto of ".."',
      withHeader(HEADERS.replyTo, '..'),
      /ce_replyto must be a Kafka topic name/,
    ],
    [
      'a ce_replyto of 250 characters',
      withHeader(HEADERS.replyTo, 'r'.repeat(250)),
      /ce_replyto must be a Kafka topic name/,
    ],
    [
      'U+0000 in a JSON string',
      { ...encodeCommand(command), value: '{"model":"mi\\u0000ni"}' },
      /value has a string with U\+0000 or a lone surrogate.*"mi\\u0000ni"/,
    ],
    [
      'a lone surrogate in a JSON key',
      { ...encodeCommand(command), value: '{"a":[{"\\ud800":1}]}' },
      /value has a string with U\+0000 or a lone surrogate/,
    ],
  ];
  for (const [name, message, pattern] of bad) {
    it(`reject ${name} with a ProtocolError naming it`, () => {
      assert.throws(
        () => decodeCommand(message),
        (e: unknown) => e instanceof ProtocolError && pattern.test(e.message),
      );
    });
  }

  it('quote nothing unprintable from a value that is not JSON (the parser may cut a surrogate pair)', () => {
    const value = '񍣟𚎫񫿸𗝥🕥򥶽򕵢񊎮򇨨'.repeat(3);
    assert.throws(
      () => decodeCommand({ ...encodeCommand(command), value }),
      (e: unknown) =>
        e instanceof ProtocolError &&
        /value is not valid JSON/.test(e.message) &&
        !/[\p{Cs}\p{Cc}]/u.test(e.message),
    );
  });

  it('accept what jsonb stores: an escaped backslash before "u0000", surrogate pairs, emoji', () => {
    const value = '{"path":"C:\\\\u0000","smile":"\\ud83d\\ude00","raw":"😀"}';
    assert.deepEqual(decodeCommand({ ...encodeCommand(command), value }).data, {
      path: 'C:\\u0000',
      smile: '😀',
      raw: '😀',
    });
  });

  it('accept a header of exactly MAX_HEADER_BYTES, and a topic name of 249 characters', () => {
    const step = 's'.repeat(MAX_HEADER_BYTES);
    assert.equal(decodeCommand(withHeader(HEADERS.sagaStep, step)).step, step);
    assert.equal(decodeCommand(withHeader(HEADERS.replyTo, 'r'.repeat(249))).replyTo.length, 249);
  });
});

describe('topic names', () => {
  it("follow Kafka's grammar", () => {
    for (const name of ['skald.replies', 'a', 'A_b-9.x', '...', 't'.repeat(249)])
      assert.ok(isTopicName(name), name);
    for (const name of ['', '.', '..', 'a b', 'a/b', 'ü', 't'.repeat(250), 'a\u0000'])
      assert.ok(!isTopicName(name), JSON.stringify(name));
  });
});

describe('correlation of a rejected message', () => {
  it('gives only the headers it can be answered with', () => {
    const record = encodeCommand(command);
    assert.deepEqual(readCorrelation(record), {
      id: commandId,
      sagaId,
      replyTo: 'skald.replies',
    });
    const bad = {
      ...record,
      headers: {
        ...record.headers,
        ce_id: 'x',
        ce_replyto: 'bad topic',
        ce_sagaid: `${sagaId}\u0000`,
      },
    };
    assert.deepEqual(readCorrelation(bad), {
      id: undefined,
      sagaId: undefined,
      replyTo: undefined,
    });
  });
});

describe('reply envelopes', () => {
  it('round-trip, with ce_type skald.reply', () => {
    const record = encodeReply(reply);
    assert.equal(record.headers.ce_type, 'skald.reply');
    assert.deepEqual(decodeReply(record), { ...reply, traceParent: undefined });
  });

  it('require { code, message } on failure and error replies', () => {
    const record = encodeReply({ ...reply, data: { reason: 'x' } });
    assert.throws(
      () => decodeReply(record),
      /needs a JSON value \{ "code": string, "message": string \}/,
    );
  });

  it('reject an unknown outcome', () => {
    const record = encodeReply(reply);
    record.headers.ce_outcome = 'maybe';
    assert.throws(() => decodeReply(record), /ce_outcome must be one of success, failure, error/);
  });

  it('reject U+0000 in the value and a control character in any header', () => {
    assert.throws(
      () => decodeReply({ ...encodeReply(reply), value: '{"code":"X","message":"\\u0000"}' }),
      /value has a string with U\+0000/,
    );
    const record = encodeReply(reply);
    record.headers.ce_source = 'cars\u007f';
    assert.throws(() => decodeReply(record), /header ce_source has a control character/);
  });

  it('reject a command sent to the reply topic', () => {
    assert.throws(() => decodeReply(encodeCommand(command)), /ce_type must be skald.reply/);
  });
});

describe('dead letters', () => {
  it('keep the original record and add the reason and origin', () => {
    const original = { key: 'k', value: 'garbage', headers: { ce_id: 'x' } };
    const parked = deadLetter(original, 'value is not valid JSON', {
      topic: 'skald.replies',
      partition: 3,
      offset: '42',
    });
    assert.equal(parked.value, 'garbage');
    assert.equal(parked.headers.ce_id, 'x');
    assert.equal(parked.headers.skald_dlq_reason, 'value is not valid JSON');
    assert.equal(parked.headers.skald_dlq_topic, 'skald.replies');
    assert.equal(parked.headers.skald_dlq_offset, '42');
  });
});
