import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { pino } from 'pino';
import { PinoLogger } from './pino-logger';

/** A PinoLogger writing into an array of parsed JSON lines. */
function capture(): { logger: PinoLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: new PinoLogger(pino({ level: 'debug', name: 'test' }, sink)), lines };
}

describe('PinoLogger', () => {
  it("writes Nest's calls as one JSON line each, with the caller's context", () => {
    const { logger, lines } = capture();
    logger.log('listening');
    logger.warn('breaker open', 'ParticipantBreakers');
    logger.warn({ sagaId: 's-1', code: 'NOPE' }, 'saga s-1 is compensated', 'SagaEngine');
    logger.debug('quiet', 'kafkajs');
    logger.verbose('below debug: dropped', 'kafkajs');

    assert.deepEqual(
      lines.map(({ level, name, context, msg, sagaId, code }) => ({
        level,
        name,
        context,
        msg,
        sagaId,
        code,
      })),
      [
        {
          level: 30,
          name: 'test',
          context: undefined,
          msg: 'listening',
          sagaId: undefined,
          code: undefined,
        },
        {
          level: 40,
          name: 'test',
          context: 'ParticipantBreakers',
          msg: 'breaker open',
          sagaId: undefined,
          code: undefined,
        },
        {
          level: 40,
          name: 'test',
          context: 'SagaEngine',
          msg: 'saga s-1 is compensated',
          sagaId: 's-1',
          code: 'NOPE',
        },
        {
          level: 20,
          name: 'test',
          context: 'kafkajs',
          msg: 'quiet',
          sagaId: undefined,
          code: undefined,
        },
      ],
    );
  });

  it('keeps the stack of an Error, and of the error(message, stack, context) Nest calls', () => {
    const { logger, lines } = capture();
    logger.error(new Error('boom'), 'shutdown failed');
    const stack = new Error('unhandled').stack!;
    logger.error('unhandled', stack, 'ExceptionsHandler');

    const [first, second] = lines as { err: { message: string; stack: string }; context: string }[];
    assert.equal(first.err.message, 'boom');
    assert.equal(first.context, 'shutdown failed');
    assert.equal(second.err.message, 'unhandled');
    assert.equal(second.err.stack, stack);
    assert.equal(second.context, 'ExceptionsHandler');
  });

  it("is what Nest's Logger writes to once the app uses it", () => {
    const { logger, lines } = capture();
    Logger.overrideLogger(logger);
    try {
      new Logger('OutboxRelay').warn('outbox notifications interrupted');
    } finally {
      Logger.overrideLogger(false);
    }
    assert.equal(lines[0].context, 'OutboxRelay');
    assert.equal(lines[0].msg, 'outbox notifications interrupted');
  });
});
