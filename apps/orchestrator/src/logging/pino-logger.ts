import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { pino, type Level, type Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';

/**
 * Nest's logger over pino: one JSON line per entry, with the `context` Nest names (the class
 * that logged), and, inside a request, pino-http's request fields. Calls follow Nest's contract:
 * `log(message, ...params, context)`, a message may be an object of fields or an Error, and
 * Nest's exception handlers call `error(message, stack, context)`.
 */
export class PinoLogger implements LoggerService {
  /** The request's child logger while one is handled (see httpLogger). */
  private readonly requests = new AsyncLocalStorage<Logger>();

  constructor(readonly root: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Express middleware: one line per request at `levelOf`'s level, and the request's fields on
   * whatever is logged while it is handled.
   */
  httpLogger(
    levelOf: (req: IncomingMessage, res: ServerResponse, error?: Error) => Level | 'silent',
  ): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
    const http: HttpLogger = pinoHttp({ logger: this.root, customLogLevel: levelOf });
    return (req, res, next) => {
      http(req, res);
      this.requests.run(req.log, next);
    };
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const logger = this.requests.getStore() ?? this.root;
    // Nest passes the caller's context last
    const fields: Record<string, unknown> = params.length ? { context: params.at(-1) } : {};
    const rest = params.slice(0, -1);
    if (message instanceof Error) logger[level]({ ...fields, err: message }, ...asText(rest));
    else if (typeof message === 'object' && message !== null)
      logger[level]({ ...fields, ...message }, ...asText(rest));
    else if (level === 'error' && rest.length === 1 && /\n\s*at /.test(String(rest[0]))) {
      // Nest's exception handlers: error(message, stack, context)
      const err = Object.assign(new Error(String(message)), { stack: String(rest[0]) });
      logger.error({ ...fields, err });
    } else logger[level](fields, String(message), ...rest);
  }
}

/** The message after a fields object: pino takes a string there. */
function asText(rest: unknown[]): [string?, ...unknown[]] {
  return rest.length ? [String(rest[0]), ...rest.slice(1)] : [];
}

/** Request headers that carry credentials: logged as `[redacted]` (pino-http logs failed requests). */
const CREDENTIAL_HEADERS = ['req.headers.authorization', 'req.headers.cookie'];

/** The orchestrator's logger: JSON lines on stdout at `level`, named after the instance. */
export function createPinoLogger(options: { level: Level; name: string }): PinoLogger {
  return new PinoLogger(
    pino({
      level: options.level,
      name: options.name,
      redact: { paths: CREDENTIAL_HEADERS, censor: '[redacted]' },
    }),
  );
}
