// docs/asyncapi.yaml is the wire protocol as a machine-readable contract. This spec parses it with
// the real AsyncAPI parser (no error or warning), then checks it against the code both ways: the
// records Skald's encoders produce (commands, replies, 2PC messages, dead letters) match the
// document's messages, and the headers the document marks required are exactly the ones the
// decoders refuse to do without. A change to either side that the other does not follow fails here.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import Ajv from 'ajv';
import {
  decodeCommand,
  decodeReply,
  deadLetter,
  deadLetterTopic,
  encodeReply,
  FENCE_TYPE,
  HEADERS,
  isUuid,
  MAX_HEADER_BYTES,
  OUTCOMES,
  PHASES,
  PROTOCOL_ERROR_CODES,
  REPLY_TYPE,
  replyTopic,
  commandTopic,
  SPEC_VERSION,
  withSignature,
  type ReplyEnvelope,
} from '@skald/protocol';
import { BusinessRefusal } from '@skald/participant';
import { begin, onReply, toTwoPhaseCommandId, type Outcome } from '@skald/two-phase';
import { COMMAND_SOURCES, commandRecord } from '../../apps/orchestrator/src/engine/command-records';
import { replyForError } from '../../libs/participant/src/operations';

const DOCUMENT = join(__dirname, '..', '..', 'docs', 'asyncapi.yaml');

type Schema = Record<string, unknown>;

/** A Kafka record as the encoders and the dead-letter builder give it. */
interface ProducedRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, Buffer | string>;
}

/** The header names a schema declares: its properties, and those of every allOf member. */
function declaredProperties(schema: Schema): Set<string> {
  const names = new Set(Object.keys((schema.properties as Schema | undefined) ?? {}));
  for (const member of (schema.allOf as Schema[] | undefined) ?? [])
    for (const name of declaredProperties(member)) names.add(name);
  return names;
}

/** Every `required` list of a schema and its allOf members, merged. */
function requiredProperties(schema: Schema): Set<string> {
  const names = new Set((schema.required as string[] | undefined) ?? []);
  for (const member of (schema.allOf as Schema[] | undefined) ?? [])
    for (const name of requiredProperties(member)) names.add(name);
  return names;
}

/** One property's schema, looked up through allOf (the first that has it). */
function propertySchema(schema: Schema, name: string): Schema | undefined {
  const own = (schema.properties as Record<string, Schema> | undefined)?.[name];
  if (own) return own;
  for (const member of (schema.allOf as Schema[] | undefined) ?? []) {
    const found = propertySchema(member, name);
    if (found) return found;
  }
  return undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

const text = (value: Buffer | string | null): string | null =>
  value === null ? null : value.toString();

/** The parsed document, and a checker of produced records against its messages. */
class Contract {
  // the parser leaves x-parser-* annotations in the schemas: not keywords, ignored
  private readonly ajv = new Ajv({ strict: false, allErrors: true })
    .addFormat('uuid', isUuid)
    .addFormat('date-time', (value: string) => RFC3339.test(value) && !isNaN(Date.parse(value)));

  constructor(readonly document: AsyncAPIDocumentInterface) {}

  message(id: string) {
    const found = this.document
      .messages()
      .all()
      .find((m) => m.id() === id);
    assert.ok(found, `the document has a message ${id}`);
    return found;
  }

  headerSchema(id: string): Schema {
    return this.message(id).headers()!.json() as Schema;
  }

  /** The channel the message belongs to, whose address the record's topic must match. */
  private channelOf(id: string) {
    const channel = this.document
      .channels()
      .all()
      .find((c) =>
        c
          .messages()
          .all()
          .some((m) => m.id() === id),
      );
    assert.ok(channel, `message ${id} is on a channel`);
    return channel;
  }

  private validate(schema: unknown, value: unknown, what: string): string[] {
    const check = this.ajv.compile(schema as Schema);
    return check(value)
      ? []
      : (check.errors ?? []).map(
          (e) => `${what}${e.instancePath || ''} ${e.message} ${JSON.stringify(e.params)}`,
        );
  }

  /**
   * Everything wrong with `record` as the document's message `id`: an undeclared header (a dead
   * letter may keep any header of the original, `kept`), a missing required one, a value its
   * schema refuses, a key or payload that does not match, a topic not of the message's channel.
   */
  problems(record: ProducedRecord, id: string, kept: Iterable<string> = []): string[] {
    const message = this.message(id);
    const headerSchema = this.headerSchema(id);
    const headers = Object.fromEntries(
      Object.entries(record.headers).map(([name, value]) => [name, value.toString()]),
    );
    const declared = declaredProperties(headerSchema);
    const allowed = new Set([...declared, ...kept]);
    const problems = Object.keys(headers)
      .filter((name) => !allowed.has(name))
      .map((name) => `header ${name} is not declared in message ${id}`);
    problems.push(...this.validate(headerSchema, headers, 'headers'));

    const channel = this.channelOf(id);
    const address = new RegExp(
      `^${channel
        .address()!
        .replace(/[.]/g, '\\.')
        .replace(/\{[^}]+\}/g, '[a-zA-Z0-9._-]+')}$`,
    );
    if (!address.test(record.topic))
      problems.push(`topic ${record.topic} is not ${channel.address()} (channel ${channel.id()})`);

    const keySchema = (message.bindings().get('kafka')?.value() as { key?: Schema } | undefined)
      ?.key;
    if (keySchema) problems.push(...this.validate(keySchema, text(record.key), 'key'));

    const payload = message.payload()?.json() as Schema | undefined;
    if (message.contentType() === 'application/json' && payload) {
      const value = text(record.value);
      problems.push(
        ...this.validate(
          payload,
          value === null || value === '' ? null : JSON.parse(value),
          'payload',
        ),
      );
    }
    return problems;
  }

  assertMatches(record: ProducedRecord, id: string, kept?: Iterable<string>): void {
    assert.deepEqual(
      this.problems(record, id, kept),
      [],
      `a produced record matches message ${id}`,
    );
  }
}

const prefix = 'skald';
const sagaId = randomUUID();
const now = Date.parse('2026-11-24T10:00:00.000Z');

/** A saga command as the orchestrator's outbox stores it (the relay publishes exactly this). */
function sagaCommand(m: {
  participant: string;
  command: string;
  step: string;
  phase: 'execute' | 'compensate' | 'fence';
  attempt: number;
  run?: number;
  payload: unknown;
}): ProducedRecord {
  const record = commandRecord(
    { topicPrefix: prefix, source: COMMAND_SOURCES.saga },
    { id: randomUUID(), sagaId, ...m },
    now,
  );
  return { topic: record.topic, key: record.key, value: record.payload, headers: record.headers };
}

/** The 2PC coordinator's messages of one outcome, built as TwoPhaseCoordinator.queue builds them. */
function twoPhaseCommands(outcome: Outcome): ProducedRecord[] {
  return outcome.messages.map((m) => {
    const record = commandRecord(
      { topicPrefix: prefix, source: COMMAND_SOURCES.twoPhase },
      { ...m, id: toTwoPhaseCommandId(randomUUID()), sagaId: outcome.state.id },
      now,
    );
    return { topic: record.topic, key: record.key, value: record.payload, headers: record.headers };
  });
}

/** A participant's reply as @skald/participant's ReplySender sends it. */
function reply(
  outcome: ReplyEnvelope['outcome'],
  data: unknown,
  correlationId: string = randomUUID(),
): ProducedRecord {
  const record = encodeReply({
    id: randomUUID(),
    source: 'cars',
    time: new Date(now).toISOString(),
    correlationId,
    sagaId,
    outcome,
    data,
  });
  return { topic: replyTopic(prefix), ...record };
}

const twoPhaseTimings = {
  resendMs: 1_000,
  resendMaxMs: 8_000,
  acknowledgeTimeoutMs: 60_000,
  random: () => 0.5,
};
const transaction = () =>
  begin(
    {
      id: randomUUID(),
      timeoutMs: 5_000,
      participants: [
        { participant: 'bank-a', command: 'debit', payload: { account: 'alice', amount: 10 } },
        { participant: 'bank-b', command: 'credit', payload: { account: 'bob', amount: 10 } },
      ],
    },
    now,
    twoPhaseTimings,
  );
const vote = (o: Outcome, index: number, outcome: 'success' | 'failure') =>
  onReply(
    o.state,
    {
      index,
      phase: 'prepare',
      outcome,
      data: outcome === 'success' ? {} : { code: 'NO', message: 'no' },
    },
    o.dueAt,
    now,
    twoPhaseTimings,
  );

describe('docs/asyncapi.yaml', () => {
  let contract: Contract;

  before(async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(DOCUMENT, 'utf8'), {
      source: DOCUMENT,
    });
    // parse() validates first. Severity 0 is an error, 1 a warning; 2 and 3 are hints (e.g.
    // "3.1.0 exists": 3.0 is what the issue asks for, and what most AsyncAPI tools read)
    const serious = diagnostics.filter((d) => d.severity <= 1);
    assert.deepEqual(
      serious.map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`),
      [],
      'the AsyncAPI parser reports no error and no warning',
    );
    assert.ok(document, 'the parser gives a document');
    contract = new Contract(document);
  });

  it('is an AsyncAPI 3 document', () => {
    assert.match(contract.document.version(), /^3\./);
  });

  it('names the topics of libs/protocol/src/wire.ts', () => {
    const addresses = contract.document
      .channels()
      .all()
      .map((c) => c.address());
    assert.deepEqual(
      addresses.sort(),
      [
        commandTopic('{prefix}', '{participant}'),
        deadLetterTopic('{prefix}'),
        replyTopic('{prefix}'),
      ].sort(),
    );
  });

  it('has the wire constants: phases, outcomes, types, spec version, header limit', () => {
    const command = contract.headerSchema('execute');
    const phases = propertySchema(command, HEADERS.phase)!.enum as string[];
    assert.deepEqual([...phases].sort(), Object.values(PHASES).sort());
    assert.deepEqual(
      propertySchema(contract.headerSchema('result'), HEADERS.outcome)!.enum,
      Object.values(OUTCOMES),
    );
    assert.equal(propertySchema(command, HEADERS.specVersion)!.const, SPEC_VERSION);
    assert.equal(propertySchema(contract.headerSchema('result'), HEADERS.type)!.const, REPLY_TYPE);
    const fenceType = (contract.headerSchema('fence').allOf as Schema[])
      .map((member) => propertySchema(member, HEADERS.type)?.const)
      .find((value) => value !== undefined);
    assert.equal(fenceType, FENCE_TYPE);
    const source = propertySchema(command, HEADERS.source)!;
    assert.equal((source.allOf as Schema[])[0].maxLength, MAX_HEADER_BYTES);
    assert.deepEqual(
      [...declaredProperties(contract.headerSchema('deadLetter'))].sort(),
      [
        HEADERS.deadLetterOffset,
        HEADERS.deadLetterPartition,
        HEADERS.deadLetterReason,
        HEADERS.deadLetterTopic,
      ].sort(),
    );
  });

  describe('matches what the encoders produce', () => {
    it('saga commands: execute (runs 1 and 2), compensate, fence', () => {
      const forward = { participant: 'cars', command: 'reserve', step: 'reserve-car' };
      contract.assertMatches(
        sagaCommand({
          ...forward,
          phase: 'execute',
          attempt: 1,
          run: 1,
          payload: { model: 'mini' },
        }),
        'execute',
      );
      contract.assertMatches(
        sagaCommand({ ...forward, phase: 'execute', attempt: 3, run: 2, payload: null }),
        'execute',
      );
      contract.assertMatches(
        sagaCommand({
          ...forward,
          command: 'cancel',
          phase: 'compensate',
          attempt: 1,
          payload: {},
        }),
        'compensate',
      );
      contract.assertMatches(
        sagaCommand({ ...forward, command: FENCE_TYPE, phase: 'fence', attempt: 1, payload: {} }),
        'fence',
      );
    });

    it('2PC: prepares, then commits; or aborts', () => {
      let o = transaction();
      for (const record of twoPhaseCommands(o)) contract.assertMatches(record, 'prepare');
      o = vote(vote(o, 0, 'success'), 1, 'success');
      assert.equal(o.state.decision, 'commit');
      for (const record of twoPhaseCommands(o)) contract.assertMatches(record, 'commit');
      const aborted = vote(transaction(), 1, 'failure');
      assert.equal(aborted.messages.length, 1);
      for (const record of twoPhaseCommands(aborted)) contract.assertMatches(record, 'abort');
    });

    it('replies: success, failure and error bodies of the SDK, fence answers, votes, acknowledgements', () => {
      contract.assertMatches(reply('success', { id: 'car-1' }), 'result');
      contract.assertMatches(reply('success', {}), 'result');
      const refused = replyForError(new BusinessRefusal('SOLD_OUT', 'no minis', { left: 0 }));
      contract.assertMatches(reply(refused.outcome, refused.data), 'refusal');
      const fenced = {
        code: PROTOCOL_ERROR_CODES.fenced,
        message: 'step reserve-car was compensated',
      };
      contract.assertMatches(reply('failure', fenced), 'refusal');
      const failed = replyForError(new Error('connection reset'));
      assert.equal(failed.outcome, 'error');
      contract.assertMatches(reply(failed.outcome, failed.data), 'error');
      for (const answer of [
        { executed: true, reply: { id: 'car-1' } },
        { executed: false },
        { executed: null },
      ])
        contract.assertMatches(reply('success', answer), 'fenceAnswer');
      const twoPhaseId = toTwoPhaseCommandId(randomUUID());
      contract.assertMatches(reply('success', { held: 10 }, twoPhaseId), 'yesVote');
      contract.assertMatches(
        reply('failure', { code: 'ALREADY_ABORTED', message: 'aborted here' }, twoPhaseId),
        'noVote',
      );
      contract.assertMatches(
        reply('success', { committed: true, repeated: true }, twoPhaseId),
        'acknowledgement',
      );
    });

    it('signed messages: a command (execute, prepare) and a reply with ce_signature', () => {
      const key = { id: '2026-11', secret: 'skald-example-secret-0123456789abcdef' };
      const signed = (record: ProducedRecord) => ({
        ...record,
        headers: withSignature(record, key),
      });
      contract.assertMatches(
        signed(
          sagaCommand({
            participant: 'cars',
            command: 'reserve',
            step: 'reserve-car',
            phase: 'execute',
            attempt: 1,
            payload: {},
          }),
        ),
        'execute',
      );
      for (const record of twoPhaseCommands(transaction()))
        contract.assertMatches(signed(record), 'prepare');
      contract.assertMatches(signed(reply('success', { id: 'car-1' })), 'result');
    });

    it('dead letters: the original record plus the four skald_dlq_* headers', () => {
      const original = sagaCommand({
        participant: 'cars',
        command: 'reserve',
        step: 'reserve-car',
        phase: 'execute',
        attempt: 1,
        payload: {},
      });
      delete original.headers[HEADERS.sagaId];
      const origin = { topic: original.topic, partition: 3, offset: '42' };
      const parked = deadLetter(original, 'malformed command: missing header ce_sagaid', origin);
      contract.assertMatches(
        { topic: deadLetterTopic(prefix), ...parked },
        'deadLetter',
        Object.keys(original.headers),
      );
      assert.deepEqual([parked.key, parked.value], [original.key, original.value]);
      // not even a command: binary headers, a value that is no JSON, no key
      const garbage = {
        key: null,
        value: Buffer.from([0xff, 0x00]),
        headers: { junk: Buffer.from('x') },
      };
      contract.assertMatches(
        {
          topic: deadLetterTopic(prefix),
          ...deadLetter(garbage, 'malformed command: missing header ce_specversion', origin),
        },
        'deadLetter',
        ['junk'],
      );
    });
  });

  describe('requires exactly what the decoders require', () => {
    const cases = [
      {
        id: 'execute',
        record: () =>
          sagaCommand({
            participant: 'cars',
            command: 'reserve',
            step: 's',
            phase: 'execute',
            attempt: 1,
            run: 1,
            payload: {},
          }),
        decode: decodeCommand,
      },
      { id: 'result', record: () => reply('success', {}), decode: decodeReply },
    ];
    for (const { id, record, decode } of cases) {
      it(`${id}: without a required header it does not decode; without an optional one it does`, () => {
        const schema = contract.headerSchema(id);
        const required = requiredProperties(schema);
        const produced = record();
        for (const name of Object.keys(produced.headers)) {
          const headers = { ...produced.headers };
          delete headers[name];
          const decoded = () => decode({ ...produced, headers });
          if (required.has(name))
            assert.throws(decoded, new RegExp(`missing header ${name}`), name);
          else assert.doesNotThrow(decoded, `${name} is optional in the document`);
        }
        for (const name of required)
          assert.ok(name in produced.headers, `required header ${name} is produced`);
      });
    }
  });

  it('refuses what breaks it: the checker is not a rubber stamp', () => {
    const good = reply('success', {});
    const bad = (change: (headers: Record<string, Buffer | string>) => void) => {
      const headers = { ...good.headers };
      change(headers);
      return contract.problems({ ...good, headers }, 'result');
    };
    assert.match(bad((h) => (h.ce_outcome = 'maybe')).join('\n'), /ce_outcome/);
    assert.match(bad((h) => (h.ce_extra = 'x')).join('\n'), /ce_extra is not declared/);
    assert.match(bad((h) => delete h[HEADERS.sagaId]).join('\n'), /ce_sagaid/);
    assert.match(bad((h) => (h[HEADERS.id] = 'not-a-uuid')).join('\n'), /ce_id/);
    assert.match(bad((h) => (h[HEADERS.time] = 'yesterday')).join('\n'), /ce_time/);
    assert.match(
      contract.problems(reply('failure', { reason: 'no code' }), 'refusal').join('\n'),
      /payload .*code/,
    );
    assert.match(
      contract.problems({ ...good, topic: 'elsewhere' }, 'result').join('\n'),
      /topic elsewhere/,
    );
    const command = sagaCommand({
      participant: 'cars',
      command: 'reserve',
      step: 's',
      phase: 'execute',
      attempt: 1,
      payload: {},
    });
    assert.match(
      contract
        .problems({ ...command, headers: { ...command.headers, ce_attempt: '0' } }, 'execute')
        .join('\n'),
      /ce_attempt/,
    );
    assert.match(contract.problems(command, 'compensate').join('\n'), /ce_phase/);
  });
});
